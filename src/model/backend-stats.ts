/** What a backend counts as it runs, for the status bar, `tokentree type` and the benchmarks. */
export interface BackendStats {
  /** Tokens sent to llama_decode: prompts, appended tokens and fork replays. */
  tokensEvaluated: number;
  /** Prompt tokens that start() found already evaluated in a cached sequence. */
  promptTokensReused: number;
  /** Of those, tokens kept by erasing a stale stretch before them (KV shift). */
  promptTokensShifted: number;
  /** KV shifts made. */
  shifts: number;
  starts: number;
  /** evaluate() calls (the engine's "model calls"). */
  evaluateCalls: number;
  /** llama_decode calls: a step whose branches share one batch adds one. */
  decodeCalls: number;
  /** Most branches (sequences) seen in one llama_decode batch. */
  maxBatchSequences: number;
  forks: number;
  /** Tokens re-evaluated because a native KV copy was unavailable. */
  forkReplayedTokens: number;
  /** Decodes of greedy's generation (drafted or not), the tokens drafted into them, and how many of those were kept. */
  draftDecodes: number;
  draftedTokens: number;
  draftedTokensAccepted: number;
}

export function emptyBackendStats(): BackendStats {
  return {
    tokensEvaluated: 0, promptTokensReused: 0, promptTokensShifted: 0, shifts: 0, starts: 0, evaluateCalls: 0, decodeCalls: 0, maxBatchSequences: 0,
    forks: 0, forkReplayedTokens: 0, draftDecodes: 0, draftedTokens: 0, draftedTokensAccepted: 0,
  };
}
