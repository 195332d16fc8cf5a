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
    assert.equal(byId.get('1/2')!.x, 2 * COLUMN);
    assert.equal(byId.get('1/2')!.candidateRank, 0);
    // Beam draws a node by the best rank of a candidate through it.
    assert.deepEqual(['', '1', '3', '4'].map((id) => byId.get(id)!.rankThrough), [0, 0, 1, undefined]);
    assert.ok(Math.abs(byId.get('3')!.p - 0.3) < 1e-12);
    // Siblings in order: the best path above the others.
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

  it('a 2,000-node tree is drawn within the limit', () => {
    const wide = n(-1, '', 1, 2000, Array.from({ length: 40 }, (_, i) => n(i, `t${i}`, 0.025, 50, Array.from({ length: 49 }, (_, j) => n(1000 + j, `u${j}`, 0.02, 1)))));
    const layout = layoutTree(wide);
    const drawnExplored = layout.nodes.filter((d) => d.folded === undefined).length;
    assert.ok(drawnExplored <= 250, `${drawnExplored} drawn`);
    assert.equal(drawnExplored + layout.folded, 1 + 40 * 50);
  });
});
