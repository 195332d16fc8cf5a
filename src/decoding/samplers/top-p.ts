import type { CandidateSet } from './candidate-set';
import { expNonPositive } from './fast-exp';
import { MassHistogram } from './mass-prefix';
import type { Sampler } from './chain';

/**
 * Nucleus sampling, llama.cpp semantics: p ≥ 1 is a no-op; otherwise keep the shortest
 * prefix of the tokens by descending probability whose cumulative probability is ≥ p (the
 * crossing token is kept) and that holds at least `minKeep` tokens.
 */
export class TopPSampler implements Sampler {
  private readonly histogram = new MassHistogram();
  constructor(
    readonly p: number,
    readonly minKeep = 0,
  ) {}

  apply(set: CandidateSet): void {
    if (this.p >= 1 || set.size === 0) return;
    if (set.sorted || set.size <= 1024) {
      set.sortDescending();
      set.softmax();
      let cum = 0;
      for (let i = 0; i < set.size; i++) {
        cum += set.probs[i];
        if (cum >= this.p && i + 1 >= this.minKeep) {
          set.truncate(i + 1, true);
          return;
        }
      }
      return;
    }
    // Large unsorted set: one validating min/max pass, one exp pass, then the histogram cut.
    const n = set.size;
    const l = set.logitArray();
    const { max, min } = set.logitRange();
    // Exp pass that also fills the histogram (its arithmetic inlined: this loop is the cost).
    const h = this.histogram;
    h.begin(n, max - min);
    const { scratchKeys: keys, probs: mass } = set;
    const { mass: binMass, count: binCount, scale } = h;
    const last = h.bins - 1;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const key = max - l[i];
      const w = expNonPositive(-key);
      keys[i] = key;
      mass[i] = w;
      sum += w;
      let b = key < Infinity ? (key * scale) | 0 : last + 1;
      if (b > last && key < Infinity) b = last;
      binMass[b] += w;
      binCount[b]++;
    }
    h.cut(set, this.p * sum, false, this.minKeep);
  }
}
