// The canvas: component cards on a surface that pans and zooms, with subscriptions
// drawn as SVG edges. Cards move by pointer drag or, when focused, by arrow keys.

import { h, replace } from './dom.js';

const CARD_WIDTH = 240;
const GRID_X = 280;
const GRID_Y = 170;
const KEY_STEP = 20;
const MIN_ZOOM = 0.3;
const MAX_ZOOM = 2;

export class Canvas {
  /**
   * `onSelect(name)` opens a component; `onMove(id, x, y)` stores a card's new place.
   */
  constructor(root, { onSelect, onMove }) {
    this.root = root;
    this.onSelect = onSelect;
    this.onMove = onMove;
    this.view = { x: 40, y: 40, zoom: 1 };
    this.positions = new Map();
    this.cards = new Map();
    this.components = [];

    this.viewport = h('div', {
      class: 'viewport',
      tabindex: '0',
      role: 'region',
      'aria-label': 'Canvas: drag the background to pan, use the mouse wheel or the + and - keys to zoom',
    });
    this.edges = h('svg:svg', { class: 'edges', 'aria-hidden': 'true' });
    this.surface = h('div', { class: 'surface' }, this.edges);
    this.viewport.append(this.surface);
    this.zoomLabel = h('output', { 'aria-live': 'polite', class: 'zoom-level' }, '100%');
    const controls = h(
      'div',
      { class: 'canvas-controls', role: 'toolbar', 'aria-label': 'Canvas zoom' },
      h('button', { type: 'button', onclick: () => this.zoomBy(1.2), 'aria-label': 'Zoom in' }, '+'),
      h('button', { type: 'button', onclick: () => this.zoomBy(1 / 1.2), 'aria-label': 'Zoom out' }, '−'),
      h('button', { type: 'button', onclick: () => this.resetView() }, 'Reset view'),
      this.zoomLabel,
    );
    this.empty = h('p', { class: 'canvas-empty' }, 'No components yet. Add one from the palette.');
    replace(root, this.viewport, controls, this.empty);
    this.bindPanAndZoom();
    this.applyView();
  }

  bindPanAndZoom() {
    let pan = null;
    this.viewport.addEventListener('pointerdown', (event) => {
      if (event.target !== this.viewport && event.target !== this.surface && event.target !== this.edges) return;
      pan = { startX: event.clientX, startY: event.clientY, x: this.view.x, y: this.view.y };
      this.viewport.setPointerCapture(event.pointerId);
      this.viewport.classList.add('panning');
    });
    this.viewport.addEventListener('pointermove', (event) => {
      if (!pan) return;
      this.view.x = pan.x + event.clientX - pan.startX;
      this.view.y = pan.y + event.clientY - pan.startY;
      this.applyView();
    });
    const endPan = () => {
      pan = null;
      this.viewport.classList.remove('panning');
    };
    this.viewport.addEventListener('pointerup', endPan);
    this.viewport.addEventListener('pointercancel', endPan);
    this.viewport.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        const rect = this.viewport.getBoundingClientRect();
        this.zoomBy(event.deltaY < 0 ? 1.1 : 1 / 1.1, event.clientX - rect.left, event.clientY - rect.top);
      },
      { passive: false },
    );
    this.viewport.addEventListener('keydown', (event) => {
      if (event.target !== this.viewport) return;
      const pans = { ArrowLeft: [40, 0], ArrowRight: [-40, 0], ArrowUp: [0, 40], ArrowDown: [0, -40] };
      if (event.key === '+' || event.key === '=') this.zoomBy(1.2);
      else if (event.key === '-') this.zoomBy(1 / 1.2);
      else if (pans[event.key]) {
        this.view.x += pans[event.key][0];
        this.view.y += pans[event.key][1];
        this.applyView();
      } else return;
      event.preventDefault();
    });
  }

  /** Zooms by `factor` around a point of the viewport (its center by default). */
  zoomBy(factor, originX, originY) {
    const rect = this.viewport.getBoundingClientRect();
    const ox = originX ?? rect.width / 2;
    const oy = originY ?? rect.height / 2;
    const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.view.zoom * factor));
    const scale = zoom / this.view.zoom;
    this.view.x = ox - (ox - this.view.x) * scale;
    this.view.y = oy - (oy - this.view.y) * scale;
    this.view.zoom = zoom;
    this.applyView();
  }

  resetView() {
    this.view = { x: 40, y: 40, zoom: 1 };
    this.applyView();
  }

  applyView() {
    const { x, y, zoom } = this.view;
    this.surface.style.transform = `translate(${x}px, ${y}px) scale(${zoom})`;
    this.zoomLabel.textContent = `${Math.round(zoom * 100)}%`;
  }

  /** Returns the surface point at the center of the viewport, for new cards. */
  centerPoint() {
    const rect = this.viewport.getBoundingClientRect();
    const x = (rect.width / 2 - this.view.x) / this.view.zoom - CARD_WIDTH / 2;
    const y = (rect.height / 2 - this.view.y) / this.view.zoom - 60;
    return { x: Math.round(x), y: Math.round(y) };
  }

  /** Returns the place nearest `point`, on a grid around it, where no card sits. */
  freeSpot(point) {
    const taken = [...this.cards.values()].map((card) => ({
      x: parseFloat(card.style.left),
      y: parseFloat(card.style.top),
      width: card.offsetWidth,
      height: card.offsetHeight,
    }));
    const overlaps = (x, y) =>
      taken.some((r) => x < r.x + r.width + 20 && x + CARD_WIDTH + 20 > r.x && y < r.y + r.height + 20 && y + 140 > r.y);
    for (let ring = 0; ring < 8; ring += 1) {
      for (let dy = -ring; dy <= ring; dy += 1) {
        for (let dx = -ring; dx <= ring; dx += 1) {
          if (Math.max(Math.abs(dx), Math.abs(dy)) !== ring) continue;
          const x = point.x + dx * GRID_X;
          const y = point.y + dy * GRID_Y;
          if (!overlaps(x, y)) return { x, y };
        }
      }
    }
    return point;
  }

  /**
   * Draws the cards and edges of `components`. Existing cards are updated in place, so
   * a reload during a drag or while a card has focus keeps both.
   */
  render(components, positions, selected) {
    this.components = components;
    this.positions = positions;
    const names = new Set(components.map((c) => c.name));
    for (const [name, card] of this.cards) {
      if (!names.has(name)) {
        card.remove();
        this.cards.delete(name);
      }
    }
    components.forEach((component, index) => {
      let card = this.cards.get(component.name);
      if (!card) {
        card = this.createCard();
        this.surface.append(card);
        this.cards.set(component.name, card);
      }
      card.component = component;
      this.fillCard(card, component, component.name === selected);
      if (!card.classList.contains('dragging')) {
        const place = positions.get(component.id) || defaultPlace(component, index, components);
        card.style.left = `${place.x}px`;
        card.style.top = `${place.y}px`;
      }
    });
    this.empty.hidden = components.length > 0;
    this.drawEdges();
  }

  createCard() {
    const card = h('article', { tabindex: '0' });
    card.addEventListener('click', () => this.onSelect(card.component.name));
    card.addEventListener('keydown', (event) => this.cardKey(event, card));
    this.bindDrag(card);
    return card;
  }

  fillCard(card, component, selected) {
    const view = describe(component);
    const dragging = card.classList.contains('dragging');
    card.className = `card ${view.state}${selected ? ' selected' : ''}${component.deleted ? ' deleted' : ''}${dragging ? ' dragging' : ''}`;
    card.setAttribute('aria-label', `${component.name}, ${component.schema}. ${view.summary}. Press Enter to open, arrow keys to move.`);
    if (selected) card.setAttribute('aria-current', 'true');
    else card.removeAttribute('aria-current');
    card.dataset.component = component.name;
    card.dataset.componentId = component.id;
    replace(
      card,
      h(
        'header',
        {},
        h('span', { class: 'card-name' }, component.name),
        component.change ? h('span', { class: `badge change-${component.change}` }, component.change) : null,
      ),
      h('p', { class: 'card-schema' }, component.schema),
      h('p', { class: `card-qualification ${view.qualificationClass}`, 'data-role': 'qualification' }, view.qualification),
      view.resource ? h('p', { class: 'card-resource', 'data-role': 'resource' }, view.resource) : null,
    );
  }

  cardKey(event, card) {
    const { component } = card;
    if (event.target !== card) return;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.onSelect(component.name);
      return;
    }
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const step = event.shiftKey ? KEY_STEP * 5 : KEY_STEP;
    const x = parseFloat(card.style.left) + move[0] * step;
    const y = parseFloat(card.style.top) + move[1] * step;
    this.place(card, component, x, y);
    clearTimeout(card.saveTimer);
    card.saveTimer = setTimeout(() => this.onMove(component.id, x, y), 400);
  }

  bindDrag(card) {
    let drag = null;
    card.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      drag = {
        startX: event.clientX,
        startY: event.clientY,
        left: parseFloat(card.style.left),
        top: parseFloat(card.style.top),
        moved: false,
      };
      card.setPointerCapture(event.pointerId);
    });
    card.addEventListener('pointermove', (event) => {
      if (!drag) return;
      const dx = (event.clientX - drag.startX) / this.view.zoom;
      const dy = (event.clientY - drag.startY) / this.view.zoom;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      drag.moved = true;
      card.classList.add('dragging');
      this.place(card, card.component, Math.round(drag.left + dx), Math.round(drag.top + dy));
    });
    const end = () => {
      if (!drag) return;
      const moved = drag.moved;
      drag = null;
      card.classList.remove('dragging');
      if (moved) {
        // The click that follows a drag must not open the panel.
        card.addEventListener('click', (event) => event.stopImmediatePropagation(), { capture: true, once: true });
        this.onMove(card.component.id, parseFloat(card.style.left), parseFloat(card.style.top));
      }
    };
    card.addEventListener('pointerup', end);
    card.addEventListener('pointercancel', end);
  }

  place(card, component, x, y) {
    card.style.left = `${x}px`;
    card.style.top = `${y}px`;
    this.positions.set(component.id, { x, y });
    this.drawEdges();
  }

  /** Moves a card after another client moved it, unless this one is dragging it. */
  moveCard(componentId, x, y) {
    this.positions.set(componentId, { x, y });
    for (const card of this.cards.values()) {
      if (card.dataset.componentId === componentId && !card.classList.contains('dragging')) {
        card.style.left = `${x}px`;
        card.style.top = `${y}px`;
      }
    }
    this.drawEdges();
  }

  drawEdges() {
    const paths = [];
    for (const component of this.components) {
      const target = this.cards.get(component.name);
      for (const subscription of component.subscriptions || []) {
        const source = this.cards.get(subscription.source);
        if (!source || !target) continue;
        const from = anchor(source, 'right');
        const to = anchor(target, 'left');
        const bend = Math.max(40, Math.abs(to.x - from.x) / 2);
        const d = `M ${from.x} ${from.y} C ${from.x + bend} ${from.y}, ${to.x - bend} ${to.y}, ${to.x} ${to.y}`;
        const label = `${subscription.source}${subscription.source_path} → ${component.name}${subscription.path}`;
        paths.push(
          h('svg:path', { d, class: 'edge', 'data-edge': label }, h('svg:title', {}, label)),
          h('svg:circle', { cx: to.x, cy: to.y, r: 4, class: 'edge-end' }),
        );
      }
    }
    replace(this.edges, paths);
  }
}

function anchor(card, side) {
  const x = parseFloat(card.style.left) + (side === 'right' ? card.offsetWidth : 0);
  const y = parseFloat(card.style.top) + card.offsetHeight / 2;
  return { x, y };
}

/** Places cards without a stored position: credentials and regions on the first row. */
function defaultPlace(component, index, components) {
  const builtin = component.schema === 'AWS Credential' || component.schema === 'Region';
  const row = components.filter((c) => (c.schema === 'AWS Credential' || c.schema === 'Region') === builtin);
  const column = row.indexOf(component);
  return builtin ? { x: column * GRID_X, y: 0 } : { x: (column % 4) * GRID_X, y: GRID_Y * (1 + Math.floor(column / 4)) };
}

/** Summarizes a component's qualifications and resource for its card. */
export function describe(component) {
  const failures = (component.qualifications || []).filter((q) => q.status !== 'success');
  let qualification;
  let qualificationClass;
  if (component.schema === 'AWS Credential') {
    const credential = (component.qualifications || []).find((q) => q.name === 'credential');
    qualification = credential ? credential.message : 'not checked yet';
    qualificationClass = credential && credential.status === 'success' ? 'ok' : 'fail';
  } else if (failures.length === 0) {
    qualification = '✓ qualifications pass';
    qualificationClass = 'ok';
  } else {
    qualification = `✗ ${failures.length} failing: ${failures[0].message}`;
    qualificationClass = 'fail';
  }
  let resource = null;
  if (component.resource) {
    const { status, identifier } = component.resource;
    resource = `${status}${identifier ? ` · ${identifier}` : ''}`;
  } else if (component.schema !== 'AWS Credential' && component.schema !== 'Region') {
    resource = 'no resource yet';
  }
  const summary = `${qualification}${resource ? `. Resource: ${resource}` : ''}`;
  return { state: qualificationClass, qualification, qualificationClass, resource, summary };
}
