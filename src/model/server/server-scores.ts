/**
 * llama-server's completion_probabilities as NextTokenScores. Pre-sampling entries carry
 * log-probabilities of the full softmax (`top_logprobs`), so they serve as logits with a
 * normaliser of 0; post-sampling entries carry probabilities after the sampler chain (`top_probs`).
 */

import type { NextTokenScores } from '../../decoding/language-model';
import type { ServerVocabulary } from './server-vocab';

/** One token's entry in llama-server's completion_probabilities (pre-sampling: the full softmax). */
export interface TokenProbs {
  readonly id: number;
  readonly logprob: number;
  readonly bytes?: readonly number[];
  readonly top_logprobs?: readonly { readonly id: number; readonly logprob: number; readonly bytes?: readonly number[] }[];
}

export interface CompletionResponse {
  /** Which of a request's prompts this answers (a request with a list of prompts gets a list back). */
  readonly index?: number;
  /** The text sent with this answer (in a stream, this event's text, held-back bytes included). */
  readonly content?: string;
  /** Tokens generated so far (in a stream, counting tokens held back and not yet sent). */
  readonly tokens_predicted?: number;
  readonly completion_probabilities?: readonly TokenProbs[];
  readonly stop_type?: string;
  readonly stop?: boolean;
  readonly timings?: { readonly prompt_n?: number; readonly predicted_n?: number };
  readonly tokens_cached?: number;
}

export interface PostSamplingResponse {
  readonly completion_probabilities?: readonly { readonly top_probs?: readonly { readonly id: number; readonly prob: number }[] }[];
}

/**
 * The scores a token was chosen from. The sampled token's own log-probability comes too, and is
 * kept where it is outside the top (a sampled token can be), so the step records it; not where
 * the token was only forced to keep the server from holding it back (`sampled` false). Token
 * bytes seen here teach the vocabulary how to join tokens that split a character.
 */
export function scoresOf(vocab: ServerVocabulary, p: TokenProbs, topN: number, sampled = true): NextTokenScores {
  const listed = p.top_logprobs ?? [];
  const top = !sampled || listed.some((t) => t.id === p.id) ? listed : [...listed, { id: p.id, logprob: p.logprob, bytes: p.bytes }];
  const ids = new Int32Array(top.length);
  const logits = new Float32Array(top.length);
  top.forEach((t, i) => {
    ids[i] = t.id;
    logits[i] = t.logprob;
    vocab.learnBytes(t.id, t.bytes);
  });
  if (topN < vocab.size || top.length < vocab.size) return { ids, logits, logNormalizer: 0 };
  const full = new Float32Array(vocab.size).fill(Number.NEGATIVE_INFINITY);
  top.forEach((t) => (full[t.id] = t.logprob));
  return { ids, logits, logNormalizer: 0, full };
}

/** The distribution after the sampler chain, as scores (tokens it left at probability 0 left out); undefined when none is left. */
export function scoresWithinSet(response: PostSamplingResponse): NextTokenScores | undefined {
  const top = (response.completion_probabilities?.[0]?.top_probs ?? []).filter((t) => t.prob > 0);
  if (top.length === 0) return undefined;
  return { ids: Int32Array.from(top, (t) => t.id), logits: Float32Array.from(top, (t) => Math.log(t.prob)), logNormalizer: 0 };
}
