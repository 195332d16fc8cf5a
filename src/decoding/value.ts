/**
 * How good a partial completion looks, for strategies that compare branches by lookahead
 * (MCTS, entropy-adaptive branching). Higher is better; the default is the mean
 * log-probability (nats per token) of the completion so far, which is comparable across
 * branches of different lengths.
 */
export interface ValueInput {
  /** The completion's text so far (what would be inserted), including the branch. */
  readonly text: string;
  readonly tokens: readonly number[];
  /** Mean log-probability per token over `tokens` (nats). */
  readonly meanLogprob: number;
}

export type ValueFunction = (input: ValueInput) => number;

export const logprobValue: ValueFunction = (input) => input.meanLogprob;
