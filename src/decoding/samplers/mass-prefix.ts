import type { CandidateSet } from './candidate-set';
import { sortPairsDesc } from './sort';

/**
 * Keeps the shortest prefix of the survivors, taken in ascending order of their key, whose
 * cumulative mass passes `target` (≥, or > when `strict`) and which holds at least
 * `minKeep` tokens. This is the cut of both top-p (key = max logit - logit) and typical-p
 * (key = |surprisal - entropy|). If no prefix qualifies, everything is kept (as llama.cpp).
 *
 * Inputs: keys (≥ 0, +Infinity allowed) in `set.scratchKeys`, unnormalised masses in
 * `set.probs`, the finite key range [lo, hi]. Instead of sorting the vocabulary as
 * llama.cpp does, keys are binned into a histogram, the bin where the cumulative mass
 * crosses is found by walking the bins, and only that bin (~n/4096 tokens) is sorted.
 */
const BINS = 4096;
const binMass = new Float64Array(BINS + 1);
const binCount = new Int32Array(BINS + 1);
let gatherKeys = new Float64Array(0);
let gatherPos = new Int32Array(0);
/** Marks a token of the crossing bin as taken; real keys are never negative. */
const TAKEN = -1;

export function keepMassPrefix(set: CandidateSet, target: number, strict: boolean, minKeep: number, lo: number, hi: number): void {
  const n = set.size;
  const keys = set.scratchKeys;
  const mass = set.probs;
  const passes = (cum: number, count: number) => (strict ? cum > target : cum >= target) && count >= minKeep;

  const bins = Math.min(BINS, n);
  const last = bins - 1;
  const scale = hi > lo ? bins / (hi - lo) : 0;
  // Bin of key k: min(last, (k - lo)·scale); infinite keys (zero mass) go to bin `bins`.
  // Written out in each loop: a closure here costs V8 more than the loop body.
  const binCountAll = binCount;
  binMass.fill(0, 0, bins + 1);
  binCountAll.fill(0, 0, bins + 1);
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    let b = k < Infinity ? ((k - lo) * scale) | 0 : bins;
    if (b > last && k < Infinity) b = last;
    binMass[b] += mass[i];
    binCountAll[b]++;
  }

  let cum = 0;
  let count = 0;
  let crossing = -1;
  for (let b = 0; b <= bins; b++) {
    if (passes(cum + binMass[b], count + binCount[b])) {
      crossing = b;
      break;
    }
    cum += binMass[b];
    count += binCount[b];
  }
  if (crossing < 0) return;

  const inBin = binCount[crossing];
  if (gatherKeys.length < inBin) {
    gatherKeys = new Float64Array(inBin);
    gatherPos = new Int32Array(inBin);
  }
  let g = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    let b = k < Infinity ? ((k - lo) * scale) | 0 : bins;
    if (b > last && k < Infinity) b = last;
    if (b === crossing) {
      gatherKeys[g] = -k; // sortPairsDesc sorts descending; the cut wants ascending keys
      gatherPos[g++] = i;
    }
  }
  sortPairsDesc(gatherKeys, gatherPos, 0, g);
  for (let t = 0; t < g; t++) {
    cum += mass[gatherPos[t]];
    count++;
    keys[gatherPos[t]] = TAKEN;
    if (passes(cum, count)) break;
  }

  const ids = set.ids;
  const logits = set.logits;
  const src = set.logitArray();
  const identity = set.identity;
  let out = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    if (k !== TAKEN) {
      let b = k < Infinity ? ((k - lo) * scale) | 0 : bins;
      if (b > last && k < Infinity) b = last;
      if (b >= crossing) continue;
    }
    ids[out] = identity ? i : ids[i];
    logits[out] = src[i];
    mass[out] = mass[i];
    out++;
  }
  set.truncate(out, false);
}
