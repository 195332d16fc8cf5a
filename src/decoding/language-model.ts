/**
 * The one seam between decoding strategies and a model runtime. The llama.cpp backend
 * (src/model) and the in-memory test model both implement it; strategies never see more.
 *
 * A branch is a sequence state inside the model (for llama.cpp: a KV-cache sequence).
 * Forking a branch copies its state so that two continuations share the evaluated prefix
 * instead of re-evaluating it.
 */

import type { SamplerSpec } from './samplers/chain';

/** Opaque handle for a model-side sequence state. */
export interface Branch {
  readonly id: number;
}

/**
 * Scores for the next token after a branch's tokens.
 *
 * `ids`/`logits` hold the most likely tokens in descending logit order (at least
 * the `topN` asked for, or the whole vocabulary). `logNormalizer` is log Σ exp(logit)
 * over the whole vocabulary, so `logit - logNormalizer` is an exact log-probability even
 * when only a slice is returned. When the backend returns the whole vocabulary, `full`
 * holds the raw logits indexed by token id (then `ids`/`logits` may be just the top slice).
 */
export interface NextTokenScores {
  readonly ids: Int32Array;
  readonly logits: Float32Array;
  readonly logNormalizer: number;
  readonly full?: Float32Array;
}

export interface EvaluateRequest {
  readonly branch: Branch;
  /** Tokens appended to the branch, oldest first; may be empty to re-read the scores. */
  readonly tokens: readonly number[];
  /** How many top tokens the caller needs; Infinity asks for the full vocabulary. */
  readonly topN: number;
}

export interface PromptState {
  readonly branch: Branch;
  /** The prompt's tokens, for penalties and display. */
  readonly tokens: readonly number[];
  readonly next: NextTokenScores;
  /** Prompt tokens this start() evaluated; the rest came from the model's cache. */
  readonly evaluated?: number;
  /** Prompt tokens kept from the cache by dropping a stale stretch before them (a KV shift). */
  readonly shifted?: number;
}

export interface StartOptions {
  /**
   * Work the user is not waiting for (prefetching, warming the cache): it leaves the cache of
   * the latest foreground prompt as it is, copying from it instead of extending it.
   */
  readonly background?: boolean;
  /** Reuse only cache that an evaluation from scratch would have produced (no KV-shifted stretches). */
  readonly exact?: boolean;
}

/** A generation the backend runs on its own side (a server), for strategies that pick tokens by a fixed rule. */
export interface GenerateRequest {
  readonly branch: Branch;
  /** Tokens appended to the branch before generating (the token the strategy just chose). */
  readonly tokens: readonly number[];
  /** Top tokens reported with each generated token. */
  readonly topN: number;
  readonly maxTokens: number;
  /** Sampling with this chain and seed (the backend's own random numbers); absent: greedy. */
  readonly sampling?: { readonly chain: readonly SamplerSpec[]; readonly seed: number };
}

/** One generated token and the scores it was chosen from (the distribution before it). */
export interface GeneratedToken {
  readonly token: number;
  readonly scores: NextTokenScores;
  /**
   * The model work behind `scores`, where the backend knows it (llama.cpp's drafted greedy): on the
   * first token a decode gives, that decode and every token it took, refused drafts included; on
   * the tokens the same decode gives after it, none. Absent: one call per stream, one token per
   * token (a server's generation).
   */
  readonly cost?: { readonly calls: number; readonly tokens: number };
}

/** Why a backend's own generation ended without the caller stopping it. */
export type GenerationEnd = 'end-of-generation' | 'length';

export interface LanguageModel {
  readonly vocabSize: number;
  /** End of generation: EOS, EOT, FIM end tokens. */
  isEndOfGeneration(token: number): boolean;
  /** Text of one token for display (may be a partial UTF-8 sequence rendered lossily). */
  tokenText(token: number): string;
  /** Text of a token sequence, decoding multi-byte characters across token boundaries. */
  detokenize(tokens: readonly number[]): string;
  /** Evaluates the prompt into a fresh branch. */
  start(tokens: readonly number[], topN: number, signal?: AbortSignal, options?: StartOptions): Promise<PromptState>;
  /** A new branch holding the same state as `branch`. */
  fork(branch: Branch): Branch;
  /** Frees a branch's state; using it afterwards is an error. */
  release(branch: Branch): void;
  /**
   * Drops a branch's tokens after its first `length` (the prompt's included), so that a search
   * can send a branch that went down one path down another sharing its start, instead of forking
   * and decoding that start again. Optional; false where the backend cannot (the caller forks).
   * The scores after the kept tokens are not known: the next evaluate() should append a token (an
   * empty one re-reads, at the cost of decoding the last token again).
   */
  truncate?(branch: Branch, length: number): boolean;
  /**
   * Appends tokens to each branch and returns the next-token scores for each, in request
   * order. Implementations should evaluate all requests in one batch: strategies put every
   * branch of a step into one call.
   */
  evaluate(requests: readonly EvaluateRequest[], signal?: AbortSignal): Promise<NextTokenScores[]>;
  /**
   * Generation on the backend's side (greedy, or sampling with a chain it can run), streamed token
   * by token: one request for the whole completion instead of one per token (a server), or several
   * tokens per decode where a draft is right (llama.cpp in process: greedy's prompt-lookup drafts,
   * the same tokens as evaluate() step by step). Optional; undefined when the branch cannot generate
   * freely now (token healing still constrains it) or the backend cannot run the chain. Leaving the
   * iteration early stops the backend. The branch then holds the tokens read; until the stream
   * ends, the branch is the stream's (no fork, evaluate or truncate of it).
   */
  generate?(request: GenerateRequest, signal?: AbortSignal): AsyncGenerator<GeneratedToken, GenerationEnd> | undefined;
  /**
   * The next-token scores over `allowed` only, renormalised over them (log-probabilities that sum
   * to 1 within the set), for a branch whose scores were read. Optional: for a backend where
   * reading the whole vocabulary is expensive (a server sends it as JSON), while it can restrict
   * the distribution on its side. Undefined result: none of `allowed` has a finite score.
   */
  scoresWithin?(branch: Branch, allowed: readonly number[], signal?: AbortSignal): Promise<NextTokenScores | undefined>;
}

/** Thrown when a request was cancelled through its AbortSignal. */
export class AbortError extends Error {
  override readonly name = 'AbortError';
  constructor(message = 'The decoding request was cancelled') {
    super(message);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}
