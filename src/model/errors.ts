/**
 * Errors of the llama.cpp backend. Each one carries a message meant for a person (it ends up in
 * the editor's notification or the CLI's stderr), so it names the file and what to do about it.
 */

export class ModelError extends Error {
  override readonly name: string = 'ModelError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The model path does not point at a readable GGUF file (missing, a directory, not GGUF, truncated). */
export class ModelFileError extends ModelError {
  override readonly name: string = 'ModelFileError';
  constructor(
    readonly path: string,
    readonly reason: 'missing' | 'not-a-file' | 'not-gguf' | 'truncated' | 'corrupt' | 'bad-hyperparameters' | 'unreadable' | 'no-vocabulary',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The GGUF file is well formed but has nothing that turns hidden states into token logits. */
export class NoGenerationHeadError extends ModelError {
  override readonly name: string = 'NoGenerationHeadError';
  constructor(readonly path: string, detail: string) {
    super(`${path} cannot generate text: ${detail}. Pick a causal language model (a code model such as Qwen2.5-Coder), not an embedding or encoder model.`);
  }
}

/** llama.cpp refused the file; `log` holds what it printed while refusing. */
export class ModelLoadError extends ModelError {
  override readonly name: string = 'ModelLoadError';
  constructor(readonly path: string, readonly log: readonly string[], options?: { cause?: unknown }) {
    const detail = log.length > 0 ? `: ${log.join(' | ')}` : '';
    super(`llama.cpp could not load ${path}${detail}`, options);
  }
}

/** The prompt cannot fit the context even after truncation, or a branch ran out of context. */
export class ContextOverflowError extends ModelError {
  override readonly name: string = 'ContextOverflowError';
}

/** All branch slots (llama.cpp sequences) are in use. */
export class BranchLimitError extends ModelError {
  override readonly name: string = 'BranchLimitError';
}

/** A branch handle that was released, came from another model, or never existed. */
export class InvalidBranchError extends ModelError {
  override readonly name: string = 'InvalidBranchError';
}

/** A token id outside the vocabulary. */
export class InvalidTokenError extends ModelError {
  override readonly name: string = 'InvalidTokenError';
}

/** The model produced NaN or +Infinity logits: the weights or the backend are broken. */
export class NonFiniteLogitsError extends ModelError {
  override readonly name: string = 'NonFiniteLogitsError';
  constructor(detail: string) {
    super(`The model produced invalid logits (${detail}); the model file or the compute backend is broken.`);
  }
}

/** The backend was used after dispose(). */
export class ModelDisposedError extends ModelError {
  override readonly name: string = 'ModelDisposedError';
  constructor() {
    super('The model was disposed');
  }
}
