import type { CandidateSet } from './candidate-set';

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
