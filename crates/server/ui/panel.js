// The component panel: qualifications, a form generated from the schema's property
// tree, subscriptions, the resource, drift and the difference from HEAD.

import { announce, field, h, replace, show, uid } from './dom.js';

const REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'eu-west-1', 'eu-west-2',
  'eu-west-3', 'eu-central-1', 'eu-north-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1',
  'ap-south-1', 'sa-east-1',
];

/** The value each panel control had when it was drawn or last submitted. */
const savedValues = new WeakMap();

/**
 * Draws the panel of `ctx.component`. `ctx` contains the component's HEAD version (or
 * null), its schema (null for the built-in ones), every component of the change set,
 * the secrets, `readOnly`, and the callbacks that edit the component.
 *
 * While a control of the same component contains unsubmitted input, only the sections
 * that show data (qualifications, resource, drift and the difference from HEAD) are
 * redrawn, so live events do not wipe what the user is typing. Returns true when the
 * whole panel was redrawn and false when only those sections were.
 */
export function renderPanel(root, ctx) {
  const { component } = ctx;
  const key = JSON.stringify([ctx.changeSet, component.id]);
  const sameComponent = root.dataset.componentKey === key;
  if (sameComponent && hasUnsubmittedInput(root)) {
    redrawDataSections(root, ctx);
    return false;
  }

  const focusedKey = sameComponent ? controlKey(document.activeElement, root) : null;
  const filterText = sameComponent ? root.querySelector('input[name="property-filter"]')?.value ?? '' : '';

  const headingId = uid('panel-title');
  const close = h('button', { type: 'button', class: 'icon', 'aria-label': 'Close the component panel', onclick: ctx.close }, '×');
  const remove = h(
    'button',
    { type: 'button', class: 'danger', disabled: ctx.readOnly || component.deleted, onclick: ctx.deleteComponent },
    'Delete component',
  );
  const data = dataSections(ctx);
  replace(
    root,
    h('header', { class: 'panel-header' }, h('h2', { id: headingId }, component.name), close),
    h('p', { class: 'panel-schema' }, component.schema, component.deleted ? ' · deleted in this change set' : ''),
    ctx.readOnly ? h('p', { class: 'note' }, 'HEAD is read-only: create a change set to edit.') : null,
    data.qualifications,
    section('Properties', properties(ctx, filterText)),
    ctx.schema ? section('Subscriptions', subscriptions(ctx)) : null,
    data.resource,
    data.drift,
    data.difference,
    h('div', { class: 'panel-actions' }, remove),
  );
  root.setAttribute('aria-labelledby', headingId);
  root.dataset.componentKey = key;

  for (const control of formControls(root)) markSubmitted(control);
  // A full redraw replaces every control, so the focus moves to the new control with
  // the same data-path or name.
  if (focusedKey) formControls(root).find((control) => controlKey(control, root) === focusedKey)?.focus();
  return true;
}

/** Builds the sections that only show data, keyed by their data-section name. */
function dataSections(ctx) {
  const { component } = ctx;
  return {
    qualifications: section('Qualifications', qualifications(component), 'qualifications'),
    resource: ctx.schema ? section('Resource', resource(component), 'resource') : null,
    drift: ctx.schema ? section('Drift', drift(component), 'drift') : null,
    difference: section('Difference from HEAD', difference(ctx), 'difference'),
  };
}

function redrawDataSections(root, ctx) {
  for (const [name, fresh] of Object.entries(dataSections(ctx))) {
    const current = root.querySelector(`section[data-section="${name}"]`);
    if (current && fresh) current.replaceWith(fresh);
  }
}

function formControls(root) {
  return [...root.querySelectorAll('input, select, textarea')];
}

/** Records a control's current value as submitted, so it no longer blocks a redraw. */
function markSubmitted(control) {
  savedValues.set(control, control.value);
}

/**
 * Tells whether a control in `root` differs from the value it was drawn with or last
 * submitted. The property filter is not counted because a redraw carries its text.
 */
function hasUnsubmittedInput(root) {
  return formControls(root).some((control) => control.name !== 'property-filter' && control.value !== savedValues.get(control));
}

/** Returns the data-path or name of a form control inside `root`, or null. */
function controlKey(element, root) {
  if (!element || !root.contains(element)) return null;
  if (element.dataset.path) return `path:${element.dataset.path}`;
  if (element.name) return `name:${element.name}`;
  return null;
}

function section(title, content, name) {
  const id = uid('section');
  return h('section', { 'aria-labelledby': id, 'data-section': name }, h('h3', { id }, title), content);
}

function qualifications(component) {
  const items = component.qualifications || [];
  if (items.length === 0) return h('p', {}, 'No qualifications ran.');
  return h(
    'ul',
    { class: 'qualifications', 'data-role': 'qualifications' },
    items.map((q) =>
      h(
        'li',
        { class: q.status === 'success' ? 'ok' : 'fail' },
        h('span', { class: 'status-icon', 'aria-hidden': 'true' }, q.status === 'success' ? '✓' : '✗'),
        h('strong', {}, `${q.name}: `),
        h('span', { class: 'visually-hidden' }, `${q.status}. `),
        q.message,
      ),
    ),
  );
}

function properties(ctx, filterText) {
  const { component } = ctx;
  if (component.schema === 'AWS Credential') return credentialForm(ctx);
  if (component.schema === 'Region') return regionForm(ctx);
  if (!ctx.schema) return h('p', {}, 'Loading the schema…');
  const filter = h('input', { type: 'search', placeholder: 'Name of a property', name: 'property-filter', value: filterText });
  const list = h('div', { class: 'property-list' });
  const draw = () => {
    const text = filter.value.trim().toLowerCase();
    const nodes = ctx.schema.properties.filter((node) => !text || node.name.toLowerCase().includes(text));
    replace(list, nodes.map((node) => property(ctx, node, `/${escapePointer(node.name)}`)));
  };
  filter.addEventListener('input', draw);
  draw();
  return [field('Filter properties', filter), list];
}

function credentialForm(ctx) {
  const current = ctx.component.domain?.Secret ?? '';
  const select = h(
    'select',
    { disabled: ctx.readOnly, 'data-path': '/Secret' },
    h('option', { value: '' }, '(choose a secret)'),
    ctx.secrets.map((secret) => h('option', { value: secret.name, selected: secret.name === current }, secret.name)),
  );
  if (current && !ctx.secrets.some((s) => s.name === current)) {
    select.append(h('option', { value: current, selected: true }, `${current} (missing)`));
  }
  select.addEventListener('change', () => {
    markSubmitted(select);
    commit(ctx, '/Secret', select.value || undefined);
  });
  return [
    field('Secret', select, 'The stored AWS Credential secret whose keys or role this component uses.'),
    h('button', { type: 'button', onclick: ctx.newSecret, disabled: ctx.readOnly }, 'New AWS Credential secret…'),
  ];
}

function regionForm(ctx) {
  const listId = uid('regions');
  const input = h('input', {
    type: 'text',
    list: listId,
    value: ctx.component.domain?.Region ?? '',
    disabled: ctx.readOnly,
    'data-path': '/Region',
    autocomplete: 'off',
  });
  input.addEventListener('change', () => {
    markSubmitted(input);
    commit(ctx, '/Region', input.value.trim() || undefined);
  });
  return [
    field('Region', input, 'An AWS region name such as us-east-1.'),
    h('datalist', { id: listId }, REGIONS.map((r) => h('option', { value: r }))),
  ];
}

/** Sets a value, or removes it when `value` is undefined. */
async function commit(ctx, pointer, value) {
  if (value === undefined) await ctx.unsetProperty(pointer);
  else await ctx.setProperty(pointer, value);
}

function marks(node) {
  const list = [];
  if (node.required) list.push(['required', 'required']);
  if (node.create_only) list.push(['create-only', 'create-only: changing it replaces the resource']);
  if (node.conditional_create_only) list.push(['may replace', 'changing it may replace the resource']);
  if (node.read_only) list.push(['read-only', 'read-only: AWS sets it']);
  if (node.write_only) list.push(['write-only', 'write-only: AWS never returns it']);
  if (node.deprecated) list.push(['deprecated', 'deprecated']);
  return list.map(([text, title]) => h('span', { class: `mark mark-${text.replace(/\s/g, '-')}`, title }, text));
}

function labelOf(node) {
  return h('span', {}, node.name, ' ', marks(node));
}

function property(ctx, node, pointer) {
  const types = node.types || [];
  const value = valueAt(ctx.component.domain, pointer);
  if (types.includes('object') && node.children?.length) {
    return objectGroup(ctx, node, pointer, value);
  }
  if (types.includes('array') && node.children?.length) {
    return arrayGroup(ctx, node, pointer, value);
  }
  return leaf(ctx, node, pointer, value);
}

function objectGroup(ctx, node, pointer, value) {
  const open = value !== undefined;
  return h(
    'details',
    { class: 'group', open },
    h('summary', {}, labelOf(node)),
    node.description ? h('p', { class: 'hint' }, node.description) : null,
    node.children.map((child) => property(ctx, child, `${pointer}/${escapePointer(child.name)}`)),
  );
}

function arrayGroup(ctx, node, pointer, value) {
  const items = Array.isArray(value) ? value : [];
  const readOnly = ctx.readOnly || node.read_only || subscriptionAt(ctx, pointer);
  const add = h('button', { type: 'button', disabled: readOnly }, `Add ${node.name} item`);
  add.addEventListener('click', () => ctx.setProperty(`${pointer}/${items.length}`, {}));
  return h(
    'details',
    { class: 'group', open: items.length > 0 },
    h('summary', {}, labelOf(node), ` (${items.length})`),
    node.description ? h('p', { class: 'hint' }, node.description) : null,
    items.map((_, index) => {
      const itemPointer = `${pointer}/${index}`;
      const removeItem = h('button', { type: 'button', class: 'danger small', disabled: readOnly }, `Remove item ${index + 1}`);
      removeItem.addEventListener('click', () => ctx.unsetProperty(itemPointer));
      return h(
        'fieldset',
        { class: 'array-item' },
        h('legend', {}, `${node.name} item ${index + 1}`),
        node.children.map((child) => property(ctx, child, `${itemPointer}/${escapePointer(child.name)}`)),
        removeItem,
      );
    }),
    add,
  );
}

function leaf(ctx, node, pointer, value) {
  const types = node.types || [];
  const subscription = subscriptionAt(ctx, pointer);
  const disabled = ctx.readOnly || node.read_only || Boolean(subscription);
  const shown = node.read_only ? valueAt(ctx.component.resource?.properties, pointer) : value;
  let control;
  let parse;
  if (node.enum_values?.length) {
    control = h(
      'select',
      {},
      h('option', { value: '' }, '(unset)'),
      node.enum_values.map((option) => h('option', { value: JSON.stringify(option), selected: JSON.stringify(option) === JSON.stringify(shown) }, show(option))),
    );
    parse = (text) => (text === '' ? undefined : JSON.parse(text));
  } else if (types.length === 1 && types[0] === 'boolean') {
    control = h(
      'select',
      {},
      h('option', { value: '' }, '(unset)'),
      h('option', { value: 'true', selected: shown === true }, 'true'),
      h('option', { value: 'false', selected: shown === false }, 'false'),
    );
    parse = (text) => (text === '' ? undefined : text === 'true');
  } else if (types.length === 1 && (types[0] === 'integer' || types[0] === 'number')) {
    control = h('input', { type: 'number', value: shown ?? '', step: types[0] === 'integer' ? '1' : 'any' });
    parse = (text) => (text.trim() === '' ? undefined : Number(text));
  } else if (types.length === 1 && types[0] === 'string') {
    control = h('input', { type: node.write_only ? 'password' : 'text', value: shown ?? '', autocomplete: 'off' });
    parse = (text) => (text === '' ? undefined : text);
  } else {
    // Free-form objects, arrays of scalars and mixed types are edited as JSON.
    control = h('textarea', { rows: '2', spellcheck: 'false' }, shown === undefined ? '' : JSON.stringify(shown));
    parse = (text) => (text.trim() === '' ? undefined : JSON.parse(text));
  }
  control.disabled = disabled;
  control.dataset.path = pointer;
  control.addEventListener('change', () => {
    let parsed;
    try {
      parsed = parse(control.value);
    } catch (error) {
      announce(`Invalid JSON for ${pointer}: ${error.message}`, 'error');
      return;
    }
    markSubmitted(control);
    commit(ctx, pointer, parsed);
  });
  const hints = [];
  if (subscription) hints.push(`Subscribed to ${subscription.source} ${subscription.source_path}.`);
  if (node.description) hints.push(node.description);
  const id = uid('prop');
  control.id = id;
  const hintId = uid('hint');
  if (hints.length) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, labelOf(node)),
    control,
    hints.length ? h('p', { class: 'hint', id: hintId }, hints.join(' ')) : null,
  );
}

function subscriptions(ctx) {
  const { component } = ctx;
  const list = (component.subscriptions || []).map((s) => {
    const remove = h('button', { type: 'button', class: 'small', disabled: ctx.readOnly }, `Remove subscription of ${s.path}`);
    remove.addEventListener('click', () => ctx.unsubscribe(s.path));
    return h('li', {}, h('code', {}, s.path), ' ← ', h('strong', {}, s.source), ' ', h('code', {}, s.source_path), ' ', remove);
  });
  const pathsId = uid('paths');
  const sourcePathsId = uid('source-paths');
  const path = h('input', { type: 'text', list: pathsId, placeholder: '/VpcId', autocomplete: 'off', name: 'path' });
  const sources = ctx.components.filter((c) => c.name !== component.name && !c.deleted);
  const source = h(
    'select',
    { name: 'source' },
    h('option', { value: '' }, '(choose a component)'),
    sources.map((c) => h('option', { value: c.name }, `${c.name} (${c.schema})`)),
  );
  const sourcePath = h('input', { type: 'text', list: sourcePathsId, placeholder: '/resource/VpcId', autocomplete: 'off', name: 'source_path' });
  const sourcePaths = h('datalist', { id: sourcePathsId });
  source.addEventListener('change', async () => {
    const chosen = sources.find((c) => c.name === source.value);
    replace(sourcePaths, chosen ? (await ctx.sourcePaths(chosen)).map((p) => h('option', { value: p })) : []);
  });
  const submit = h('button', { type: 'submit', disabled: ctx.readOnly }, 'Subscribe');
  const form = h(
    'form',
    { class: 'subscribe-form', 'aria-label': 'New subscription' },
    field('Path in this component', path, 'A JSON pointer into this component, such as /VpcId.'),
    h('datalist', { id: pathsId }, leafPointers(ctx.schema.properties).map((p) => h('option', { value: p }))),
    field('Source component', source),
    field('Source path', sourcePath, 'The value to copy, such as /resource/VpcId or /domain/CidrBlock.'),
    sourcePaths,
    submit,
  );
  for (const control of [path, source, sourcePath]) control.disabled = ctx.readOnly;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!path.value || !source.value || !sourcePath.value) {
      announce('A subscription needs a path, a source component and a source path.', 'error');
      return;
    }
    // NOTE: the values count as submitted even if the request fails, so the next
    // redraw after a failed subscription clears the form.
    for (const control of [path, source, sourcePath]) markSubmitted(control);
    ctx.subscribe(path.value.trim(), source.value, sourcePath.value.trim());
  });
  return [list.length ? h('ul', { class: 'subscriptions' }, list) : h('p', {}, 'No subscriptions.'), form];
}

function resource(component) {
  const r = component.resource;
  if (!r) return h('p', {}, 'No resource yet: applying a change set creates it.');
  return [
    h(
      'dl',
      { class: 'facts' },
      fact('Status', r.status),
      fact('Identifier', r.identifier ?? '(none yet)'),
      fact('Region', r.region),
      r.message ? fact('Message', r.message) : null,
      r.refreshed_at ? fact('Read from AWS at', r.refreshed_at) : null,
    ),
    r.properties ? h('pre', { class: 'json', tabindex: '0', 'aria-label': 'Resource properties' }, JSON.stringify(r.properties, null, 2)) : null,
  ];
}

function fact(name, value) {
  return [h('dt', {}, name), h('dd', {}, value)];
}

function drift(component) {
  if (!component.drift?.length) return h('p', {}, 'No drift recorded by the last refresh.');
  return changeTable(component.drift, 'Value in canopy', 'Value in AWS');
}

function difference(ctx) {
  const { component, head, changeSet } = ctx;
  if (changeSet === 'HEAD') return h('p', {}, 'This is HEAD.');
  if (!head) return h('p', { 'data-role': 'diff' }, 'New in this change set.');
  if (component.deleted) return h('p', { 'data-role': 'diff' }, 'Deleted in this change set.');
  const changes = diffValues(head.domain, component.domain, '');
  const before = JSON.stringify(head.subscriptions || []);
  const after = JSON.stringify(component.subscriptions || []);
  if (before !== after) changes.push({ path: 'subscriptions', before: head.subscriptions, after: component.subscriptions });
  if (changes.length === 0) return h('p', { 'data-role': 'diff' }, 'Same as HEAD.');
  return changeTable(changes, 'HEAD', 'This change set');
}

/** Builds a table of property changes: path, value before, value after, and why. */
export function changeTable(changes, beforeTitle = 'Before', afterTitle = 'After') {
  const reasons = changes.some((c) => c.reason || c.effect);
  return h(
    'table',
    { class: 'changes', 'data-role': 'diff' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Property'), h('th', { scope: 'col' }, beforeTitle), h('th', { scope: 'col' }, afterTitle), reasons ? h('th', { scope: 'col' }, 'Effect') : null)),
    h(
      'tbody',
      {},
      changes.map((c) =>
        h(
          'tr',
          {},
          h('td', {}, h('code', {}, c.path)),
          h('td', {}, show(c.before ?? undefined)),
          h('td', {}, show(c.after ?? undefined)),
          reasons ? h('td', {}, [c.effect, c.reason].filter(Boolean).join(': ')) : null,
        ),
      ),
    ),
  );
}

/** Lists the JSON pointers where two values differ. */
export function diffValues(before, after, pointer) {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const objects = isObject(before) && isObject(after);
  const arrays = Array.isArray(before) && Array.isArray(after);
  if (!objects && !arrays) return [{ path: pointer || '/', before, after }];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].flatMap((key) => diffValues(before[key], after[key], `${pointer}/${escapePointer(key)}`));
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function leafPointers(nodes) {
  return nodes.filter((n) => !n.read_only).map((n) => n.path.replace(/\*/g, '0'));
}

function subscriptionAt(ctx, pointer) {
  return (ctx.component.subscriptions || []).find((s) => s.path === pointer);
}

export function escapePointer(name) {
  return String(name).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Reads the value at a JSON pointer, or undefined. */
export function valueAt(value, pointer) {
  let current = value;
  for (const part of pointer.split('/').slice(1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = current[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current;
}
