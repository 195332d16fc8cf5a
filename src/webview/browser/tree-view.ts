/**
 * The explored tree as an SVG: depth left to right, edge width and colour by probability, node
 * size by effort (visits), the best path and the candidates' paths highlighted, the rest dimmed.
 * Pan and zoom with d3-zoom; keyboard navigation as in a tree view. Token text is set with
 * textContent only.
 */
import { select } from 'd3-selection';
import { zoom, zoomIdentity, type ZoomBehavior } from 'd3-zoom';
import { DEFAULT_LAYOUT, layoutTree, type DrawnNode, type TreeLayout } from '../tree-layout';
import type { PanelState } from '../protocol';
import { el, formatNumber, probabilityClass, showToken } from './render';

const SVG_NS = 'http://www.w3.org/2000/svg';
const MAX_LABEL = 14;

export interface TreeViewHooks {
  /** A node was chosen (click or Enter): the panel offers to insert the text up to it. */
  select(node: DrawnNode): void;
  showTooltip(anchor: Element, lines: readonly string[], alternatives: readonly { text: string; p: number }[]): void;
  hideTooltip(): void;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, className?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (className) node.setAttribute('class', className);
  return node;
}

export class TreeView {
  readonly element: HTMLElement;
  private readonly canvas: SVGSVGElement;
  private readonly layer: SVGGElement;
  private readonly zoomer: ZoomBehavior<SVGSVGElement, unknown>;
  private expanded = new Set<string>();
  private state?: PanelState;
  private layout?: TreeLayout;
  private focusedId = '';
  /** Milliseconds the last render took (layout and DOM), shown in the panel. */
  lastRenderMs = 0;

  constructor(private readonly hooks: TreeViewHooks) {
    this.canvas = svg('svg', { role: 'tree', 'aria-label': 'Explored tree' }, 'tree-canvas');
    this.layer = svg('g', {});
    this.canvas.appendChild(this.layer);
    // An explicit extent: d3-zoom's default reads the SVG's width, which a relative width in a
    // hidden panel cannot resolve (it throws).
    const extent = (): [[number, number], [number, number]] => [[0, 0], [this.canvas.clientWidth || 600, this.canvas.clientHeight || 200]];
    this.zoomer = zoom<SVGSVGElement, unknown>().extent(extent).scaleExtent([0.2, 4]).on('zoom', (e: { transform: { toString(): string } }) => this.layer.setAttribute('transform', e.transform.toString()));
    select(this.canvas).call(this.zoomer).on('dblclick.zoom', null);
    const reset = el('button', { className: 'tree-reset', text: 'Reset view' });
    reset.addEventListener('click', () => this.resetView());
    this.element = el('div', { className: 'tree-view' }, [reset]);
    this.element.appendChild(this.canvas);
  }

  /** Draws `state`'s tree; a snapshot of the same request keeps the view and the folds opened. */
  render(state: PanelState): void {
    const t0 = performance.now();
    const sameRequest = this.state?.requestId === state.requestId;
    if (!sameRequest) this.expanded = new Set();
    this.state = state;
    this.layout = layoutTree(state.tree.root, { ...DEFAULT_LAYOUT, expanded: this.expanded });
    const links = this.layout.links.map(({ from, to }) => {
      const mid = (from.x + to.x) / 2;
      const cls = `tree-link ${to.folded !== undefined ? 'fold' : probabilityClass(to.p)}${to.onCandidate ? '' : ' dim'}${to.best ? ' best' : ''}`;
      return svg('path', { d: `M${from.x},${from.y}C${mid},${from.y} ${mid},${to.y} ${to.x},${to.y}`, 'stroke-width': to.folded !== undefined ? 1 : (1 + 4 * to.p).toFixed(2) }, cls);
    });
    const nodes = this.layout.nodes.map((d) => this.node(d));
    this.layer.replaceChildren(...links, ...nodes);
    this.canvas.setAttribute('height', String(Math.min(360, Math.max(120, this.layout.height + 40))));
    if (!sameRequest) this.resetView();
    // Reading the drawing's box makes the browser lay it out now, so the time includes that.
    this.layer.getBBox();
    this.lastRenderMs = performance.now() - t0;
  }

  private resetView(): void {
    const height = Number(this.canvas.getAttribute('height') ?? 200);
    const rootY = this.layout?.nodes[0]?.y ?? 0;
    select(this.canvas).call(this.zoomer.transform, zoomIdentity.translate(16, height / 2 - rootY));
  }

  private node(d: DrawnNode): SVGGElement {
    const fold = d.folded !== undefined;
    const cls = ['tree-node', fold ? 'fold' : probabilityClass(d.p), d.onCandidate || fold ? '' : 'dim', d.best ? 'best' : '', d.candidateRank !== undefined ? 'candidate' : '', d.regime ? `regime-${d.regime}` : ''].filter(Boolean).join(' ');
    const g = svg('g', { transform: `translate(${d.x},${d.y})`, tabindex: d.id === this.focusedId ? 0 : -1, role: 'treeitem', 'aria-level': d.depth + 1 }, cls);
    g.setAttribute('aria-label', fold ? `${d.folded} more explored nodes, folded` : this.describe(d).join(', '));
    if (fold) g.setAttribute('aria-expanded', 'false');
    g.dataset.id = d.id;
    const radius = fold ? 6 : d.id === '' ? 4 : 3 + Math.min(9, 2 * Math.sqrt(d.visits));
    g.appendChild(svg('circle', { r: radius.toFixed(1) }));
    const label = svg('text', { x: radius + 3, dy: '0.32em' });
    const text = d.id === '' ? 'cursor' : fold ? d.text : showToken(d.text);
    label.textContent = text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
    g.appendChild(label);
    g.addEventListener('click', () => this.choose(d));
    g.addEventListener('keydown', (e) => this.onKey(e, d));
    if (!fold && d.id !== '') {
      const show = () => this.hooks.showTooltip(g, this.describe(d), this.alternatives(d));
      g.addEventListener('mouseenter', show);
      g.addEventListener('focus', show);
      g.addEventListener('mouseleave', () => this.hooks.hideTooltip());
      g.addEventListener('blur', () => this.hooks.hideTooltip());
    }
    return g;
  }

  private choose(d: DrawnNode): void {
    if (d.folded !== undefined) {
      this.expanded.add(d.parentId ?? '');
      this.focusedId = d.parentId ?? '';
      if (this.state) this.render(this.state);
      this.focus(this.focusedId);
      return;
    }
    this.focusedId = d.id;
    if (d.id !== '') this.hooks.select(d);
  }

  private describe(d: DrawnNode): string[] {
    const lines = [`${showToken(d.text)}: p ${formatNumber(d.p * 100, 1)}%`, `entropy ${formatNumber(d.entropy, 2)} nats`];
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
    const siblings = nodes.filter((n) => n.parentId === d.parentId && n.depth === d.depth);
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
    for (const g of this.layer.querySelectorAll<SVGGElement>('g.tree-node')) g.setAttribute('tabindex', g.dataset.id === id ? '0' : '-1');
    this.focusedId = id;
    [...this.layer.querySelectorAll<SVGGElement>('g.tree-node')].find((g) => g.dataset.id === id)?.focus();
  }
}
