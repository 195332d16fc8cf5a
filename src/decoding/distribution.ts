/**
 * Next-token distributions in float64.
 *
 * Units: entropy and varentropy are in nats (natural log) throughout the engine; `toBits`
 * converts for comparison with entropix, which reports bits. Entropy H = -Σ p·ln p,
 * varentropy V = Σ p·(ln p + H)², the variance of the surprisal. 0·ln 0 is taken as 0.
 */
import type { NextTokenScores } from './language-model';
import { insertIfLarger } from './samplers/sort';

export class InvalidLogitsError extends Error {
  override readonly name = 'InvalidLogitsError';
}

export const toBits = (nats: number): number => nats / Math.LN2;

/** Throws on NaN or +Infinity; -Infinity is a legal "impossible token". Returns the max. */
export function checkedMax(logits: ArrayLike<number>, length = logits.length): number {
  let max = -Infinity;
  for (let i = 0; i < length; i++) {
    const x = logits[i];
    // One comparison catches both NaN (all comparisons false) and +Infinity.
    if (!(x < Infinity)) throw new InvalidLogitsError(`logit ${i} is ${x}: the model produced ${Number.isNaN(x) ? 'NaN' : 'an infinite'} score`);
    if (x > max) max = x;
  }
  if (max === -Infinity) throw new InvalidLogitsError('every logit is -Infinity: no token is possible');
  return max;
}

/** log Σ exp(logits), computed stably in float64. */
export function logSumExp(logits: ArrayLike<number>, length = logits.length, max = checkedMax(logits, length)): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += Math.exp(logits[i] - max);
  return max + Math.log(sum);
}

/** Writes log-softmax(logits) into `out` (float64) and returns it. */
export function logSoftmax(logits: ArrayLike<number>, out = new Float64Array(logits.length)): Float64Array {
  const lse = logSumExp(logits);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - lse;
  return out;
}

/** Entropy (nats) and varentropy (nats²) of a distribution given by log-probabilities (nats). */
export function entropyOf(logprobs: ArrayLike<number>, length = logprobs.length): { entropy: number; varentropy: number } {
  let h = 0;
  for (let i = 0; i < length; i++) {
    const l = logprobs[i];
    if (l > -Infinity) h -= Math.exp(l) * l;
  }
  let v = 0;
  for (let i = 0; i < length; i++) {
    const l = logprobs[i];
    if (l > -Infinity) {
      const d = l + h;
      v += Math.exp(l) * d * d;
    }
  }
  return { entropy: h, varentropy: v };
}

/**
 * A next-token distribution: the most likely tokens in descending order with exact
 * log-probabilities, plus entropy statistics. Built from full logits (exact entropy) or
 * from a top-N slice with the whole-vocabulary log-normaliser (entropy over the slice;
 * `tailMass` says how much probability the slice leaves out, so a reader knows how tight
 * that lower bound is).
 */
export class Distribution {
  /** Probability mass outside `ids` (0 when built from full logits and fully listed). */
  readonly tailMass: number;

  private constructor(
    /** Token ids, most likely first. */
    readonly ids: Int32Array,
    /** Log-probabilities (nats) aligned with `ids`. */
    readonly logprobs: Float64Array,
    readonly entropy: number,
    readonly varentropy: number,
    /** Full log-probabilities by token id, when known. */
    readonly full?: Float64Array,
  ) {
    let kept = 0;
    for (let i = 0; i < logprobs.length; i++) kept += Math.exp(logprobs[i]);
    this.tailMass = Math.max(0, 1 - kept);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Log-probability of `token`; -Infinity if it is outside the known slice. */
  logprobOf(token: number): number {
    if (this.full) return this.full[token];
    for (let i = 0; i < this.ids.length; i++) if (this.ids[i] === token) return this.logprobs[i];
    return -Infinity;
  }

  /** From full logits; keeps the `topN` most likely tokens listed (all when Infinity). */
  static fromLogits(logits: ArrayLike<number>, topN = Infinity): Distribution {
    const full = logSoftmax(logits);
    const { entropy, varentropy } = entropyOf(full);
    const ids = topIndices(full, Math.min(topN, full.length));
    return new Distribution(ids, Float64Array.from(ids, (id) => full[id]), entropy, varentropy, full);
  }

  /** From a top slice (descending) and log Σ exp over the whole vocabulary. */
  static fromTop(ids: Int32Array, logits: ArrayLike<number>, logNormalizer: number): Distribution {
    if (ids.length === 0) throw new InvalidLogitsError('the model returned no candidate tokens');
    checkedMax(logits, ids.length);
    if (!Number.isFinite(logNormalizer)) throw new InvalidLogitsError(`log-normaliser is ${logNormalizer}`);
    const logprobs = new Float64Array(ids.length);
    for (let i = 0; i < ids.length; i++) logprobs[i] = Math.min(0, logits[i] - logNormalizer);
    const { entropy, varentropy } = entropyOf(logprobs);
    return new Distribution(Int32Array.from(ids), logprobs, entropy, varentropy);
  }

  static fromScores(scores: NextTokenScores, topN = Infinity): Distribution {
    return scores.full
      ? Distribution.fromLogits(scores.full, topN)
      : Distribution.fromTop(scores.ids, scores.logits, scores.logNormalizer);
  }
}

/** Indices of the `k` largest values, in descending order of value (ties: lower index first). */
export function topIndices(values: ArrayLike<number>, k: number): Int32Array {
  const n = values.length;
  k = Math.max(0, Math.min(k, n));
  if (k === n) {
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return all.sort((a, b) => values[b] - values[a] || a - b);
  }
  // Insertion into a small sorted buffer: O(n·k) worst case but O(n) for the small k
  // strategies ask for, since most values fail the first comparison with the k-th best.
  const keys = new Float64Array(k);
  const out = new Int32Array(k);
  let size = 0;
  for (let i = 0; i < n; i++) size = insertIfLarger(keys, out, size, k, values[i], i);
  return out;
}
