import type { TreeJSON } from '../decoding/candidate-tree';
import type { CompletionResult } from '../decoding/completion';
import type { PanelState, SearchState } from './protocol';

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
    tree: result.tree.copy(MAX_NODES),
  };
}

/** A search in progress, for the panel to draw live. */
export function toSearchState(strategy: string, tree: TreeJSON, elapsedMs: number): SearchState {
  return { strategy, elapsedMs, tree };
}
