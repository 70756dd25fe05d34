// DOM helpers. Every text goes in through textContent or attributes, never innerHTML,
// so values from the API cannot inject markup.

/** Creates an element: h('button', {type: 'button', onclick}, 'Label', child...). */
export function h(tag, attributes = {}, ...children) {
  const svg = tag.startsWith('svg:');
  const element = svg
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      element.setAttribute('class', value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (!svg && (name === 'value' || name === 'checked' || name === 'disabled')) {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

let nextId = 1;

/** Returns a document-unique id for label and description links. */
export function uid(prefix = 'id') {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** Wraps a form control with its label and an optional hint below it. */
export function field(label, control, hint) {
  const id = control.id || uid('field');
  control.id = id;
  const parts = [h('label', { for: id }, label), control];
  if (hint) {
    const hintId = uid('hint');
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('p', { class: 'hint', id: hintId }, hint));
  }
  return h('div', { class: 'field' }, parts);
}

/** Writes a message to the polite live region; errors go to the assertive one. */
export function announce(message, kind = 'info') {
  const region = document.getElementById(kind === 'error' ? 'alerts' : 'status');
  if (!region) return;
  const item = h('p', { class: `toast ${kind}` }, message);
  region.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 12000 : 5000);
}

/** Opens a modal dialog with a heading and content; returns the dialog element. */
export function openDialog(title, content, { wide = false } = {}) {
  const headingId = uid('dialog-title');
  const close = h('button', { type: 'button', class: 'icon', 'aria-label': 'Close' }, '×');
  const dialog = h(
    'dialog',
    { class: wide ? 'wide' : '', 'aria-labelledby': headingId },
    h('header', {}, h('h2', { id: headingId }, title), close),
    h('div', { class: 'dialog-body' }, content),
  );
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** Formats a JSON value for display; strings are shown without quotes. */
export function show(value) {
  if (value === undefined) return '(unset)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Copies text to the clipboard, falling back to selecting it in an input. */
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    announce('Copied to the clipboard.');
  } catch {
    if (input) {
      input.select();
      document.execCommand('copy');
      announce('Copied to the clipboard.');
    } else {
      announce('Copying failed: the browser denied clipboard access.', 'error');
    }
  }
}
