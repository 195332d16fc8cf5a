import type { DecodeResult } from './strategy';

/** A strategy's result for a completion at a cursor, as every consumer (CLI, editor, panel) sees it. */
export interface CompletionResult extends DecodeResult {
  /** Whether the suffix was in the prompt (the model has fill-in-the-middle tokens). */
  readonly fim: boolean;
  readonly promptTokens: number;
}
