/**
 * How a prefix/suffix prompt is cut to fit the context. Pure, so the policy is testable on its own.
 *
 * The text right before the cursor matters most, so the prefix is cut from the top (its oldest
 * tokens go first) and the suffix from the bottom. The suffix gets at most `suffixShare` of the
 * room unless the prefix leaves some unused (llama.cpp's server uses the same 3:1 split).
 */

import { ContextOverflowError } from './errors';

export interface PromptBudgetInput {
  /** Cells per sequence in the llama.cpp context. */
  readonly contextSize: number;
  /** Tokens the completion may still add after the prompt. */
  readonly reserveForGeneration: number;
  /** Tokens the format adds around prefix and suffix (BOS, FIM markers). */
  readonly fixedTokens: number;
  /** Largest share of the room the suffix may take while the prefix wants more; default 0.25. */
  readonly suffixShare?: number;
}

export interface BudgetedPrompt {
  readonly prefix: readonly number[];
  readonly suffix: readonly number[];
  readonly droppedPrefixTokens: number;
  readonly droppedSuffixTokens: number;
}

export function budgetPrompt(prefix: readonly number[], suffix: readonly number[], input: PromptBudgetInput): BudgetedPrompt {
  const share = input.suffixShare ?? 0.25;
  if (!(share >= 0 && share <= 1)) throw new RangeError(`suffixShare must be within [0, 1], got ${share}`);
  // llama.cpp sequences hold contextSize - 1 evaluated tokens (node-llama-cpp keeps one cell free).
  const room = input.contextSize - 1 - input.reserveForGeneration - input.fixedTokens;
  if (room < 1) {
    throw new ContextOverflowError(
      `The context (${input.contextSize} tokens) has no room for a prompt after reserving ${input.reserveForGeneration} tokens for the completion; use a larger context or fewer max tokens.`,
    );
  }
  let suffixTake = Math.min(suffix.length, Math.floor(room * share));
  const prefixTake = Math.min(prefix.length, room - suffixTake);
  suffixTake = Math.min(suffix.length, room - prefixTake);
  return {
    prefix: prefix.slice(prefix.length - prefixTake),
    suffix: suffix.slice(0, suffixTake),
    droppedPrefixTokens: prefix.length - prefixTake,
    droppedSuffixTokens: suffix.length - suffixTake,
  };
}
