import type { TreeJSON } from '../decoding/candidate-tree';
import type { CompletionResult } from '../decoding/completion';
import type { PanelState, SearchState } from './protocol';

/** Most candidates and tree nodes sent to the panel: enough to compare, small enough to render fast. */
const MAX_CANDIDATES = 10;
const MAX_NODES = 400;
/** Candidates dropped for repeating the text after the cursor, listed after the rest. */
const MAX_DROPPED = 3;

export function toPanelState(requestId: number, fileName: string, line: number, result: CompletionResult): PanelState {
  return {
    requestId,
    strategy: result.strategy,
    fileName,
    line,
    fim: result.fim,
    stats: { ...result.stats },
    ...(result.healed !== undefined ? { healed: result.healed } : {}),
    candidates: [...result.candidates.slice(0, MAX_CANDIDATES), ...(result.dropped ?? []).slice(0, MAX_DROPPED)].map((c, index) => ({
      index,
      ...(index >= Math.min(result.candidates.length, MAX_CANDIDATES) ? { dropped: true } : {}),
      ...(c.shown ? { suggestion: c.shown.text } : {}),
      ...(c.shown?.reason ? { cut: { at: c.shown.cutAt, reason: c.shown.reason } } : {}),
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
        entropy: s.entropyAtLeast ?? s.entropy,
        ...(s.entropyAtLeast !== undefined ? { entropyIsBound: true } : {}),
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
