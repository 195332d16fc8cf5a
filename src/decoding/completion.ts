import type { Candidate, DecodeResult } from './strategy';

/** A strategy's result for a completion at a cursor, as every consumer (CLI, editor, panel) sees it. */
export interface CompletionResult extends DecodeResult {
  /** Whether the suffix was in the prompt (the model has fill-in-the-middle tokens). */
  readonly fim: boolean;
  readonly promptTokens: number;
  /** Prompt tokens evaluated for this request; the rest came from the model's cache. */
  readonly promptTokensEvaluated: number;
  /** Cached prompt tokens kept by shifting them past a dropped stretch (close to, not equal to, a fresh evaluation). */
  readonly promptTokensShifted: number;
  /** First line of the prefix in the prompt, when it starts at a line: the next request's hint. */
  readonly topLine?: number;
  /** Set when the asked maxTokens did not fit the model's context: what was used instead. */
  /**
   * Token healing: the text of the prompt's last token, taken off the prompt and re-typed by the
   * first generated token(s). Candidates' texts leave it out; their tokens (and the tree's) include it.
   */
  readonly healed?: string;
  /** Candidates that were nothing but the text after the cursor (stop rules; their `shown` says so). */
  readonly dropped?: readonly Candidate[];
  /**
   * Milliseconds from the start of the completion to its first suggestion: greedy's, for an
   * anytime completion of another strategy, else this result's own.
   */
  readonly firstMs?: number;
  readonly maxTokensClamped?: { readonly asked: number; readonly used: number; readonly contextSize: number };
}
