import type { LoadedModel } from '../src/model/load';

export interface NativeRun {
  /** The tokens node-llama-cpp's generator yielded, `count` of them. */
  readonly tokens: number[];
  /** performance.now() before the prompt was made, when the first token came, after the last. */
  readonly start: number;
  readonly first: number;
  readonly end: number;
}

/**
 * node-llama-cpp's own greedy generation, the baseline every benchmark compares with: a fresh
 * one-sequence context (same context size and threads as ours), `prompt()` made inside the timed
 * part, then exactly `count` tokens. `at.first` runs when the first token (which carries the
 * prompt) arrives and `at.last` when the last does, for benchmarks that time the steps between.
 */
export async function nativeGreedy(
  m: LoadedModel, prompt: () => readonly number[], count: number, at: { first?: () => void; last?: () => void } = {},
): Promise<NativeRun> {
  const context = await m.llamaModel.createContext({ contextSize: m.info.contextSize, sequences: 1, threads: m.info.threads });
  try {
    const sequence = context.getSequence();
    const tokens: number[] = [];
    const start = performance.now();
    let first = start;
    // yieldEogToken: without it the generator ends at the first end-of-generation token, and
    // dividing that shorter run by `count` would understate native's cost per token.
    for await (const token of sequence.evaluate(prompt() as never[], { temperature: 0, yieldEogToken: true })) {
      tokens.push(token);
      if (tokens.length === 1) {
        first = performance.now();
        at.first?.();
      }
      if (tokens.length >= count) break;
    }
    const end = performance.now();
    at.last?.();
    if (tokens.length !== count) throw new Error(`native greedy produced ${tokens.length} tokens, expected ${count}`);
    return { tokens, start, first, end };
  } finally {
    await context.dispose();
  }
}
