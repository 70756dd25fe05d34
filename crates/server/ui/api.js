// The HTTP API client: the bearer token, JSON requests, errors and the event stream.

const TOKEN_KEY = 'canopy.token';

/** An API error with the response's status, stable code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Moves a token from the URL fragment (`/login#token=...`) into sessionStorage and
 * removes it from the address bar and history.
 */
export function takeTokenFromUrl() {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  }
  if (match || window.location.pathname === '/login') {
    window.history.replaceState(null, '', '/');
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Sends a request to `/api{path}`; returns the parsed JSON body, or null for none. */
export async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`/api${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = data && data.error;
    throw new ApiError(
      response.status,
      error ? error.code : 'http_error',
      error ? error.message : `request failed with HTTP ${response.status}`,
    );
  }
  return data;
}

/** Encodes one path segment, such as a workspace or component name. */
export const seg = encodeURIComponent;

/** Fetches every page of a list. */
export async function listAll(path) {
  const items = [];
  let cursor = null;
  const separator = path.includes('?') ? '&' : '?';
  do {
    const query = cursor ? `${separator}limit=500&cursor=${seg(cursor)}` : `${separator}limit=500`;
    const page = await api('GET', `${path}${query}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

/**
 * Reads a workspace's server-sent events with fetch, because EventSource cannot send
 * the Authorization header. Calls `onEvent` with each parsed event and `onOpen` after
 * each (re)connection; reconnects after a pause until `signal` aborts.
 */
export async function streamEvents(workspace, { onEvent, onOpen, signal }) {
  while (!signal.aborted) {
    try {
      const response = await fetch(`/api/workspaces/${seg(workspace)}/events`, {
        headers: { Authorization: `Bearer ${token()}`, Accept: 'text/event-stream' },
        signal,
        cache: 'no-store',
      });
      if (!response.ok) throw new ApiError(response.status, 'events', `event stream failed with HTTP ${response.status}`);
      onOpen();
      await readEvents(response.body, onEvent);
    } catch (error) {
      if (signal.aborted) return;
      console.warn('event stream interrupted; reconnecting', error);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (!data) continue;
      try {
        onEvent(JSON.parse(data));
      } catch (error) {
        console.warn('ignored an event that is not JSON', error);
      }
    }
  }
}
