/**
 * Turns what llama.cpp's sampler hands back into the engine's NextTokenScores. Pure.
 *
 * The normaliser comes from llama.cpp as (max logit, Σ exp(logit - max)) over the whole
 * vocabulary, so a top-N slice still yields exact log-probabilities.
 */

import type { NextTokenScores } from '../decoding/language-model';
import { NonFiniteLogitsError } from './errors';

function checkFinite(value: number, what: string): void {
  if (!Number.isFinite(value)) throw new NonFiniteLogitsError(`${what} is ${value}`);
}

/**
 * From a non-empty flat [id, logit, id, logit, ...] list in descending logit order and the
 * vocabulary-wide normaliser parts: the largest logit and Σ exp(logit - max).
 */
export function scoresFromTop(flatPairs: readonly number[], maxLogit: number, sumExp: number): NextTokenScores {
  checkFinite(maxLogit, 'the largest logit');
  // Σ exp(l - max) is at least 1 (the max itself) unless some logit was NaN or +Infinity.
  if (!(sumExp >= 1) || !Number.isFinite(sumExp)) throw new NonFiniteLogitsError(`the softmax sum is ${sumExp}`);
  const n = flatPairs.length >> 1;
  if (n === 0) throw new Error('llama.cpp returned an empty top list');
  const ids = new Int32Array(n);
  const logits = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    ids[i] = flatPairs[2 * i]!;
    const l = flatPairs[2 * i + 1]!;
    if (Number.isNaN(l) || l === Infinity) throw new NonFiniteLogitsError(`the logit of token ${ids[i]} is ${l}`);
    logits[i] = l;
  }
  return { ids, logits, logNormalizer: maxLogit + Math.log(sumExp) };
}

/**
 * From the whole vocabulary as flat [id, logit] pairs in descending order (llama.cpp sorted them).
 * The normaliser is recomputed here in float64, which is more exact than the sampler's float sum.
 */
export function scoresFromFull(flatPairs: readonly number[], vocabSize: number): NextTokenScores {
  const n = flatPairs.length >> 1;
  if (n !== vocabSize) throw new Error(`llama.cpp returned ${n} logits for a vocabulary of ${vocabSize}`);
  const ids = new Int32Array(n);
  const logits = new Float32Array(n);
  const full = new Float32Array(vocabSize);
  for (let i = 0; i < n; i++) {
    const id = flatPairs[2 * i]!;
    const l = flatPairs[2 * i + 1]!;
    if (Number.isNaN(l) || l === Infinity) throw new NonFiniteLogitsError(`the logit of token ${id} is ${l}`);
    ids[i] = id;
    logits[i] = l;
    full[id] = l;
  }
  const max = logits[0]!;
  checkFinite(max, 'the largest logit');
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(logits[i]! - max);
  return { ids, logits, logNormalizer: max + Math.log(sum), full };
}

/** Cuts cached scores down to what a request asked for (or returns them whole). */
export function sliceScores(scores: NextTokenScores, topN: number): NextTokenScores {
  if (topN >= scores.ids.length) return scores;
  const n = Math.max(1, Math.floor(topN));
  return { ids: scores.ids.subarray(0, n), logits: scores.logits.subarray(0, n), logNormalizer: scores.logNormalizer, full: scores.full };
}

/** How many top entries `scores` can serve: all of them if it holds the whole vocabulary. */
export function scoresDepth(scores: NextTokenScores): number {
  return scores.full !== undefined ? Infinity : scores.ids.length;
}
