/**
 * How many CPU threads llama.cpp gets. node-llama-cpp's default (its `maxThreads`, twice the math
 * cores here) oversubscribes small machines: on a 2-core machine a 9 MB model ran at ~260 ms/token
 * with the default and ~1 ms/token with one thread, because llama.cpp's threads spin-wait on each
 * other at every op and the tiny matrices leave nothing to split.
 */

export type BackendName = 'cuda' | 'vulkan' | 'metal' | 'cpu';
export type ThreadsOption = number | 'auto';

/** Below this size a model's matrices are too small for a second thread to pay for its sync cost. */
export const TINY_MODEL_BYTES = 64 * 1024 * 1024;

export interface ThreadChoice {
  readonly threads: number;
  readonly reason: string;
}

export function chooseThreads(input: {
  readonly requested: ThreadsOption;
  readonly backend: BackendName;
  /** Physical ("math") cores as llama.cpp counts them. */
  readonly mathCores: number;
  readonly modelBytes: number;
}): ThreadChoice {
  const cores = Math.max(1, Math.floor(input.mathCores));
  if (input.requested !== 'auto') {
    if (!Number.isInteger(input.requested) || input.requested < 1) {
      throw new RangeError(`threads must be a positive integer or "auto", got ${String(input.requested)}`);
    }
    return { threads: input.requested, reason: 'configured' };
  }
  if (input.backend !== 'cpu') {
    // With layers offloaded the CPU threads only feed the GPU and run sampling; a few suffice.
    return { threads: Math.min(4, Math.max(1, cores - 1)), reason: `${input.backend} offload` };
  }
  if (input.modelBytes < TINY_MODEL_BYTES) {
    return { threads: 1, reason: 'tiny model on CPU' };
  }
  // Leave one core to the editor and Node's event loop, which must stay responsive while typing.
  return { threads: Math.max(1, cores - 1), reason: 'CPU: physical cores - 1' };
}
