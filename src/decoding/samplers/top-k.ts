import type { CandidateSet } from './candidate-set';
import type { Sampler } from './sampler';
import { sortPairsDesc } from './sort';
import { validLogit } from './candidate-set';

/**
 * Keeps the `k` highest logits (k ≤ 0: no-op; k ≥ size keeps all), as llama.cpp. Survivors
 * come out sorted. Selection is one pass that compares each logit with the current k-th
 * best, so the common small k costs little more than reading the vocabulary once.
 */
export class TopKSampler implements Sampler {
  readonly name = 'top_k';
  constructor(readonly k: number) {}

  apply(set: CandidateSet): void {
    if (this.k <= 0) return;
    const k = Math.min(this.k, set.size);
    if (set.sorted) {
      set.truncate(k, true);
      return;
    }
    if (k === set.size) {
      set.sortDescending();
      return;
    }
    keepTopK(set, k);
  }
}

/** Top k of the set, written sorted to ids/logits[0..k). */
export function keepTopK(set: CandidateSet, k: number): void {
  const n = set.size;
  if (k > 256) {
    // A large k: a partial selection is no cheaper than sorting what survives.
    set.sortDescending();
    set.truncate(k, true);
    return;
  }
  const ids = set.scratchIds;
  const keys = set.scratchKeys;
  const src = set.logitArray();
  const identity = set.identity;
  const srcIds = set.ids;
  // Fill the buffer with the first k, then scan: most logits fail the one comparison with
  // the current k-th best, so the scan costs about one read per token.
  let size = 0;
  let i = 0;
  for (; i < n && size < k; i++) size = insert(keys, ids, size, k, validLogit(src[i], i), identity ? i : srcIds[i]);
  let kth = keys[size - 1];
  for (; i < n; i++) {
    const x = src[i];
    if (x <= kth) continue;
    size = insert(keys, ids, size, k, validLogit(x, identity ? i : srcIds[i]), identity ? i : srcIds[i]);
    kth = keys[k - 1];
  }
  for (let j = 0; j < size; j++) {
    set.ids[j] = ids[j];
    set.logits[j] = keys[j];
  }
  // Make equal logits follow id order, as a full sort would.
  sortPairsDesc(set.logits, set.ids, 0, size);
  set.truncate(size, true);
}

/** Inserts into a descending buffer of capacity k, dropping the smallest when full. */
function insert(keys: Float64Array, ids: Int32Array, size: number, k: number, x: number, id: number): number {
  let j = size < k ? size++ : k - 1;
  while (j > 0 && x > keys[j - 1]) {
    keys[j] = keys[j - 1];
    ids[j] = ids[j - 1];
    j--;
  }
  keys[j] = x;
  ids[j] = id;
  return size;
}
