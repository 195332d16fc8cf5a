import * as assert from 'node:assert/strict';
import type { TreeNode } from '../../src/decoding/candidate-tree';
import { COLUMN, layoutTree } from '../../src/webview/tree-layout';

/** A node with probability p (not log), visits, and children. */
function n(token: number, text: string, p: number, visits: number, children: TreeNode[] = [], candidateRank?: number): TreeNode {
  return { token, text, logprob: Math.log(p), entropy: 1, visits, value: 0, children, ...(candidateRank !== undefined ? { candidateRank } : {}) };
}

// root → "a"(0.6, best candidate "ab") | "c"(0.3, candidate #2) | "d"(0.01, 1 visit, with a child) | "e"(0.09)
const sample = () => n(-1, '', 1, 10, [
  n(1, 'a', 0.6, 6, [n(2, 'b', 0.9, 6, [], 0)]),
  n(3, 'c', 0.3, 2, [], 1),
  n(4, 'd', 0.01, 1, [n(5, 'x', 0.5, 1)]),
  n(6, 'e', 0.09, 1),
]);

describe('tree layout', () => {
  it('draws every node of a small tree, depth left to right, the best path first and marked', () => {
    const layout = layoutTree(sample(), { maxNodes: 100, minVisits: 0, minProbability: 0, expanded: new Set() });
    assert.equal(layout.nodes.length, 7);
    assert.equal(layout.folded, 0);
    const byId = new Map(layout.nodes.map((d) => [d.id, d]));
    assert.deepEqual(layout.nodes.filter((d) => d.best).map((d) => d.id), ['', '1', '1/2']);
    assert.deepEqual(layout.nodes.filter((d) => d.onCandidate).map((d) => d.id).sort(), ['', '1', '1/2', '3']);
    assert.equal(byId.get('1/2')!.prefix, 'ab');
    assert.deepEqual(['', '1', '1/2'].map((id) => byId.get(id)!.label), ['cursor', 'a', 'b']);
    // Columns as wide as their labels: "cursor" (6 characters) 35 + 6 × 6.7; one-character tokens the least, 48.
    assert.deepEqual(['', '1', '1/2'].map((id) => Math.round(byId.get(id)!.x * 1000) / 1000), [0, 75.2, 123.2]);
    assert.equal(byId.get('1/2')!.candidateRank, 0);
    // Beam draws a node by the best rank of a candidate through it.
    assert.deepEqual(['', '1', '3', '4'].map((id) => byId.get(id)!.rankThrough), [0, 0, 1, undefined]);
    assert.ok(Math.abs(byId.get('3')!.p - 0.3) < 1e-12);
    // The second candidate nearest the best path, below it; the least likely furthest.
    assert.ok(byId.get('1')!.y < byId.get('3')!.y && byId.get('3')!.y < byId.get('4')!.y);
    assert.equal(layout.links.length, 6);
  });

  it('folds subtrees under both thresholds into one "+N" node, and opens it on demand', () => {
    const folded = layoutTree(sample(), { maxNodes: 100, minVisits: 2, minProbability: 0.05, expanded: new Set() });
    // "d" (p 0.01, 1 visit) and its child fold; "e" (p 0.09) stays.
    assert.deepEqual(folded.nodes.map((d) => d.id).sort(), ['', '/+', '1', '1/2', '3', '6']);
    const fold = folded.nodes.find((d) => d.folded !== undefined)!;
    assert.equal(fold.folded, 2);
    assert.equal(fold.text, '+2');
    assert.equal(fold.parentId, '');
    assert.equal(folded.folded, 2);
    const opened = layoutTree(sample(), { maxNodes: 100, minVisits: 2, minProbability: 0.05, expanded: new Set(['']) });
    assert.deepEqual(opened.nodes.map((d) => d.id).sort(), ['', '1', '1/2', '3', '4', '4/5', '6']);
  });

  it('past the size limit the rest folds, but every candidate path is drawn', () => {
    const layout = layoutTree(sample(), { maxNodes: 2, minVisits: 0, minProbability: 0, expanded: new Set() });
    const ids = layout.nodes.map((d) => d.id);
    for (const id of ['', '1', '1/2', '3']) assert.ok(ids.includes(id), `${id} drawn: ${ids}`);
    assert.ok(!ids.includes('4') && !ids.includes('6'));
    assert.equal(layout.folded, 3);
  });

  it('draws the best path along one row, candidates nearest it, and no two nodes of a column closer than a row', () => {
    // A bushy tree: 3 children a node down to depth 5; the best candidate ends at 0/0/0/0 (the search went on below it), the second at 1/0/0/0/0.
    let next = 0;
    const grow = (path: number[]): TreeNode[] => path.length === 5 ? [] : [0, 1, 2].map((i) => {
      const at = [...path, i];
      const rank = at.join() === '0,0,0,0' ? 0 : at.join() === '1,0,0,0,0' ? 1 : undefined;
      return n(next++, `t${next}`, [0.6, 0.3, 0.1][i]!, 9 - 3 * i, grow(at), rank);
    });
    const layout = layoutTree(n(-1, '', 1, 30, grow([])), { maxNodes: 1000, minVisits: 0, minProbability: 0, expanded: new Set() });
    assert.equal(layout.nodes.length, 1 + 3 + 9 + 27 + 81 + 243);
    assert.equal(layout.nodes[0]!.id, '', 'the root first');
    const best = layout.nodes.filter((d) => d.best);
    assert.equal(best.length, 5);
    assert.equal(new Set(best.map((d) => d.y)).size, 1, 'the best path on one row');
    assert.deepEqual(layout.nodes.filter((d) => d.y === best[0]!.y).map((d) => d.id), best.map((d) => d.id), 'the row ends where the best candidate does');
    const columns = new Map<number, number[]>();
    const xOfDepth = new Map<number, number>();
    for (const d of layout.nodes) {
      assert.equal(xOfDepth.get(d.depth) ?? d.x, d.x, 'one column a depth');
      xOfDepth.set(d.depth, d.x);
      columns.set(d.x, [...(columns.get(d.x) ?? []), d.y]);
    }
    const xs = [...xOfDepth].sort((a, b) => a[0] - b[0]).map(([, x]) => x);
    for (let i = 1; i < xs.length; i++) assert.ok(xs[i]! - xs[i - 1]! >= 48 && xs[i]! - xs[i - 1]! <= COLUMN, `column ${i} at ${xs[i]}`);
    for (const ys of columns.values()) {
      ys.sort((a, b) => a - b);
      for (let i = 1; i < ys.length; i++) assert.ok(ys[i]! - ys[i - 1]! >= 24 - 1e-9, `nodes ${ys[i - 1]} and ${ys[i]} overlap`);
    }
    assert.ok(Math.min(...layout.nodes.map((d) => d.y)) === 0 && layout.height === Math.max(...layout.nodes.map((d) => d.y)) + 24);
    // A second candidate's path is the nearest side subtree to the best path at its depth.
    for (const second of layout.nodes.filter((d) => d.onCandidate && !d.best)) {
      const at = layout.nodes.filter((d) => d.x === second.x && !d.best).map((d) => Math.abs(d.y - best[0]!.y));
      assert.equal(Math.min(...at), Math.abs(second.y - best[0]!.y), `${second.id} is not the nearest to the best path`);
    }
    // A node's first child listed (where the Right key goes) is the main path's.
    for (const d of best.slice(0, -1)) assert.ok(layout.nodes.find((c) => c.parentId === d.id)!.best);
    assert.equal(layout.links.length, layout.nodes.length - 1);
  });

  it('a 2,000-node tree is drawn within the limit', () => {
    const wide = n(-1, '', 1, 2000, Array.from({ length: 40 }, (_, i) => n(i, `t${i}`, 0.025, 50, Array.from({ length: 49 }, (_, j) => n(1000 + j, `u${j}`, 0.02, 1)))));
    const layout = layoutTree(wide);
    const drawnExplored = layout.nodes.filter((d) => d.folded === undefined).length;
    assert.ok(drawnExplored <= 250, `${drawnExplored} drawn`);
    assert.equal(drawnExplored + layout.folded, 1 + 40 * 50);
  });
});
