/**
 * Where each node of the explored tree is drawn: d3-hierarchy's tidy tree over the nodes worth
 * drawing. Candidates' paths are always drawn; other subtrees below a visit or probability
 * threshold, or past a size limit, fold into one "+N" node that expands on demand. Pure: the
 * panel draws the result, the unit tests check it.
 */
import { hierarchy, tree as tidyTree } from 'd3-hierarchy';
import type { TreeNode } from '../decoding/candidate-tree';

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

/** Pixels between depths, and between neighbouring leaves. */
export const COLUMN = 96;
export const ROW = 24;

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

function place(top: Item, marks: Map<TreeNode, Marks>, folded: number): TreeLayout {
  const laidOut = tidyTree<Item>().nodeSize([ROW, COLUMN])(hierarchy(top, (i) => i.children));
  const byItem = new Map<Item, DrawnNode>();
  const nodes: DrawnNode[] = [];
  let minY = Infinity;
  let maxY = -Infinity;
  laidOut.each((h) => (minY = Math.min(minY, h.x), maxY = Math.max(maxY, h.x)));
  laidOut.each((h) => {
    const { node, id, tokens, prefix } = h.data;
    const m = marks.get(node)!;
    const isFold = h.data.folded !== undefined;
    const drawnNode: DrawnNode = {
      id,
      ...(h.parent ? { parentId: h.parent.data.id } : {}),
      tokens,
      text: isFold ? `+${h.data.folded}` : node.text,
      prefix,
      p: isFold ? 0 : Math.exp(node.logprob),
      entropy: isFold ? 0 : (node.entropyAtLeast ?? node.entropy),
      ...(node.entropyAtLeast !== undefined && !isFold ? { entropyIsBound: true } : {}),
      visits: isFold ? 0 : node.visits,
      value: isFold ? 0 : node.value,
      ...(node.regime && !isFold ? { regime: node.regime } : {}),
      ...(node.candidateRank !== undefined && !isFold ? { candidateRank: node.candidateRank } : {}),
      depth: h.depth,
      // Depth runs left to right; d3's x is the position across siblings.
      x: h.depth * COLUMN,
      y: h.x - minY,
      best: !isFold && m.best,
      ...(!isFold && m.rank !== Infinity ? { rankThrough: m.rank } : {}),
      onCandidate: !isFold && m.onCandidate,
      ...(isFold ? { folded: h.data.folded } : {}),
    };
    byItem.set(h.data, drawnNode);
    nodes.push(drawnNode);
  });
  const links = laidOut.links().map((l) => ({ from: byItem.get(l.source.data)!, to: byItem.get(l.target.data)! }));
  return { nodes, links, folded, width: (laidOut.height + 1) * COLUMN, height: maxY - minY + ROW };
}
