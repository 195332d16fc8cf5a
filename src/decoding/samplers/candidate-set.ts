import { InvalidLogitsError } from '../distribution';
import { expNonPositive } from './fast-exp';
import { simdKernel, type SimdKernel } from './simd-kernel';
import { sortPairsDesc } from './sort';

/**
 * The working set a sampler chain narrows down, like llama.cpp's llama_token_data_array
 * (float32 logits, as there; probabilities in float64).
 *
 * After `reset` the set is a read-only view of the caller's logits (ids implied 0..n-1):
 * the first sampler that narrows the set reads the caller's array directly and writes only
 * the survivors, so a chain that starts with top-k never copies the vocabulary. Samplers
 * that rewrite logits call `materialize` first. All buffers are allocated once and reused,
 * and every loop runs over one array type, which keeps V8's element access monomorphic.
 *
 * Invalid logits (NaN, +Infinity) are caught by `maxLogit`, which every path to a sampled
 * token goes through, and by top-k's scan, so no separate validation pass is needed.
 */
export class CandidateSet {
  ids = new Int32Array(0);
  logits = new Float32Array(0);
  /** Probabilities of the survivors (positions align with ids) as softmax() leaves them; samplers also use it as scratch. */
  probs = new Float64Array(0);
  /** Scratch for samplers: sort keys and positions. */
  scratchKeys = new Float64Array(0);
  scratchIds = new Int32Array(0);
  size = 0;
  /** Survivors are in descending logit order. */
  sorted = false;
  /** True while the set is the unmodified view of the caller's logits. */
  identity = false;
  source: Float32Array = new Float32Array(0);

  constructor(capacity = 0) {
    this.grow(capacity);
  }

  /** Starts a new step over full logits indexed by token id. Does not copy. */
  reset(logits: Float32Array): this {
    if (logits.length > this.ids.length) this.grow(logits.length);
    this.source = logits;
    this.size = logits.length;
    this.identity = true;
    this.sorted = false;
    return this;
  }

  /** Starts a new step over an explicit (id, logit) list, e.g. a top-N slice. */
  resetFrom(ids: ArrayLike<number>, logits: ArrayLike<number>): this {
    if (ids.length > this.ids.length) this.grow(ids.length);
    for (let i = 0; i < ids.length; i++) {
      this.ids[i] = ids[i];
      this.logits[i] = logits[i];
    }
    this.truncate(ids.length, false);
    return this;
  }

  idAt(position: number): number {
    return this.identity ? position : this.ids[position];
  }

  logitAt(position: number): number {
    return this.identity ? this.source[position] : this.logits[position];
  }

  /** The array holding the survivors' logits (the caller's while still a view). */
  logitArray(): Float32Array {
    return this.identity ? this.source : this.logits;
  }

  /** Copies the view into owned buffers so samplers may rewrite logits. */
  materialize(): void {
    if (!this.identity) return;
    this.logits.set(this.source.subarray(0, this.size));
    const ids = this.ids;
    for (let i = 0; i < this.size; i++) ids[i] = i;
    this.identity = false;
  }

  truncate(size: number, sorted: boolean): void {
    this.identity = false;
    this.size = size;
    this.sorted = sorted;
  }

  /** Max logit over the survivors; throws on NaN or +Infinity. */
  maxLogit(): number {
    const l = this.logitArray();
    let max = -Infinity;
    for (let i = 0; i < this.size; i++) {
      const x = l[i];
      if (!(x <= max)) max = validLogit(x, this.idAt(i));
    }
    return max;
  }

  /**
   * Max and min logit of the survivors, validating them (NaN or +Infinity throws, naming the
   * token). A large view goes through the SIMD kernel; the JS loop remains for small or
   * owned sets and to name a bad token.
   */
  logitRange(): { max: number; min: number } {
    const loaded = this.simdMax();
    if (loaded) return { max: loaded.max, min: loaded.simd.min() };
    const n = this.size;
    const l = this.logitArray();
    let max = -Infinity;
    let min = Infinity;
    for (let i = 0; i < n; i++) {
      const x = l[i];
      if (!(x <= max)) max = validLogit(x, this.idAt(i));
      if (x < min) min = x;
    }
    return { max, min };
  }

  /**
   * A large view's max logit by the SIMD kernel, returned loaded with the logits for further
   * scans; undefined for a small or owned set, without SIMD, or on NaN/+Infinity (which the JS
   * paths then name).
   */
  simdMax(): { max: number; simd: SimdKernel } | undefined {
    const simd = this.identity && this.size >= 4096 ? simdKernel() : undefined;
    if (!simd) return undefined;
    simd.load(this.source.subarray(0, this.size));
    const max = simd.max();
    return max < Infinity ? { max, simd } : undefined;
  }

  /** Softmax over the survivors into `probs` (float64). */
  softmax(): void {
    const max = this.maxLogit();
    if (max === -Infinity) throw new InvalidLogitsError('every candidate logit is -Infinity');
    const l = this.logitArray();
    const p = this.probs;
    let sum = 0;
    for (let i = 0; i < this.size; i++) sum += p[i] = expNonPositive(l[i] - max);
    const inv = 1 / sum;
    for (let i = 0; i < this.size; i++) p[i] *= inv;
  }

  /** Sorts the survivors by logit, descending (ties: lower id first). */
  sortDescending(): void {
    if (this.sorted) return;
    this.maxLogit(); // NaN would corrupt the sort order
    this.materialize();
    sortPairsDesc(this.logits, this.ids, 0, this.size);
    this.sorted = true;
  }

  private grow(capacity: number): void {
    this.ids = new Int32Array(capacity);
    this.logits = new Float32Array(capacity);
    this.probs = new Float64Array(capacity);
    this.scratchKeys = new Float64Array(capacity);
    this.scratchIds = new Int32Array(capacity);
  }
}

/** NaN and +Infinity cannot come from a healthy model: fail loudly instead of sampling garbage. */
export function validLogit(x: number, id: number): number {
  if (Number.isNaN(x) || x === Infinity) {
    throw new InvalidLogitsError(`logit of token ${id} is ${x}: the model produced an invalid score`);
  }
  return x;
}
