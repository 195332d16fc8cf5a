import type { CandidateSet } from './candidate-set';
import type { Sampler } from './chain';
import { simdKernel } from './simd-kernel';
import { keepTopK } from './top-k';

/**
 * min-p, llama.cpp semantics: p ≤ 0 is a no-op; keep tokens whose probability is at least
 * p times the top token's, i.e. logit ≥ max + ln p (so p > 1 keeps only the top); if that
 * leaves fewer than `minKeep`, keep the top `minKeep`. Works on logits: no softmax needed.
 */
export class MinPSampler implements Sampler {
  constructor(
    readonly p: number,
    readonly minKeep = 0,
  ) {}

  apply(set: CandidateSet): void {
    if (this.p <= 0 || set.size === 0) return;
    const threshold = maxOf(set) + Math.log(this.p);
    const n = set.size;
    if (set.sorted) {
      let i = 1;
      while (i < n && (set.logits[i] >= threshold || i < this.minKeep)) i++;
      set.truncate(i, true);
      return;
    }
    const fallback = () => keepTopK(set, Math.max(1, Math.min(this.minKeep, n)));
    const { ids, logits } = set;
    let out = 0;
    if (set.identity && n >= 4096) {
      const simd = simdKernel();
      if (simd) {
        // Sixteen logits per step; maxOf already validated and loaded them.
        const count = simd.compactAtLeast(threshold, ids, logits);
        if (count === 0 || count < this.minKeep) fallback();
        else set.truncate(count, false);
        return;
      }
    }
    if (set.identity) {
      // The caller's array stays intact, so compact first and fall back only if too few.
      const src = set.source;
      for (let i = 0; i < n; i++) {
        const x = src[i];
        if (x >= threshold) {
          ids[out] = i;
          logits[out++] = x;
        }
      }
      if (out === 0 || out < this.minKeep) fallback();
      else set.truncate(out, false);
      return;
    }
    for (let i = 0; i < n; i++) if (logits[i] >= threshold) out++;
    if (out === 0 || out < this.minKeep) {
      fallback();
      return;
    }
    out = 0;
    for (let i = 0; i < n; i++) {
      if (logits[i] >= threshold) {
        ids[out] = ids[i];
        logits[out++] = logits[i];
      }
    }
    set.truncate(out, false);
  }
}

/** Max logit, by the SIMD kernel for a large view (which then holds the logits for the cut). */
function maxOf(set: CandidateSet): number {
  const simd = set.identity && set.size >= 4096 ? simdKernel() : undefined;
  if (simd) {
    simd.load(set.source.subarray(0, set.size));
    const max = simd.max();
    if (max < Infinity) return max;
  }
  return set.maxLogit(); // validates, naming the bad token
}
