// canopy's web UI: login, workspaces, change sets, the canvas, the component panel,
// secrets, plans, applies and the action queue, over the HTTP API under /api.

import { ApiError, api, listAll, logout, seg, setToken, streamEvents, takeTokenFromUrl, token } from './api.js';
import { Canvas } from './canvas.js';
import { announce, copyText, field, h, openDialog, replace, uid } from './dom.js';
import { changeTable, renderPanel } from './panel.js';

const BUILTINS = [
  { typeName: 'AWS Credential', description: 'AWS access through a stored secret: keys, temporary keys or an assumed role.' },
  { typeName: 'Region', description: 'The AWS region that resource components are created in.' },
];

const app = document.getElementById('app');

/** The page's cache of API data. The API stays the source of truth. */
const state = {
  session: null,
  workspace: null,
  changeSets: [],
  changeSet: 'HEAD',
  components: [],
  headComponents: [],
  positions: new Map(),
  secrets: [],
  actions: [],
  selected: null,
  schemas: new Map(),
  events: null,
  applying: null,
};

let canvas = null;
let reloadTimer = null;

/** Shows an API error to the user. */
function fail(error) {
  console.error(error);
  const status = error instanceof ApiError ? ` (HTTP ${error.status})` : '';
  announce(`${error.message}${status}`, 'error');
  if (error instanceof ApiError && error.status === 401) {
    logout();
    showLogin('The token was rejected. Log in again.');
  }
}

/** Runs an async UI action and reports its failure. */
function guarded(action) {
  return async (...args) => {
    try {
      return await action(...args);
    } catch (error) {
      fail(error);
      return undefined;
    }
  };
}

async function boot() {
  takeTokenFromUrl();
  if (!token()) {
    showLogin();
    return;
  }
  try {
    const session = await api('GET', '/session');
    state.session = session.token;
  } catch (error) {
    logout();
    showLogin(error instanceof ApiError && error.status === 401 ? 'The token was rejected. Log in again.' : error.message);
    return;
  }
  const params = new URLSearchParams(window.location.search);
  if (params.get('workspace')) {
    await openWorkspace(params.get('workspace'), params.get('changeSet') || 'HEAD');
  } else {
    await showWorkspaces();
  }
}

function showLogin(message) {
  const input = h('input', { type: 'password', autocomplete: 'off', required: true });
  const form = h(
    'form',
    { class: 'login card-box' },
    h('h1', {}, 'canopy'),
    h('p', {}, 'Open the login URL that `canopy serve` printed, or paste its token (the part after #token=).'),
    message ? h('p', { class: 'error', role: 'alert' }, message) : null,
    field('API token', input),
    h('button', { type: 'submit' }, 'Log in'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    boot();
  });
  replace(app, h('main', { class: 'center' }, form));
  input.focus();
}

function setLocation(params) {
  const query = new URLSearchParams(params).toString();
  window.history.replaceState(null, '', query ? `/?${query}` : '/');
}

// Workspaces

async function showWorkspaces() {
  stopEvents();
  state.workspace = null;
  setLocation({});
  const workspaces = await listAll('/workspaces');
  const name = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const create = h(
    'form',
    { class: 'inline-form', 'aria-label': 'New workspace' },
    field('New workspace name', name),
    h('button', { type: 'submit', disabled: !isAdmin() }, 'Create workspace'),
  );
  create.addEventListener(
    'submit',
    guarded(async (event) => {
      event.preventDefault();
      const workspace = await api('POST', '/workspaces', { name: name.value.trim() });
      announce(`Created workspace ${workspace.name}.`);
      await showWorkspaces();
    }),
  );
  const rows = workspaces.map((w) =>
    h(
      'li',
      { class: 'workspace-row' },
      h('button', { type: 'button', class: 'link', onclick: guarded(() => openWorkspace(w.name, 'HEAD')) }, w.name),
      h('span', { class: 'muted' }, `created ${w.created_at.slice(0, 10)}`),
      h(
        'button',
        { type: 'button', class: 'icon', 'aria-label': `Settings of workspace ${w.name}`, title: 'Settings', onclick: () => openSettings(w) },
        '⚙',
      ),
    ),
  );
  replace(
    app,
    topBar(),
    h(
      'main',
      { class: 'workspaces card-box' },
      h('h1', {}, 'Workspaces'),
      rows.length ? h('ul', { class: 'workspace-list' }, rows) : h('p', {}, 'No workspaces yet.'),
      create,
    ),
  );
}

function isAdmin() {
  return state.session && state.session.role === 'admin';
}

function topBar(...middle) {
  return h(
    'header',
    { class: 'top-bar' },
    h('button', { type: 'button', class: 'brand link', onclick: guarded(showWorkspaces) }, 'canopy'),
    middle,
    h('span', { class: 'spacer' }),
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          logout();
          stopEvents();
          showLogin('Logged out.');
        },
      },
      'Log out',
    ),
  );
}

// Workspace settings: the token and the AssumeRole guide

function openSettings(workspace) {
  const tokenOutput = h('input', { type: 'text', readonly: true, value: '', class: 'token', 'data-role': 'workspace-token' });
  const copy = h('button', { type: 'button', disabled: true }, 'Copy token');
  const policyCopy = h('button', { type: 'button' }, 'Copy trust policy');
  const account = h('input', {
    type: 'text',
    inputmode: 'numeric',
    autocomplete: 'off',
    value: localStorage.getItem('canopy.principal') || '',
    placeholder: '123456789012 or arn:aws:iam::123456789012:role/canopy',
  });
  const roleArn = h('input', { type: 'text', autocomplete: 'off', placeholder: 'arn:aws:iam::210987654321:role/canopy' });
  const policy = h('pre', { class: 'json', tabindex: '0', 'aria-label': 'Trust policy', 'data-role': 'trust-policy' });
  let revealed = null;
  const drawPolicy = () => {
    const principal = account.value.trim();
    localStorage.setItem('canopy.principal', principal);
    policy.textContent = JSON.stringify(trustPolicy(principal, revealed), null, 2);
  };
  account.addEventListener('input', drawPolicy);
  const reveal = h('button', { type: 'button', disabled: !isAdmin() }, 'Reveal token');
  reveal.addEventListener(
    'click',
    guarded(async () => {
      const body = await api('GET', `/workspaces/${seg(workspace.name)}/token`);
      revealed = body.token;
      tokenOutput.value = revealed;
      copy.disabled = false;
      drawPolicy();
    }),
  );
  copy.addEventListener('click', () => copyText(tokenOutput.value, tokenOutput));
  policyCopy.addEventListener('click', () => copyText(policy.textContent));
  const createSecret = h('button', { type: 'button' }, 'Create an AssumeRole secret for this role…');
  createSecret.addEventListener('click', () => openSecretForm(workspace, { method: 'assume', roleArn: roleArn.value.trim() }));
  drawPolicy();
  openDialog(
    `Settings of ${workspace.name}`,
    [
      h('section', {}, h('h3', {}, 'Workspace token'),
        h('p', {}, 'The token is the sts:ExternalId that roles canopy assumes for this workspace require. It is shown only when you ask.'),
        h('div', { class: 'row' }, reveal, copy),
        field('Workspace token', tokenOutput)),
      h('section', {}, h('h3', {}, 'AssumeRole setup'),
        h('ol', { class: 'steps' },
          h('li', {}, 'Enter the AWS account id or principal ARN that canopy runs as (the identity of `canopy serve`, from `aws sts get-caller-identity`).'),
          h('li', {}, 'Reveal the workspace token above, so the policy carries it as sts:ExternalId.'),
          h('li', {}, 'In your account, create an IAM role with this trust policy and the permissions canopy needs.'),
          h('li', {}, 'Create an AssumeRole secret with the role ARN, then an AWS Credential component that uses it.')),
        field("canopy's principal", account, 'A 12-digit account id becomes arn:aws:iam::ACCOUNT:root.'),
        policy,
        h('div', { class: 'row' }, policyCopy),
        field('Role ARN', roleArn),
        createSecret),
      h('section', {}, h('h3', {}, 'Secrets'),
        h('button', { type: 'button', onclick: () => openSecretForm(workspace, {}) }, 'New AWS Credential secret…')),
    ],
    { wide: true },
  );
}

function trustPolicy(principal, externalId) {
  let arn = principal || '<canopy principal>';
  if (/^\d{12}$/.test(principal)) arn = `arn:aws:iam::${principal}:root`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: arn },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': externalId || '<workspace token: reveal it above>' } },
      },
    ],
  };
}

// Secrets

/**
 * Opens the AWS Credential secret form. The values are sent once and the form is
 * cleared; no response ever carries them back.
 */
function openSecretForm(workspace, { method = 'static', roleArn = '' }) {
  const name = h('input', { type: 'text', required: true, autocomplete: 'off', name: 'name' });
  const methods = [
    ['static', 'Static keys'],
    ['temporary', 'Temporary keys with a session token'],
    ['assume', 'AssumeRole'],
  ];
  const radios = methods.map(([value, label]) => {
    const id = uid('method');
    return h('div', { class: 'radio' }, h('input', { type: 'radio', name: 'method', id, value, checked: value === method }), h('label', { for: id }, label));
  });
  const keyId = h('input', { type: 'text', autocomplete: 'off', name: 'AccessKeyId' });
  const secretKey = h('input', { type: 'password', autocomplete: 'new-password', name: 'SecretAccessKey' });
  const sessionToken = h('input', { type: 'password', autocomplete: 'new-password', name: 'SessionToken' });
  const role = h('input', { type: 'text', autocomplete: 'off', name: 'AssumeRole', value: roleArn });
  const endpoint = h('input', { type: 'url', autocomplete: 'off', name: 'Endpoint', placeholder: 'http://127.0.0.1:4566' });
  const keyFields = h('div', {}, field('AccessKeyId', keyId), field('SecretAccessKey', secretKey));
  const keysOptional = h('p', { class: 'hint' }, 'With AssumeRole, leave the keys empty to assume the role as canopy itself.');
  const tokenField = field('SessionToken', sessionToken);
  const roleField = field('Role ARN (AssumeRole)', role, 'The sts:ExternalId sent is the workspace token.');
  const form = h(
    'form',
    { class: 'secret-form', 'aria-label': 'New AWS Credential secret' },
    field('Secret name', name),
    h('fieldset', {}, h('legend', {}, 'Method'), radios),
    keyFields,
    keysOptional,
    tokenField,
    roleField,
    field('Endpoint', endpoint, 'Optional: a custom STS and Cloud Control endpoint, such as canopy emulator.'),
    h('p', { class: 'note' }, 'The values are stored encrypted and never shown again.'),
    h('button', { type: 'submit' }, 'Store secret'),
  );
  const sync = () => {
    const chosen = form.querySelector('input[name=method]:checked').value;
    tokenField.hidden = chosen !== 'temporary';
    roleField.hidden = chosen !== 'assume';
    keysOptional.hidden = chosen !== 'assume';
  };
  form.addEventListener('change', sync);
  sync();
  const dialog = openDialog('New AWS Credential secret', form);
  form.addEventListener(
    'submit',
    guarded(async (event) => {
      event.preventDefault();
      const chosen = form.querySelector('input[name=method]:checked').value;
      const value = { AccessKeyId: keyId.value.trim(), SecretAccessKey: secretKey.value };
      if (chosen === 'temporary') value.SessionToken = sessionToken.value;
      if (chosen === 'assume') value.AssumeRole = role.value.trim();
      if (endpoint.value.trim()) value.Endpoint = endpoint.value.trim();
      for (const input of [keyId, secretKey, sessionToken]) input.value = '';
      const info = await api('POST', `/workspaces/${seg(workspace.name)}/secrets`, { name: name.value.trim(), value });
      announce(`Stored secret ${info.name}.`);
      dialog.close();
      if (state.workspace && state.workspace.id === workspace.id) {
        state.secrets = await listAll(`/workspaces/${seg(workspace.name)}/secrets`);
        renderSelected();
      }
    }),
  );
}

// The workspace screen

async function openWorkspace(name, changeSet) {
  stopEvents();
  state.workspace = await api('GET', `/workspaces/${seg(name)}`);
  state.changeSet = changeSet;
  state.selected = null;
  const ws = `/workspaces/${seg(state.workspace.name)}`;
  const [changeSets, secrets, positions] = await Promise.all([
    listAll(`${ws}/change-sets`),
    listAll(`${ws}/secrets`),
    api('GET', `${ws}/positions`),
  ]);
  state.changeSets = changeSets;
  if (!openChangeSets().some((c) => c.name === state.changeSet)) state.changeSet = 'HEAD';
  state.secrets = secrets;
  state.positions = new Map(positions.items.map((p) => [p.component_id, { x: p.x, y: p.y }]));
  drawWorkspace();
  await Promise.all([loadComponents(), loadActions()]);
  startEvents();
}

function openChangeSets() {
  return state.changeSets.filter((c) => c.status === 'open' || c.status === 'head');
}

function readOnly() {
  return state.changeSet === 'HEAD';
}

function wsPath() {
  return `/workspaces/${seg(state.workspace.name)}`;
}

function csPath() {
  return `${wsPath()}/change-sets/${seg(state.changeSet)}`;
}

function drawWorkspace() {
  setLocation({ workspace: state.workspace.name, changeSet: state.changeSet });
  const switcher = h(
    'select',
    { id: 'change-set-select' },
    openChangeSets().map((c) => h('option', { value: c.name, selected: c.name === state.changeSet }, c.name === 'HEAD' ? 'HEAD (applied, read-only)' : c.name)),
  );
  switcher.addEventListener('change', guarded(() => switchChangeSet(switcher.value)));
  const bar = topBar(
    h('span', { class: 'crumb' }, state.workspace.name),
    h(
      'button',
      { type: 'button', class: 'icon', 'aria-label': `Settings of workspace ${state.workspace.name}`, title: 'Settings', onclick: () => openSettings(state.workspace) },
      '⚙',
    ),
    h('div', { class: 'change-set-bar', role: 'group', 'aria-label': 'Change set' },
      h('label', { for: 'change-set-select' }, 'Change set'),
      switcher,
      h('button', { type: 'button', onclick: guarded(createChangeSet) }, 'New change set'),
      h('button', { type: 'button', class: 'primary', disabled: readOnly(), onclick: guarded(showPlan) }, 'Apply…'),
      h('button', { type: 'button', class: 'danger', disabled: readOnly(), onclick: guarded(abandonChangeSet) }, 'Abandon'),
      h('button', { type: 'button', onclick: guarded(refresh), title: 'Read every resource of HEAD from AWS and record drift' }, 'Refresh from AWS'),
    ),
    h('span', { class: 'apply-status', id: 'apply-status', role: 'status' }, state.applying ? 'Applying…' : ''),
  );
  const canvasRoot = h('div', { class: 'canvas', id: 'canvas' });
  const panel = h('aside', { class: 'panel', id: 'panel', hidden: true });
  replace(
    app,
    bar,
    h(
      'div',
      { class: 'workspace' },
      palette(),
      h('main', { class: 'canvas-area', 'aria-label': 'Canvas' }, canvasRoot),
      panel,
    ),
    h('section', { class: 'action-queue', 'aria-labelledby': 'actions-title' },
      h('h2', { id: 'actions-title' }, 'Actions'),
      h('div', { id: 'actions' })),
  );
  canvas = new Canvas(canvasRoot, { onSelect: selectComponent, onMove: guarded(moveComponent) });
}

async function switchChangeSet(name) {
  state.changeSet = name;
  state.selected = null;
  drawWorkspace();
  await loadComponents();
}

async function createChangeSet() {
  const input = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const form = h('form', { 'aria-label': 'New change set' }, field('Change set name', input), h('button', { type: 'submit' }, 'Create change set'));
  const dialog = openDialog('New change set', form);
  form.addEventListener(
    'submit',
    guarded(async (event) => {
      event.preventDefault();
      const created = await api('POST', `${wsPath()}/change-sets`, { name: input.value.trim() });
      dialog.close();
      state.changeSets = await listAll(`${wsPath()}/change-sets`);
      announce(`Created change set ${created.name}.`);
      await switchChangeSet(created.name);
    }),
  );
}

async function abandonChangeSet() {
  const name = state.changeSet;
  const confirm = h('button', { type: 'button', class: 'danger' }, `Abandon ${name}`);
  const dialog = openDialog('Abandon the change set?', [h('p', {}, `The edits of ${name} are dropped and nothing runs.`), confirm]);
  confirm.addEventListener(
    'click',
    guarded(async () => {
      await api('POST', `${csPath()}/abandon`);
      dialog.close();
      state.changeSets = await listAll(`${wsPath()}/change-sets`);
      announce(`Abandoned change set ${name}.`);
      await switchChangeSet('HEAD');
    }),
  );
}

async function refresh() {
  const report = await api('POST', `${wsPath()}/refresh`);
  announce(`Read ${report.resources?.length ?? 0} resources from AWS.`);
  await loadComponents();
}

// Plan and apply

async function showPlan() {
  const name = state.changeSet;
  const plan = await api('GET', `${csPath()}/plan`);
  const apply = h('button', { type: 'button', class: 'primary' }, plan.actions.length ? `Apply ${plan.actions.length} actions` : 'Apply (merge only)');
  const force = h('input', { type: 'checkbox', id: uid('force') });
  const items = plan.actions.map((action) =>
    h(
      'li',
      { class: `plan-action kind-${action.kind}`, 'data-role': 'plan-action' },
      h('p', {}, h('strong', { class: 'action-kind' }, action.kind), ' ', action.component, ' ', h('span', { class: 'muted' }, `${action.type_name} in ${action.region}`),
        action.identifier ? h('span', { class: 'muted' }, ` · ${action.identifier}`) : null),
      action.depends_on.length ? h('p', { class: 'hint' }, `After: ${action.depends_on.join(', ')}`) : null,
      action.known_after_apply.length ? h('p', { class: 'hint' }, `Known after apply: ${action.known_after_apply.join(', ')}`) : null,
      action.changes.length ? changeTable(action.changes) : h('p', { class: 'hint' }, 'No property changes.'),
    ),
  );
  const dialog = openDialog(
    `Plan of ${name}`,
    [
      plan.in_flight.length ? h('p', { class: 'note' }, `First resumes ${plan.in_flight.length} unfinished actions of an earlier apply.`) : null,
      items.length ? h('ol', { class: 'plan' }, items) : h('p', {}, 'No actions: applying merges the change set into HEAD.'),
      plan.unchanged.length ? h('p', { class: 'hint' }, `Unchanged: ${plan.unchanged.join(', ')}`) : null,
      h('div', { class: 'radio' }, force, h('label', { for: force.id }, 'Apply even when qualifications fail')),
      h('div', { class: 'row' }, apply),
    ],
    { wide: true },
  );
  apply.addEventListener(
    'click',
    guarded(async () => {
      apply.disabled = true;
      try {
        const run = await api('POST', `${csPath()}/apply`, { force: force.checked });
        state.applying = run.id;
        dialog.close();
        announce(`Applying ${name}.`);
        state.changeSets = await listAll(`${wsPath()}/change-sets`);
        await switchChangeSet('HEAD');
        await loadActions();
      } finally {
        apply.disabled = false;
      }
    }),
  );
}

// Components

async function loadComponents() {
  const [components, head] = await Promise.all([
    listAll(`${csPath()}/components`),
    state.changeSet === 'HEAD' ? null : listAll(`${wsPath()}/change-sets/HEAD/components`),
  ]);
  state.headComponents = head || components;
  const headById = new Map(state.headComponents.map((c) => [c.id, c]));
  for (const component of components) {
    component.change = changeOf(component, headById.get(component.id));
  }
  state.components = components;
  if (state.selected && !components.some((c) => c.name === state.selected)) state.selected = null;
  canvas.render(components, state.positions, state.selected);
  renderSelected();
}

function changeOf(component, head) {
  if (state.changeSet === 'HEAD') return null;
  if (component.deleted) return 'deleted';
  if (!head) return 'new';
  const same =
    JSON.stringify(head.domain) === JSON.stringify(component.domain) &&
    JSON.stringify(head.subscriptions) === JSON.stringify(component.subscriptions);
  return same ? null : 'changed';
}

function scheduleReload() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(guarded(loadComponents), 150);
}

async function selectComponent(name) {
  state.selected = name;
  canvas.render(state.components, state.positions, state.selected);
  await renderSelected();
  document.querySelector('#panel h2')?.focus?.();
}

async function schemaOf(typeName) {
  if (typeName === 'AWS Credential' || typeName === 'Region') return null;
  if (!state.schemas.has(typeName)) {
    state.schemas.set(typeName, await api('GET', `/schemas/${seg(typeName)}`));
  }
  return state.schemas.get(typeName);
}

async function renderSelected() {
  const panel = document.getElementById('panel');
  if (!panel) return;
  const component = state.components.find((c) => c.name === state.selected);
  if (!component) {
    panel.hidden = true;
    return;
  }
  let schema = null;
  try {
    schema = await schemaOf(component.schema);
  } catch (error) {
    fail(error);
  }
  // Another selection may have happened while the schema loaded.
  if (state.selected !== component.name) return;
  const path = `${csPath()}/components/${seg(component.name)}`;
  const edit = (method, suffix, body) =>
    guarded(async () => {
      await api(method, `${path}${suffix}`, body);
      await loadComponents();
    })();
  const head = state.changeSet === 'HEAD' ? component : state.headComponents.find((c) => c.id === component.id) || null;
  // Events reload the components often; redrawing an unchanged panel would throw away
  // what the user is typing.
  const signature = JSON.stringify([state.changeSet, component, head, state.secrets.map((s) => s.name), state.components.map((c) => c.name)]);
  if (!panel.hidden && panel.dataset.signature === signature) return;
  panel.hidden = false;
  // A panel that redrew only its data sections keeps the old signature, so the next
  // reload redraws the forms once they hold no unsubmitted input.
  const redrawnWhole = renderPanel(panel, {
    component,
    head,
    changeSet: state.changeSet,
    schema,
    components: state.components,
    secrets: state.secrets,
    readOnly: readOnly(),
    close: () => {
      state.selected = null;
      panel.hidden = true;
      canvas.render(state.components, state.positions, null);
    },
    setProperty: (pointer, value) => edit('POST', '/properties', { path: pointer, value }),
    unsetProperty: (pointer) => edit('DELETE', `/properties?path=${seg(pointer)}`),
    subscribe: (pointer, source, sourcePath) => edit('POST', '/subscriptions', { path: pointer, source, source_path: sourcePath }),
    unsubscribe: (pointer) => edit('DELETE', `/subscriptions?path=${seg(pointer)}`),
    deleteComponent: () => edit('DELETE', ''),
    newSecret: () => openSecretForm(state.workspace, {}),
    sourcePaths: sourcePathsOf,
  });
  panel.dataset.signature = redrawnWhole ? signature : '';
}

/** Suggests the paths another component can subscribe to. */
async function sourcePathsOf(source) {
  const paths = Object.keys(source.domain || {}).map((key) => `/domain/${key}`);
  const schema = await schemaOf(source.schema).catch(() => null);
  if (schema) {
    for (const node of schema.properties) paths.push(`/resource/${node.name}`);
  }
  for (const key of Object.keys(source.resource?.properties || {})) paths.push(`/resource/${key}`);
  return [...new Set(paths)].sort();
}

async function moveComponent(id, x, y) {
  state.positions.set(id, { x, y });
  await api('PUT', `${wsPath()}/positions/${seg(id)}`, { x, y });
}

// The palette

function palette() {
  const search = h('input', { type: 'search', autocomplete: 'off', placeholder: 'vpc, subnet, bucket…', 'aria-controls': 'palette-results' });
  const results = h('ul', { class: 'palette-results', id: 'palette-results', 'aria-label': 'Component types' });
  let timer = null;
  const run = guarded(async () => {
    const text = search.value.trim();
    const page = await api('GET', `/schemas?limit=50${text ? `&search=${seg(text)}` : ''}`);
    const builtins = BUILTINS.filter((b) => !text || b.typeName.toLowerCase().includes(text.toLowerCase()));
    const types = [...builtins, ...page.items];
    replace(
      results,
      types.map((t) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: 'palette-item', disabled: readOnly(), title: t.description || '', onclick: () => addComponent(t.typeName), 'data-type': t.typeName },
            h('span', { class: 'type-name' }, t.typeName),
          ),
        ),
      ),
      page.next_cursor ? h('li', { class: 'hint' }, 'More types match: refine the search.') : null,
    );
  });
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, 200);
  });
  run();
  return h(
    'nav',
    { class: 'palette', 'aria-label': 'Add a component' },
    h('h2', {}, 'Add a component'),
    readOnly() ? h('p', { class: 'note' }, 'HEAD is read-only: create a change set to add components.') : null,
    field('Search resource types', search),
    results,
  );
}

function addComponent(typeName) {
  const name = h('input', { type: 'text', required: true, autocomplete: 'off', value: suggestName(typeName) });
  const form = h(
    'form',
    { 'aria-label': `New ${typeName} component` },
    field('Component name', name),
    h('button', { type: 'submit' }, 'Add to canvas'),
  );
  const dialog = openDialog(`New ${typeName}`, form);
  name.select();
  form.addEventListener(
    'submit',
    guarded(async (event) => {
      event.preventDefault();
      const domain = typeName === 'AWS Credential' && state.secrets.length === 1 ? { Secret: state.secrets[0].name } : {};
      const created = await api('POST', `${csPath()}/components`, { schema: typeName, name: name.value.trim(), domain });
      dialog.close();
      const spot = canvas.freeSpot(canvas.centerPoint());
      await moveComponent(created.id, spot.x, spot.y);
      state.selected = created.name;
      await loadComponents();
      announce(`Added ${created.name}.`);
    }),
  );
}

function suggestName(typeName) {
  if (typeName === 'Region') return 'us-east-1';
  if (typeName === 'AWS Credential') return 'aws';
  const base = typeName.split('::').pop().toLowerCase();
  let name = base;
  for (let n = 2; state.components.some((c) => c.name === name); n += 1) name = `${base}-${n}`;
  return name;
}

// The action queue

async function loadActions() {
  const actions = await listAll(`${wsPath()}/actions`);
  state.actions = actions;
  const root = document.getElementById('actions');
  if (!root) return;
  const recent = actions.slice(-30).reverse();
  if (recent.length === 0) {
    replace(root, h('p', { class: 'hint' }, 'No actions yet: applying a change set runs them.'));
    return;
  }
  replace(
    root,
    h(
      'table',
      { class: 'actions' },
      h('thead', {}, h('tr', {}, ['Component', 'Action', 'State', 'Identifier', 'Message', 'Updated', 'Controls'].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        {},
        recent.map((a) =>
          h(
            'tr',
            { 'data-action': a.id, 'data-state': a.state },
            h('td', {}, a.component_name),
            h('td', {}, a.kind),
            h('td', {}, h('span', { class: `state state-${a.state}` }, a.state)),
            h('td', {}, a.identifier || ''),
            h('td', {}, a.message || ''),
            h('td', {}, a.updated_at.slice(11, 19)),
            h(
              'td',
              {},
              h('button', { type: 'button', class: 'small', disabled: !['failed', 'unknown'].includes(a.state), onclick: guarded(() => retryAction(a)) }, `Retry ${a.kind} of ${a.component_name}`),
              ' ',
              h('button', { type: 'button', class: 'small', disabled: !['queued', 'running'].includes(a.state), onclick: guarded(() => cancelAction(a)) }, `Cancel ${a.kind} of ${a.component_name}`),
            ),
          ),
        ),
      ),
    ),
  );
}

async function retryAction(action) {
  const run = await api('POST', `${wsPath()}/actions/${seg(action.id)}/retry`);
  state.applying = run.id;
  announce(`Retrying: applying HEAD again.`);
}

async function cancelAction(action) {
  await api('POST', `${wsPath()}/actions/${seg(action.id)}/cancel`);
}

// Live events

function startEvents() {
  const controller = new AbortController();
  state.events = controller;
  const workspace = state.workspace;
  let first = true;
  streamEvents(workspace.id, {
    signal: controller.signal,
    onOpen: () => {
      // Events are not replayed, so a reconnection reloads what the page shows.
      if (!first) {
        scheduleReload();
        guarded(loadActions)();
      }
      first = false;
    },
    onEvent: (event) => handleEvent(event),
  });
}

function stopEvents() {
  if (state.events) state.events.abort();
  state.events = null;
}

let actionsTimer = null;

function handleEvent(event) {
  const mine = !event.change_set || event.change_set === state.changeSet;
  switch (event.event) {
    case 'qualified':
    case 'component_changed':
    case 'component_deleted':
      if (mine) scheduleReload();
      break;
    case 'action_progress':
    case 'action_finished':
    case 'resource_changed':
      scheduleReload();
      clearTimeout(actionsTimer);
      actionsTimer = setTimeout(guarded(loadActions), 150);
      break;
    case 'apply_started':
      setApplyStatus('Applying…');
      break;
    case 'apply_finished':
      state.applying = null;
      setApplyStatus(event.status === 'succeeded' ? 'Apply finished.' : `Apply ${event.status}${event.error ? `: ${event.error}` : ''}`);
      announce(event.status === 'succeeded' ? 'The apply finished.' : `The apply ended: ${event.status}.`, event.status === 'succeeded' ? 'info' : 'error');
      scheduleReload();
      guarded(loadActions)();
      guarded(reloadChangeSets)();
      break;
    case 'change_set_created':
    case 'change_set_abandoned':
      guarded(reloadChangeSets)();
      break;
    case 'secret_created':
      guarded(async () => {
        state.secrets = await listAll(`${wsPath()}/secrets`);
      })();
      break;
    case 'position_changed':
      canvas?.moveCard(event.component_id, event.x, event.y);
      break;
    case 'lagged':
      scheduleReload();
      guarded(loadActions)();
      break;
    default:
      break;
  }
}

function setApplyStatus(text) {
  const status = document.getElementById('apply-status');
  if (status) status.textContent = text;
}

async function reloadChangeSets() {
  state.changeSets = await listAll(`${wsPath()}/change-sets`);
  const select = document.getElementById('change-set-select');
  if (!select) return;
  replace(select, openChangeSets().map((c) => h('option', { value: c.name, selected: c.name === state.changeSet }, c.name === 'HEAD' ? 'HEAD (applied, read-only)' : c.name)));
}

boot();
