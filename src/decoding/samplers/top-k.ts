import { validLogit, type CandidateSet } from './candidate-set';
import type { Sampler } from './chain';
import { insert, insertIfLarger, sortPairsDesc } from './sort';
import { simdKernel } from './simd-kernel';

/**
 * Keeps the `k` highest logits (k ≤ 0: no-op; k ≥ size keeps all), as llama.cpp. Survivors
 * come out sorted. Selection is one pass that compares each logit with the current k-th
 * best, so the common small k costs little more than reading the vocabulary once.
 */
export class TopKSampler implements Sampler {
  constructor(readonly k: number) {}

  apply(set: CandidateSet): void {
    if (this.k <= 0) return;
    const k = Math.min(this.k, set.size);
    if (set.sorted) set.truncate(k, true);
    else if (k === set.size) set.sortDescending();
    else keepTopK(set, k);
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
  if (set.identity && n >= SIMD_MIN_SIZE && keepTopKSimd(set, k)) return;
  const { scratchIds: ids, scratchKeys: keys, identity, ids: srcIds } = set;
  const src = set.logitArray();
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
  keepSelected(set, size);
}

/** Keeps the `size` selected in the scratch buffers, sorted; equal logits follow id order, as after a full sort. */
function keepSelected(set: CandidateSet, size: number): void {
  for (let j = 0; j < size; j++) {
    set.ids[j] = set.scratchIds[j];
    set.logits[j] = set.scratchKeys[j];
  }
  sortPairsDesc(set.logits, set.ids, 0, size);
  set.truncate(size, true);
}

/** Below this size the copy into wasm memory costs more than it saves. */
const SIMD_MIN_SIZE = 4096;
const SAMPLE = 2048;

/**
 * Top-k over a large view with the SIMD kernel: the k-th largest of a sample is a lower
 * bound t for the true k-th largest (a subset's k-th largest can only be smaller), so the
 * values ≥ t, collected 16 at a time, contain the top k; an exact selection over those few
 * finishes. Returns false (for the JS path, which names the bad token) on NaN/+Inf; the
 * sample may see them first, but only the collect's NaN report and the candidates decide.
 */
function keepTopKSimd(set: CandidateSet, k: number): boolean {
  const simd = simdKernel();
  if (!simd) return false;
  const { source: src, size: n, scratchKeys: keys, scratchIds: ids } = set;
  simd.load(src.subarray(0, n));
  // The sample: 8 contiguous blocks spread over the array (cache lines read whole; a
  // strided sample would touch every line of the array).
  const block = SAMPLE / 8;
  const step = Math.floor((n - block) / 7);
  let size = 0;
  for (let b = 0; b < 8; b++) {
    const from = b * step;
    for (let i = from; i < from + block; i++) size = insertIfLarger(keys, ids, size, k, src[i], i);
  }
  if (size < k) return false;
  // Optimistic cut first: the sample's j-th largest with j sized so that about 2k values
  // pass; if fewer than k do, the sample's k-th largest is the guaranteed bound.
  const j = Math.min(k, Math.max(1, Math.ceil((2 * k * SAMPLE) / n)));
  // The collect also reports any NaN in the whole array; +Infinity is among the collected.
  let candidates = simd.collectAtLeast(keys[j - 1]);
  if (candidates && candidates.length < k) candidates = simd.collectAtLeast(keys[k - 1]);
  if (!candidates) return false;
  size = 0;
  for (let c = 0; c < candidates.length; c++) {
    const x = src[candidates[c]];
    if (x === Infinity) return false;
    size = insertIfLarger(keys, ids, size, k, x, candidates[c]);
  }
  keepSelected(set, size);
  return true;
}
