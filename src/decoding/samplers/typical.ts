import type { CandidateSet } from './candidate-set';
import { expNonPositive } from './fast-exp';
import { MassHistogram } from './mass-prefix';
import type { Sampler } from './chain';

/**
 * Locally typical sampling (Meister et al.), llama.cpp semantics: p ≥ 1 is a no-op;
 * otherwise order tokens by |−ln p − H| ascending and keep them until the cumulative
 * probability exceeds p (strictly) with at least `minKeep` kept. Unlike llama.cpp's float32
 * code, 0·ln 0 is 0 here, so underflowing probabilities cannot turn the entropy into NaN.
 *
 * With ln p_i = l_i - lse, the key |−ln p_i − H| is |c − l_i| where c = lse − H: a distance
 * of the logit from one centre, so no per-token logarithm is needed.
 */
export class TypicalSampler implements Sampler {
  private readonly histogram = new MassHistogram();
  constructor(
    readonly p: number,
    readonly minKeep = 0,
  ) {}

  apply(set: CandidateSet): void {
    if (this.p >= 1 || set.size === 0) return;
    const n = set.size;
    const l = set.logitArray();
    const { max, min } = set.logitRange();
    const mass = set.probs;
    let sum = 0;
    let weighted = 0;
    for (let i = 0; i < n; i++) {
      const w = expNonPositive(l[i] - max);
      mass[i] = w;
      sum += w;
      if (w > 0) weighted += w * (l[i] - max);
    }
    // H = -Σ p ln p = lse - Σ p·l, with logits shifted by max for stability.
    const lse = Math.log(sum);
    const entropy = lse - weighted / sum;
    const centre = lse - entropy;
    // Keys are distances from the centre: the largest finite one is at an end of [min, max].
    const h = this.histogram;
    h.begin(n, Math.max(Math.abs(centre), Math.abs(centre - (min - max))));
    const keys = set.scratchKeys;
    for (let i = 0; i < n; i++) {
      const key = mass[i] > 0 ? Math.abs(centre - (l[i] - max)) : Infinity;
      keys[i] = key;
      h.add(key, mass[i]);
    }
    h.cut(set, this.p * sum, true, this.minKeep);
  }
}
