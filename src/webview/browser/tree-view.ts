/**
 * The explored tree as an SVG: depth left to right, edge width and colour by probability, node
 * size by effort (visits), the best path and the candidates' paths highlighted, the rest dimmed.
 * Pan and zoom with d3-zoom; keyboard navigation as in a tree view. Token text is set with
 * textContent only.
 */
import { select } from 'd3-selection';
import { zoom, zoomIdentity, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import { DEFAULT_LAYOUT, layoutTree, ROW, type DrawnNode, type TreeLayout } from '../tree-layout';
import type { PanelState } from '../protocol';
import { el, formatNumber, probabilityClass, showToken } from './render';

const SVG_NS = 'http://www.w3.org/2000/svg';
const MIN_ZOOM = 0.2;
/** Layout units kept around the tree when it is fitted: the largest circle, a label's width, a margin. */
const NODE_ROOM = 14;
const LABEL_ROOM = 100;
const FIT_PAD = 8;
/** Below this zoom the 11 px labels are smaller than 6 px: only the best path's and the candidates' are drawn. */
const LABEL_MIN_ZOOM = 0.55;
/** The least zoom the main path is shown at when the whole tree is too small to read (labels at 9 px). */
const READABLE_ZOOM = 0.8;

export interface TreeViewHooks {
  /** A node was chosen (click or Enter): the panel offers to insert the text up to it. */
  select(node: DrawnNode): void;
  showTooltip(anchor: Element, lines: readonly string[], alternatives: readonly { text: string; p: number }[]): void;
  hideTooltip(): void;
}

const PROTOTYPE_DOT = svg('circle', { tabindex: -1, role: 'treeitem', 'aria-describedby': 'token-tooltip' });

function nameOf(d: DrawnNode): string {
  if (d.id === '') return 'the cursor';
  const rank = d.candidateRank === undefined ? '' : `, candidate ${d.candidateRank + 1} ends here`;
  return `${showToken(d.text)}, p ${formatNumber(d.p * 100, 1)}%${d.best ? ', best path' : ''}${rank}`;
}

/** Entropy's regimes by the work each does at a step: a fork rolls out branches, a confident step takes the argmax. */
const REGIME_EFFORT: Readonly<Record<string, number>> = { branch: 9, lost: 7, explore: 7, adaptive: 5, lookahead: 4, confident: 3 };

/**
 * A node's size shows the effort spent there: MCTS's visits, the rank of beam's best candidate
 * through it, entropy's regime; other strategies, how many samples passed.
 */
function radiusOf(d: DrawnNode, strategy: string): number {
  if (d.folded !== undefined) return 6;
  if (d.id === '') return 4;
  if (strategy === 'beam') return d.rankThrough === undefined ? 3 : 3 + 6 / (1 + d.rankThrough);
  if (strategy === 'entropy' && d.regime) return REGIME_EFFORT[d.regime] ?? 4;
  return 3 + Math.min(9, 2 * Math.sqrt(d.visits));
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, className?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (className) node.setAttribute('class', className);
  return node;
}

export class TreeView {
  readonly element: HTMLElement;
  private readonly reset: HTMLButtonElement;
  private readonly canvas: SVGSVGElement;
  private readonly layer: SVGGElement;
  private readonly zoomer: ZoomBehavior<SVGSVGElement, unknown>;
  private expanded = new Set<string>();
  private state?: PanelState;
  private layout?: TreeLayout;
  private focusedId = '';
  private byId = new Map<string, DrawnNode>();
  private labels: SVGGElement;
  private transform: ZoomTransform = zoomIdentity;
  private labelFrame: number | undefined;
  private userMoved = false;
  /** The drawing's size on screen, kept so that nothing reads the layout while it is dirty. */
  private readonly size = { width: 600, height: 200 };
  /** Milliseconds the last render took (layout and DOM), shown in the panel. */
  lastRenderMs = 0;

  constructor(private readonly hooks: TreeViewHooks) {
    this.canvas = svg('svg', { role: 'tree', 'aria-label': 'Explored tree' }, 'tree-canvas');
    this.layer = svg('g', {});
    this.labels = svg('g', {});
    this.canvas.appendChild(this.layer);
    // An explicit extent: d3-zoom's default reads the SVG's width, which a relative width in a
    // hidden panel cannot resolve (it throws).
    const extent = (): [[number, number], [number, number]] => [[0, 0], [this.size.width, this.size.height]];
    this.zoomer = zoom<SVGSVGElement, unknown>().extent(extent).scaleExtent([MIN_ZOOM, 4]).on('zoom', (e: { transform: ZoomTransform; sourceEvent: unknown }) => {
      // Once the user pans or zooms, a resize keeps their view instead of fitting the tree again.
      if (e.sourceEvent) this.userMoved = true;
      this.transform = e.transform;
      this.layer.setAttribute('transform', e.transform.toString());
      if (this.labelFrame === undefined) {
        this.labelFrame = requestAnimationFrame(() => {
          this.labelFrame = undefined;
          if (this.layout) this.drawLabels();
        });
      }
    });
    select(this.canvas).call(this.zoomer).on('dblclick.zoom', null);
    this.reset = el('button', { className: 'tree-reset', text: 'Reset view' }) as HTMLButtonElement;
    this.reset.addEventListener('click', () => {
      this.userMoved = false;
      this.resetView();
    });
    this.element = el('div', { className: 'tree-view' });
    this.element.appendChild(this.canvas);
    this.listen();
    // The drawing takes the room the panel gives it (CSS), known only once it is on screen:
    // fit the tree again when that room changes, unless the user has moved the view.
    new ResizeObserver(() => {
      const [width, height] = [this.canvas.clientWidth, this.canvas.clientHeight];
      if (!width || !height || (width === this.size.width && height === this.size.height)) return;
      this.size.width = width;
      this.size.height = height;
      if (!this.layout) return;
      if (this.userMoved) this.drawLabels();
      else this.resetView();
    }).observe(this.canvas);
  }

  /**
   * The line above the drawing: `caption`, and the Reset view button at its end, outside the
   * drawing, so that the button covers no node whatever the view shows.
   */
  bar(caption: string): HTMLElement {
    // One line, so that a short panel keeps its height for the drawing; the whole caption on hover.
    const summary = el('p', { className: 'tree-summary', text: caption });
    summary.title = caption;
    return el('div', { className: 'tree-bar' }, [summary, this.reset]);
  }

  /**
   * Draws `state`'s tree. A snapshot of the same request keeps the folds opened, and is fitted
   * again as the search grows until the user pans or zooms (`keepView`: never, as when a fold
   * opens under the pointer).
   */
  render(state: PanelState, keepView = false): void {
    const t0 = performance.now();
    // Measured before the drawing changes, while the layout is still clean (reading it later forces one).
    this.size.width = this.canvas.clientWidth || this.size.width;
    const sameRequest = this.state?.requestId === state.requestId;
    if (!sameRequest) this.expanded = new Set();
    this.state = state;
    this.layout = layoutTree(state.tree.root, { ...DEFAULT_LAYOUT, expanded: this.expanded });
    this.byId = new Map(this.layout.nodes.map((d) => [d.id, d]));
    // Few elements draw fast: edges of one look share one path, a node is one circle, and only
    // the labels in view are drawn (text is what costs the browser most to lay out).
    this.labels = svg('g', { 'aria-hidden': 'true' }, 'tree-labels');
    this.layer.replaceChildren(...this.edges(this.layout), this.labels, ...this.layout.nodes.map((d) => this.node(d)));
    this.size.height = this.canvas.clientHeight || this.size.height;
    if (!sameRequest) this.userMoved = false;
    if (!sameRequest || (!keepView && !this.userMoved)) this.resetView();
    this.drawLabels();
    // Reading the drawing's box makes the browser lay it out now, so the time includes that.
    this.layer.getBBox();
    this.lastRenderMs = performance.now() - t0;
  }

  /** The edges, as one path per look (probability class, width step, dimmed, best). */
  private edges(layout: TreeLayout): SVGPathElement[] {
    const groups = new Map<string, string[]>();
    for (const { from, to } of layout.links) {
      const fold = to.folded !== undefined;
      const width = fold ? 1 : Math.round(2 * (1 + 4 * to.p)) / 2;
      const key = `${fold ? 'fold' : probabilityClass(to.p)}${to.onCandidate ? '' : ' dim'}${to.best ? ' best' : ''}|${width}`;
      const mid = (from.x + to.x) / 2;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push(`M${from.x},${from.y}C${mid},${from.y} ${mid},${to.y} ${to.x},${to.y}`);
    }
    return [...groups].map(([key, parts]) => {
      const [cls, width] = key.split('|');
      return svg('path', { d: parts.join(''), 'stroke-width': width! }, `tree-link ${cls}`);
    });
  }

  /**
   * Zoom to fit: the whole tree, labels included, in view and centred, whatever its shape (a wide
   * beam, a deep MCTS tree); never magnified past 1.5×. Where the whole tree would be too small to
   * read (a short panel, a big search), the main path instead, from the cursor on, at a zoom its
   * labels can be read at, with what fits around it; zooming out shows the rest.
   */
  private resetView(): void {
    const layout = this.layout;
    if (!layout || layout.nodes.length === 0) return;
    const { width, height } = this.size;
    let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const d of layout.nodes) {
      minX = Math.min(minX, d.x);
      maxX = Math.max(maxX, d.x);
      minY = Math.min(minY, d.y);
      maxY = Math.max(maxY, d.y);
    }
    // Room for the largest circle around every node, and for the labels right of the last column (its width).
    [minX, maxX, minY, maxY] = [minX - NODE_ROOM, Math.max(maxX + NODE_ROOM, layout.width), minY - NODE_ROOM, maxY + NODE_ROOM];
    const [roomX, roomY] = [width - 2 * FIT_PAD, height - 2 * FIT_PAD];
    const whole = Math.min(1.5, roomX / (maxX - minX), roomY / (maxY - minY));
    this.zoomer.scaleExtent([Math.min(MIN_ZOOM, whole), 4]);
    let transform = zoomIdentity.translate((width - (maxX - minX) * whole) / 2 - minX * whole, FIT_PAD + (roomY - (maxY - minY) * whole) / 2 - minY * whole).scale(whole);
    if (whole < LABEL_MIN_ZOOM) {
      // The main path is the row the root is on (tree-layout.ts draws it straight).
      const root = layout.nodes[0]!;
      const pathEnd = Math.max(...layout.nodes.filter((d) => d.y === root.y).map((d) => d.x)) + LABEL_ROOM;
      const k = Math.min(1, Math.max(READABLE_ZOOM, roomX / (pathEnd - minX)));
      const x = Math.max(FIT_PAD - minX * k, (width - (pathEnd - minX) * k) / 2 - minX * k);
      transform = zoomIdentity.translate(x, FIT_PAD + roomY / 2 - root.y * k).scale(k);
    }
    select(this.canvas).call(this.zoomer.transform, transform);
  }

  /** Labels of the nodes within the view (and a margin), after a render or a pan or zoom. */
  private drawLabels(): void {
    const { k, x, y } = this.transform;
    // A little beyond the view, so that a pan shows no gap before the next frame redraws them;
    // text is what costs a drawing most, so no more.
    const margin = 2 * ROW;
    const [left, top] = [(-x - margin) / k, (-y - margin) / k];
    const [right, bottom] = [(this.size.width - x + margin) / k, (this.size.height - y + margin) / k];
    const few = k < LABEL_MIN_ZOOM;
    const shown = this.layout!.nodes.filter((d) => d.x >= left && d.x <= right && d.y >= top && d.y <= bottom && (!few || d.best || d.candidateRank !== undefined || d.id === ''));
    this.labels.replaceChildren(...shown.map((d) => this.label(d)));
  }

  private label(d: DrawnNode): SVGTextElement {
    // Off the candidates' paths a label is quieter (the theme's description colour, still AA
    // contrast); the dimming itself is the edge's.
    const label = svg('text', { x: d.x + radiusOf(d, this.state!.strategy) + 3, y: d.y + 4 }, d.onCandidate || d.folded !== undefined ? undefined : 'off-path');
    label.textContent = d.label;
    return label;
  }

  /** A node's circle: focusable, the tree item (its label is text only, hidden from assistive technology). */
  private node(d: DrawnNode): SVGCircleElement {
    const fold = d.folded !== undefined;
    // Cloning a prepared circle and setting what differs is the cheapest way to make hundreds.
    const dot = PROTOTYPE_DOT.cloneNode() as SVGCircleElement;
    let cls = fold ? 'tree-node fold' : `tree-node ${probabilityClass(d.p)}`;
    if (!d.onCandidate && !fold) cls += ' dim';
    if (d.best) cls += ' best';
    if (d.candidateRank !== undefined) cls += ' candidate';
    if (d.regime) cls += ` regime-${d.regime}`;
    dot.setAttribute('class', cls);
    dot.setAttribute('cx', String(d.x));
    dot.setAttribute('cy', String(d.y));
    dot.setAttribute('r', radiusOf(d, this.state!.strategy).toFixed(1));
    if (d.id === this.focusedId) dot.setAttribute('tabindex', '0');
    dot.setAttribute('aria-level', String(d.depth + 1));
    // A short name; the details (entropy, visits, value, alternatives) are the tooltip it describes on focus.
    dot.setAttribute('aria-label', fold ? `${d.folded} more explored nodes, folded` : nameOf(d));
    if (fold) dot.setAttribute('aria-expanded', 'false');
    dot.setAttribute('data-id', d.id);
    return dot;
  }

  /** One listener per event for all nodes. */
  private listen(): void {
    const target = (e: Event) => {
      const id = (e.target as SVGElement).dataset?.id;
      return id === undefined ? undefined : this.byId.get(id);
    };
    this.layer.addEventListener('click', (e) => {
      const d = target(e);
      if (d) this.choose(d);
    });
    this.layer.addEventListener('keydown', (e) => {
      const d = target(e);
      if (d) this.onKey(e, d);
    });
    const show = (e: Event) => {
      const d = target(e);
      if (d && d.folded === undefined && d.id !== '') this.hooks.showTooltip(e.target as Element, this.describe(d), this.alternatives(d));
    };
    this.layer.addEventListener('mouseover', show);
    this.layer.addEventListener('focusin', show);
    this.layer.addEventListener('mouseout', () => this.hooks.hideTooltip());
    this.layer.addEventListener('focusout', () => this.hooks.hideTooltip());
  }

  private choose(d: DrawnNode): void {
    if (d.folded !== undefined) {
      this.expanded.add(d.parentId ?? '');
      this.focusedId = d.parentId ?? '';
      if (this.state) this.render(this.state, true);
      this.focus(this.focusedId);
      return;
    }
    this.focusedId = d.id;
    if (d.id !== '') this.hooks.select(d);
  }

  private describe(d: DrawnNode): string[] {
    const lines = [`${showToken(d.text)}: p ${formatNumber(d.p * 100, 1)}%`, `entropy ${d.entropyIsBound ? '≥ ' : ''}${formatNumber(d.entropy, 2)} nats`];
    if (d.visits) lines.push(`visits ${d.visits}`);
    if (d.value) lines.push(`value ${formatNumber(d.value, 3)}`);
    if (d.regime) lines.push(d.regime);
    if (d.candidateRank !== undefined) lines.push(`candidate #${d.candidateRank + 1} ends here`);
    if (d.best) lines.push('on the best path');
    return lines;
  }

  /**
   * The model's top tokens where this node was chosen: recorded on a candidate that passes through
   * it; elsewhere, the other tokens explored there.
   */
  private alternatives(d: DrawnNode): { text: string; p: number }[] {
    const state = this.state!;
    for (const c of state.candidates) {
      const through = c.tokens.slice(0, d.depth).map((t) => t.text).join('');
      if (c.tokens.length >= d.depth && through === d.prefix) return c.tokens[d.depth - 1]!.alternatives.map((a) => ({ text: a.text, p: Math.exp(a.logprob) }));
    }
    const siblings = this.layout!.nodes.filter((n) => n.parentId === d.parentId && n.folded === undefined);
    return siblings.map((n) => ({ text: n.text, p: n.p })).sort((a, b) => b.p - a.p).slice(0, 5);
  }

  private onKey(e: KeyboardEvent, d: DrawnNode): void {
    const nodes = this.layout!.nodes;
    // Up and Down go through the siblings as they are drawn, top to bottom.
    const siblings = nodes.filter((n) => n.parentId === d.parentId && n.depth === d.depth).sort((a, b) => a.y - b.y);
    const at = siblings.findIndex((n) => n.id === d.id);
    let to: DrawnNode | undefined;
    if (e.key === 'ArrowLeft') to = nodes.find((n) => n.id === d.parentId);
    else if (e.key === 'ArrowRight') to = nodes.find((n) => n.parentId === d.id);
    else if (e.key === 'ArrowUp') to = siblings[at - 1];
    else if (e.key === 'ArrowDown') to = siblings[at + 1];
    else if (e.key === 'Home') to = nodes[0];
    else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.choose(d);
      return;
    } else return;
    e.preventDefault();
    if (to) this.focus(to.id);
  }

  private focus(id: string): void {
    this.focusedId = id;
    for (const dot of this.layer.querySelectorAll<SVGCircleElement>('circle.tree-node')) {
      const focused = dot.dataset.id === id;
      dot.setAttribute('tabindex', focused ? '0' : '-1');
      if (focused) dot.focus();
    }
    const d = this.byId.get(id);
    if (d) this.keepInView(d);
  }

  /** The view may show only part of the tree: a node the keyboard moves to is brought on screen (a pan, the zoom kept). */
  private keepInView(d: DrawnNode): void {
    const { k } = this.transform;
    const [x, y] = this.transform.apply([d.x, d.y]);
    const { width, height } = this.size;
    if (x >= FIT_PAD + NODE_ROOM * k && x <= width - LABEL_ROOM * k && y >= FIT_PAD && y <= height - FIT_PAD) return;
    select(this.canvas).call(this.zoomer.translateTo, d.x, d.y);
  }
}
