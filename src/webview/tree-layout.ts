/**
 * Where each node of the explored tree is drawn: d3-hierarchy's tidy tree over the nodes worth
 * drawing. Candidates' paths are always drawn; other subtrees below a visit or probability
 * threshold, or past a size limit, fold into one "+N" node that expands on demand. Pure: the
 * panel draws the result, the unit tests check it.
 */
import { hierarchy, tree as tidyTree } from 'd3-hierarchy';
import type { TreeNode } from '../decoding/candidate-tree';
import { showToken } from './token-text';

export interface LayoutOptions {
  /** Most nodes drawn before the rest fold (candidates' paths are drawn whatever this says). */
  readonly maxNodes: number;
  /** A subtree whose root has fewer visits folds (MCTS: where the search spent little). */
  readonly minVisits: number;
  /** A subtree whose root is less likely than this folds. */
  readonly minProbability: number;
  /** Ids of nodes whose folded children the user opened. */
  readonly expanded: ReadonlySet<string>;
}

export const DEFAULT_LAYOUT: LayoutOptions = { maxNodes: 250, minVisits: 2, minProbability: 0.02, expanded: new Set() };

export interface DrawnNode {
  /** The token ids from the root, joined by '/' ('' for the root); stable across snapshots. */
  readonly id: string;
  readonly parentId?: string;
  readonly tokens: readonly number[];
  readonly text: string;
  /** What the panel writes beside the node (labelOf). */
  readonly label: string;
  /** The text from the cursor to the end of this node. */
  readonly prefix: string;
  readonly p: number;
  /** Nats; the least it can be when `entropyIsBound` (only the top N tokens were read). */
  readonly entropy: number;
  readonly entropyIsBound?: boolean;
  readonly visits: number;
  readonly value: number;
  readonly regime?: string;
  readonly candidateRank?: number;
  readonly depth: number;
  readonly x: number;
  readonly y: number;
  /** On the best candidate's path (the committed path). */
  readonly best: boolean;
  /** On the path of some final candidate; the rest are branches the search left. */
  readonly onCandidate: boolean;
  /** The best rank (0 = first) of the candidates whose path passes through this node. */
  readonly rankThrough?: number;
  /** A fold: how many explored nodes it stands for. */
  readonly folded?: number;
}

export interface TreeLayout {
  readonly nodes: readonly DrawnNode[];
  readonly links: readonly { readonly from: DrawnNode; readonly to: DrawnNode }[];
  /** Explored nodes not drawn (inside folds). */
  readonly folded: number;
  readonly width: number;
  readonly height: number;
}

/** Pixels between depths at most, and between neighbouring leaves. */
export const COLUMN = 96;
export const ROW = 24;
/** The longest label drawn, in characters (a longer token ends in "…"). */
const MAX_LABEL = 14;
/**
 * A depth's column is as wide as its longest label needs (11 px monospace, about 6.7 px a
 * character) plus the largest circles on both sides and a gap, between these bounds: short tokens,
 * the usual case, make a narrower tree that a panel can draw larger.
 */
const LABEL_CHAR = 6.7;
const COLUMN_FIXED = 35;
const MIN_COLUMN = 48;

/** A node's label as the panel draws it: "cursor" at the root, "+N" on a fold, else the token with its whitespace shown, cut at MAX_LABEL. */
function labelOf(item: Item): string {
  const text = item.id === '' ? 'cursor' : item.folded !== undefined ? `+${item.folded}` : showToken(item.node.text);
  return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
}

interface Marks {
  best: boolean;
  onCandidate: boolean;
  size: number;
  /** The best rank of a candidate that passes through (Infinity: none). */
  rank: number;
}

interface Item {
  readonly node: TreeNode;
  readonly id: string;
  readonly tokens: number[];
  readonly prefix: string;
  readonly children: Item[];
  folded?: number;
}

export function layoutTree(root: TreeNode, options: LayoutOptions = DEFAULT_LAYOUT): TreeLayout {
  const marks = new Map<TreeNode, Marks>();
  markPaths(root, marks);
  const top: Item = { node: root, id: '', tokens: [], prefix: '', children: [] };
  let drawn = 1;
  let folded = 0;
  // Breadth first, so a size limit folds the deepest, least visited parts first.
  const queue: Item[] = [top];
  while (queue.length > 0) {
    const item = queue.shift()!;
    const open = options.expanded.has(item.id);
    let hidden = 0;
    for (const child of orderChildren(item.node, marks)) {
      const m = marks.get(child)!;
      const worth = m.onCandidate || open || (child.visits >= options.minVisits || Math.exp(child.logprob) >= options.minProbability);
      if (!m.onCandidate && !open && (!worth || drawn >= options.maxNodes)) {
        hidden += m.size;
        continue;
      }
      const tokens = [...item.tokens, child.token];
      const next: Item = { node: child, id: tokens.join('/'), tokens, prefix: item.prefix + child.text, children: [] };
      item.children.push(next);
      queue.push(next);
      drawn++;
    }
    if (hidden > 0) {
      item.children.push({ node: item.node, id: `${item.id}/+`, tokens: item.tokens, prefix: item.prefix, children: [], folded: hidden });
      folded += hidden;
    }
  }
  return place(top, marks, folded);
}

/** Best-candidate path first, then other candidates' paths, then by visits and probability. */
function orderChildren(node: TreeNode, marks: Map<TreeNode, Marks>): TreeNode[] {
  return [...node.children].sort((a, b) => {
    const [ma, mb] = [marks.get(a)!, marks.get(b)!];
    // Log-probabilities compared, not subtracted: two -Infinity would give NaN.
    return Number(mb.best) - Number(ma.best) || Number(mb.onCandidate) - Number(ma.onCandidate) || b.visits - a.visits || (b.logprob > a.logprob ? 1 : b.logprob < a.logprob ? -1 : 0);
  });
}

function markPaths(node: TreeNode, marks: Map<TreeNode, Marks>): Marks {
  const m: Marks = { best: node.candidateRank === 0, onCandidate: node.candidateRank !== undefined, size: 1, rank: node.candidateRank ?? Infinity };
  for (const child of node.children) {
    const c = markPaths(child, marks);
    m.best ||= c.best;
    m.onCandidate ||= c.onCandidate;
    m.size += c.size;
    m.rank = Math.min(m.rank, c.rank);
  }
  marks.set(node, m);
  return m;
}

/** How far from the spine each column of a side is taken, in layout units (the spine's row is 0). */
type Skyline = Map<number, number>;

/**
 * The main path (the best candidate's, else the most visited) runs straight along one row, so it
 * reads left to right like the text it is and a short panel can show it at a readable zoom; every
 * other subtree is laid out by d3's tidy tree and packed above or below it, nearest first in order
 * of importance (candidates by rank, then visits, then probability), each column only as far out
 * as the subtrees placed there need.
 */
function place(top: Item, marks: Map<TreeNode, Marks>, folded: number): TreeLayout {
  // The first child is the main path's (orderChildren); it ends where the best candidate does.
  const spine: Item[] = [top];
  for (let at = top.children[0]; at && at.folded === undefined && spine.at(-1)!.node.candidateRank !== 0; at = at.children[0]) spine.push(at);
  const onSpine = new Set(spine);
  const sides: { item: Item; depth: number }[] = [];
  spine.forEach((s, depth) => s.children.forEach((c) => onSpine.has(c) || sides.push({ item: c, depth: depth + 1 })));
  const marksOf = (i: Item): Marks => marks.get(i.node)!;
  sides.sort((a, b) => {
    const [ra, rb] = [marksOf(a.item).rank, marksOf(b.item).rank];
    const [fa, fb] = [a.item.folded !== undefined, b.item.folded !== undefined];
    return Number(fa) - Number(fb) || (ra === rb ? 0 : ra < rb ? -1 : 1) || b.item.node.visits - a.item.node.visits
      || (b.item.node.logprob > a.item.node.logprob ? 1 : b.item.node.logprob < a.item.node.logprob ? -1 : 0) || a.depth - b.depth;
  });
  const at = new Map<Item, { depth: number; y: number }>();
  spine.forEach((s, depth) => at.set(s, { depth, y: 0 }));
  const skylines: [Skyline, Skyline] = [new Map(), new Map()];
  for (const { item, depth } of sides) {
    const laidOut = tidyTree<Item>().nodeSize([ROW, COLUMN])(hierarchy(item, (i) => i.children));
    // Per column of the subtree, its extent across, relative to its root.
    const extent = new Map<number, [number, number]>();
    laidOut.each((h) => {
      const e = extent.get(h.depth);
      extent.set(h.depth, e ? [Math.min(e[0], h.x), Math.max(e[1], h.x)] : [h.x, h.x]);
    });
    // The same distances from the spine on either side (above, the subtree is drawn mirrored), so
    // its first child is the nearest to the spine wherever it goes.
    const offsets = skylines.map((sky) => {
      let offset = 0;
      for (const [d, [lo]] of extent) offset = Math.max(offset, (sky.get(depth + d) ?? 0) + ROW - lo);
      return offset;
    });
    const side = offsets[0]! <= offsets[1]! ? 0 : 1;
    const offset = offsets[side]!;
    for (const [d, [, hi]] of extent) skylines[side].set(depth + d, offset + hi);
    laidOut.each((h) => at.set(h.data, { depth: depth + h.depth, y: (side === 0 ? 1 : -1) * (offset + h.x) }));
  }
  let minY = 0;
  let maxY = 0;
  const widths: number[] = [];
  const labels = new Map<Item, string>();
  for (const [item, { y, depth }] of at) {
    [minY, maxY] = [Math.min(minY, y), Math.max(maxY, y)];
    const label = labelOf(item);
    labels.set(item, label);
    widths[depth] = Math.max(widths[depth] ?? MIN_COLUMN, Math.min(COLUMN, COLUMN_FIXED + LABEL_CHAR * label.length));
  }
  const xs = [0];
  for (let d = 1; d < widths.length; d++) xs[d] = xs[d - 1]! + widths[d - 1]!;
  const nodes: DrawnNode[] = [];
  const links: { from: DrawnNode; to: DrawnNode }[] = [];
  // Breadth first, the root first and each node's children in order of importance (the main path's first).
  const queue: { item: Item; parent?: DrawnNode }[] = [{ item: top }];
  while (queue.length > 0) {
    const { item, parent } = queue.shift()!;
    const drawn = drawnNode(item, parent, at.get(item)!, xs, minY, marksOf(item), labels.get(item)!);
    nodes.push(drawn);
    if (parent) links.push({ from: parent, to: drawn });
    for (const c of item.children) queue.push({ item: c, parent: drawn });
  }
  return { nodes, links, folded, width: xs.at(-1)! + widths.at(-1)!, height: maxY - minY + ROW };
}

function drawnNode(item: Item, parent: DrawnNode | undefined, at: { depth: number; y: number }, xs: readonly number[], minY: number, m: Marks, label: string): DrawnNode {
  const { node, id, tokens, prefix } = item;
  const isFold = item.folded !== undefined;
  return {
    id,
    ...(parent ? { parentId: parent.id } : {}),
    tokens,
    text: isFold ? `+${item.folded}` : node.text,
    label,
    prefix,
    p: isFold ? 0 : Math.exp(node.logprob),
    entropy: isFold ? 0 : (node.entropyAtLeast ?? node.entropy),
    ...(node.entropyAtLeast !== undefined && !isFold ? { entropyIsBound: true } : {}),
    visits: isFold ? 0 : node.visits,
    value: isFold ? 0 : node.value,
    ...(node.regime && !isFold ? { regime: node.regime } : {}),
    ...(node.candidateRank !== undefined && !isFold ? { candidateRank: node.candidateRank } : {}),
    depth: at.depth,
    // Depth runs left to right, each column as wide as its labels; y across, from the top of the drawing.
    x: xs[at.depth]!,
    y: at.y - minY,
    best: !isFold && m.best,
    ...(!isFold && m.rank !== Infinity ? { rankThrough: m.rank } : {}),
    onCandidate: !isFold && m.onCandidate,
    ...(isFold ? { folded: item.folded } : {}),
  };
}
