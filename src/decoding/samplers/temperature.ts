import type { CandidateSet } from './candidate-set';
import type { Sampler } from './chain';

/**
 * Divides logits by `t`. `t` ≤ 0 is greedy, as in llama.cpp: only the highest logit
 * survives (llama.cpp leaves the others in place at -inf; we drop them, which gives the
 * same distribution). Ties keep the lowest position. Temperatures below 1e-6 are greedy too:
 * dividing by them overflows float32 logits to infinity, and the scaled distribution is a
 * point mass at the argmax for any logit gap above 1e-4 anyway.
 */
const GREEDY_BELOW = 1e-6;

export class TemperatureSampler implements Sampler {
  /** Settable, so a chain whose temperature adapts per step keeps its buffers (entropy.ts). */
  constructor(public t: number) {}

  apply(set: CandidateSet): void {
    if (set.size === 0 || this.t === 1) return;
    if (this.t < GREEDY_BELOW) {
      keepArgmax(set);
      return;
    }
    const inv = 1 / this.t;
    const src = set.logitArray();
    const l = set.logits;
    if (set.identity) {
      // Scale while copying out of the caller's array: one pass instead of two.
      for (let i = 0; i < set.size; i++) {
        set.ids[i] = i;
        l[i] = src[i] * inv;
      }
      set.truncate(set.size, false);
    } else {
      for (let i = 0; i < set.size; i++) l[i] *= inv;
    }
  }
}

function keepArgmax(set: CandidateSet): void {
  const max = set.maxLogit(); // validates
  let best = 0;
  while (set.logitAt(best) !== max) best++; // the first position holding the max
  set.ids[0] = set.idAt(best);
  set.logits[0] = max;
  set.truncate(1, true);
}
