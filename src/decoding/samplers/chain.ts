import type { Rng } from '../rng';
import { CandidateSet } from './candidate-set';
import { expNonPositive } from './fast-exp';
import { MinPSampler } from './min-p';
import { PenaltiesSampler } from './penalties';
import { TemperatureSampler } from './temperature';
import { TopKSampler } from './top-k';
import { TopPSampler } from './top-p';
import { TypicalSampler } from './typical';

/** What a sampler may look at besides the candidates. */
export interface SamplerContext {
  /** Token ids generated or seen so far, oldest first (for penalties). */
  readonly history: readonly number[];
}

/**
 * One transformation of the candidate set, like a llama.cpp sampler or a Hugging Face
 * logits processor: it may rewrite logits and drop candidates, never add them.
 */
export interface Sampler {
  apply(set: CandidateSet, context: SamplerContext): void;
}

/** A sampler as data: the JSON form the CLI reads and settings store. */
export type SamplerSpec =
  | { type: 'temperature'; t: number }
  | { type: 'top_k'; k: number }
  | { type: 'top_p'; p: number; minKeep?: number }
  | { type: 'min_p'; p: number; minKeep?: number }
  | { type: 'typical'; p: number; minKeep?: number }
  | { type: 'penalties'; lastN: number; repeat: number; frequency: number; presence: number };

export class SamplerSpecError extends Error {
  override readonly name = 'SamplerSpecError';
}

export function createSampler(spec: SamplerSpec): Sampler {
  switch (spec.type) {
    case 'temperature':
      return new TemperatureSampler(spec.t);
    case 'top_k':
      return new TopKSampler(spec.k);
    case 'top_p':
      return new TopPSampler(spec.p, spec.minKeep ?? 0);
    case 'min_p':
      return new MinPSampler(spec.p, spec.minKeep ?? 0);
    case 'typical':
      return new TypicalSampler(spec.p, spec.minKeep ?? 0);
    case 'penalties':
      return new PenaltiesSampler(spec.lastN, spec.repeat, spec.frequency, spec.presence);
  }
}

/**
 * Runs samplers in order over one step's logits. The chain owns its buffers, so a chain
 * per generation stream reuses them for every token without allocating.
 */
export class SamplerChain {
  readonly samplers: readonly Sampler[];
  readonly set = new CandidateSet();

  constructor(specsOrSamplers: readonly (SamplerSpec | Sampler)[]) {
    this.samplers = specsOrSamplers.map((s) => ('apply' in s ? s : createSampler(s)));
  }

  /** Applies the chain to full logits (indexed by token id); the survivors stay in `set`. */
  apply(logits: Float32Array, context: SamplerContext = { history: [] }): CandidateSet {
    this.set.reset(logits);
    return this.run(context);
  }

  /** Applies the chain to a (top-N) slice of candidates. */
  applyTo(ids: ArrayLike<number>, logits: ArrayLike<number>, context: SamplerContext = { history: [] }): CandidateSet {
    this.set.resetFrom(ids, logits);
    return this.run(context);
  }

  /**
   * Draws a token from the survivors in proportion to their probability: one exp pass
   * into unnormalised weights, then a scan to u · Σw (no normalising pass).
   */
  sample(rng: Rng): number {
    const set = this.set;
    const max = set.maxLogit(); // validates
    if (set.size === 1) return set.idAt(0);
    const l = set.logitArray();
    const w = set.probs;
    let sum = 0;
    for (let i = 0; i < set.size; i++) sum += w[i] = expNonPositive(l[i] - max);
    const target = rng() * sum;
    let cum = 0;
    for (let i = 0; i < set.size; i++) {
      cum += w[i];
      if (target < cum) return set.idAt(i);
    }
    return set.idAt(set.size - 1); // rounding left the target above the last cumulative sum
  }

  private run(context: SamplerContext): CandidateSet {
    for (const sampler of this.samplers) {
      sampler.apply(this.set, context);
      if (this.set.size === 0) break;
    }
    return this.set;
  }
}
