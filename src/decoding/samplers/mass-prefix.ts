import type { CandidateSet } from './candidate-set';
import { sortPairsDesc } from './sort';

/**
 * The cut shared by top-p (key = max logit − logit) and typical-p (key = |surprisal −
 * entropy|): keep the shortest prefix of the tokens, in ascending key order, whose
 * cumulative mass passes the target (≥, or > when strict) and holds at least minKeep
 * tokens; if none qualifies, keep everything (as llama.cpp).
 *
 * llama.cpp sorts the vocabulary (partially, then fully if needed). Here the caller bins
 * the keys into this histogram during its own exp pass (`add`, or the same arithmetic
 * inlined), the bin where the cumulative mass crosses is found by walking the bins, and one
 * more pass keeps every token of the lower bins and gathers the crossing bin (about
 * n/4096 tokens), which alone is sorted.
 */
const BINS = 4096;

export class MassHistogram {
  readonly mass = new Float64Array(BINS + 1);
  readonly count = new Int32Array(BINS + 1);
  /** Finite keys fall in bins [0, bins); infinite keys (zero mass) in bin `bins`. */
  bins = 1;
  scale = 0;
  private gKeys = new Float64Array(0);
  private gOrder = new Int32Array(0);
  private gIds = new Int32Array(0);
  private gLogits = new Float32Array(0);
  private gMass = new Float64Array(0);

  /** Prepares bins over the finite key range [0, hi]. */
  begin(size: number, hi: number): void {
    this.bins = Math.max(1, Math.min(BINS, size));
    this.scale = hi > 0 ? this.bins / hi : 0;
    this.mass.fill(0, 0, this.bins + 1);
    this.count.fill(0, 0, this.bins + 1);
  }

  add(key: number, mass: number): void {
    const b = key < Infinity ? Math.min((key * this.scale) | 0, this.bins - 1) : this.bins;
    this.mass[b] += mass;
    this.count[b]++;
  }

  /** Applies the cut to `set`, whose keys are in `set.scratchKeys` and masses in `set.probs`. */
  cut(set: CandidateSet, target: number, strict: boolean, minKeep: number): void {
    const passes = (cum: number, count: number) => (strict ? cum > target : cum >= target) && count >= minKeep;
    let cum = 0;
    let count = 0;
    let crossing = -1;
    for (let b = 0; b <= this.bins; b++) {
      if (passes(cum + this.mass[b], count + this.count[b])) {
        crossing = b;
        break;
      }
      cum += this.mass[b];
      count += this.count[b];
    }
    if (crossing < 0) return;
    this.reserve(this.count[crossing]);

    const { size: n, scratchKeys: keys, probs: mass, ids, logits, identity } = set;
    const src = set.logitArray();
    const { bins, scale, gKeys, gOrder, gIds, gLogits, gMass } = this;
    let out = 0;
    let g = 0;
    for (let i = 0; i < n; i++) {
      const k = keys[i];
      const b = k < Infinity ? Math.min((k * scale) | 0, bins - 1) : bins;
      if (b < crossing) {
        ids[out] = identity ? i : ids[i];
        logits[out++] = src[i];
      } else if (b === crossing) {
        // Saved now: in an owned set, compaction may overwrite position i later.
        gKeys[g] = -k; // sortPairsDesc sorts descending; the cut wants ascending keys
        gOrder[g] = g;
        gIds[g] = identity ? i : ids[i];
        gLogits[g] = src[i];
        gMass[g++] = mass[i];
      }
    }
    sortPairsDesc(gKeys, gOrder, 0, g);
    for (let t = 0; t < g; t++) {
      const j = gOrder[t];
      ids[out] = gIds[j];
      logits[out++] = gLogits[j];
      cum += gMass[j];
      if (passes(cum, ++count)) break;
    }
    set.truncate(out, false);
  }

  private reserve(size: number): void {
    if (this.gKeys.length >= size) return;
    this.gKeys = new Float64Array(size);
    this.gOrder = new Int32Array(size);
    this.gIds = new Int32Array(size);
    this.gLogits = new Float32Array(size);
    this.gMass = new Float64Array(size);
  }
}
