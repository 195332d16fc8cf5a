import type { CandidateSet } from './candidate-set';
import type { Sampler } from './chain';
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
    const loaded = set.simdMax();
    const threshold = (loaded ? loaded.max : set.maxLogit()) + Math.log(this.p);
    const n = set.size;
    if (set.sorted) {
      let i = 1;
      while (i < n && (set.logits[i] >= threshold || i < this.minKeep)) i++;
      set.truncate(i, true);
      return;
    }
    const fallback = () => keepTopK(set, Math.max(1, Math.min(this.minKeep, n)));
    const { ids, logits, identity } = set;
    if (loaded) {
      // Sixteen logits per step; the kernel already holds them.
      const count = loaded.simd.compactAtLeast(threshold, ids, logits);
      if (count === 0 || count < this.minKeep) fallback();
      else set.truncate(count, false);
      return;
    }
    // Count first: compacting an owned set in place would overwrite what the fallback reads.
    const src = set.logitArray();
    let out = 0;
    for (let i = 0; i < n; i++) if (src[i] >= threshold) out++;
    if (out === 0 || out < this.minKeep) {
      fallback();
      return;
    }
    out = 0;
    for (let i = 0; i < n; i++) {
      if (src[i] >= threshold) {
        ids[out] = identity ? i : ids[i];
        logits[out++] = src[i];
      }
    }
    set.truncate(out, false);
  }
}
