import type { TreeNode } from '../decoding/candidate-tree';
import type { CompletionResult } from '../decoding/completion';
import type { PanelState } from './protocol';

/** Most candidates and tree nodes sent to the panel: enough to compare, small enough to render fast. */
const MAX_CANDIDATES = 10;
const MAX_NODES = 400;

export function toPanelState(requestId: number, fileName: string, line: number, result: CompletionResult): PanelState {
  return {
    requestId,
    strategy: result.strategy,
    fileName,
    line,
    fim: result.fim,
    stats: { ...result.stats },
    candidates: result.candidates.slice(0, MAX_CANDIDATES).map((c, index) => ({
      index,
      text: c.text,
      score: c.score,
      sumLogprob: c.sumLogprob,
      meanLogprob: c.meanLogprob,
      finish: c.finish,
      ...(c.visits !== undefined ? { visits: c.visits } : {}),
      ...(c.value !== undefined ? { value: c.value } : {}),
      tokens: c.steps.map((s) => ({
        text: s.text,
        logprob: s.logprob,
        entropy: s.entropy,
        ...(s.regime ? { regime: s.regime } : {}),
        alternatives: s.alternatives.slice(0, 5).map((a) => ({ text: a.text, logprob: a.logprob })),
      })),
    })),
    tree: pruneTree(result.tree.toJSON()),
  };
}

/** Copies at most MAX_NODES nodes, breadth first, so a large MCTS tree stays drawable. */
function pruneTree(tree: { nodeCount: number; dropped: number; root: TreeNode }): PanelState['tree'] {
  let budget = MAX_NODES;
  const copy = (n: TreeNode): TreeNode => ({ ...n, children: [] });
  const root = copy(tree.root);
  const queue: [TreeNode, TreeNode][] = [[tree.root, root]];
  let kept = 1;
  while (queue.length && budget > 0) {
    const [from, to] = queue.shift()!;
    for (const child of from.children) {
      if (--budget <= 0) break;
      const c = copy(child);
      to.children.push(c);
      kept++;
      queue.push([child, c]);
    }
  }
  return { nodeCount: kept, dropped: tree.dropped + (tree.nodeCount - kept), root };
}
