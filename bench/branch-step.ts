/**
 * One tree step taken apart (bench:branch): four branches, one token each, top 8 with their
 * log-probabilities, as beam-4 asks. Each part is timed on its own, on a context of its own:
 *
 * - decode: node-llama-cpp's batched decode of the four tokens with their logits, no scoring;
 * - each native read alone (the plain greedy read; Σ exp over the vocabulary; the top N), per position;
 * - the reads as the driver runs them (both per position, all positions at once on libuv's pool,
 *   each vocabulary-sized candidate fill under the context's one sampler mutex);
 * - the driver's whole step; the engine's LanguageModel.evaluate (slot table, score slicing).
 *
 * What the parts do not add up to is the wait: the mutex and the pool.
 */
import type { LlamaContextSequence } from 'node-llama-cpp';
import { createDriver, type ContextInternals, type SequenceInternals } from '../src/model/llama-internals';
import type { LoadedModel } from '../src/model/load';
import { median } from './stats';

export interface StepBreakdown {
  readonly branches: number;
  readonly topN: number;
  /** Batched decode of one token per branch, logits computed, nothing read. */
  readonly decodeMs: number;
  /** One position's plain greedy read (node-llama-cpp's own generation reads this), its Σ exp read, its top-N read, each alone. */
  readonly plainCallMs: number;
  readonly normalizerCallMs: number;
  readonly topCallMs: number;
  /** Every position's two reads, as the driver starts them: all at once. */
  readonly readsTogetherMs: number;
  /** The same reads one after another: what the mutex and the pool leave of running them at once. */
  readonly readsInTurnMs: number;
  /** The driver's step (decode and reads), and the engine's evaluate of the same step. */
  readonly driverStepMs: number;
  readonly engineStepMs: number;
  /**
   * What one fork adds to the next step, as beam forks: node-llama-cpp 3.22.1 makes its contexts
   * with one KV stream per sequence (kv_unified off), so llama.cpp copies a fork's whole stream,
   * every cell of the context and every layer, at the next decode.
   */
  readonly forkCopyMs: number;
}

const shift = { size: 1, strategy: (): never => { throw new Error('the benchmark ran out of context'); } };

export async function breakDownStep(m: LoadedModel, prompt: readonly number[], reps: number, branches = 4, topN = 8): Promise<StepBreakdown> {
  const context = await m.llamaModel.createContext({ contextSize: 4096, sequences: branches, threads: m.info.threads });
  const internals = context as unknown as Required<ContextInternals>;
  const Sampler = internals._llama._bindings!.AddonSampler!;
  const norm = new Sampler(internals._model._model);
  norm.applyConfig({ temperature: 0 });
  const tops = Array.from({ length: branches }, () => new Sampler(internals._model._model));
  tops.forEach((s) => s.applyConfig({ temperature: 1, topK: topN, seed: 1 }));
  const norms = Array.from({ length: branches }, () => new Sampler(internals._model._model));
  norms.forEach((s) => s.applyConfig({ temperature: 0 }));
  const ctx = internals._ctx;
  const seqs: LlamaContextSequence[] = Array.from({ length: branches }, () => context.getSequence());
  const driver = createDriver(context, seqs[0]!, m.info.vocabSize, { scoring: 'direct', copying: 'native' });
  const parts = { decode: [] as number[], plain: [] as number[], norm: [] as number[], top: [] as number[], together: [] as number[], inTurn: [] as number[], driver: [] as number[] };
  try {
    await Promise.all(seqs.map((s) => s.evaluateWithoutGeneratingNewTokens([...prompt] as never[])));
    let token = prompt[prompt.length - 1]!;
    const step = async (mapper: (i: number) => Promise<unknown>) => {
      token = (token * 7 + 13) % 1000;
      const t0 = performance.now();
      await Promise.all(seqs.map((s) => {
        const i = s as unknown as Required<SequenceInternals>;
        return i._decodeTokens([token], [true], 5, i._tokenMeter, shift, mapper);
      }));
      return performance.now() - t0;
    };
    for (let r = 0; r < reps; r++) {
      // The decode alone: the mapper reads nothing.
      parts.decode.push(await step(async () => null));
      // The reads, on logits the dispatcher holds for the mappers (all four positions are in
      // one batch, so the first mapper waits for the others before reading).
      const indices: number[] = [];
      let release!: () => void;
      const all = new Promise<void>((resolve) => (release = resolve));
      await step(async (i) => {
        indices.push(i);
        if (indices.length === branches) release();
        await all;
        if (i !== indices[0]) return null;
        const time = async (f: () => Promise<unknown>) => { const t0 = performance.now(); await f(); return performance.now() - t0; };
        parts.plain.push(await time(() => ctx.sampleToken(i, norm, false, false, false, false)));
        parts.norm.push(await time(() => ctx.sampleToken(i, norm, false, false, false, true)));
        parts.top.push(await time(() => ctx.sampleToken(i, tops[0], false, false, [[], false, false, false, topN], false)));
        parts.inTurn.push(await time(async () => {
          for (const [k, j] of indices.entries()) {
            await ctx.sampleToken(j, norms[k], false, false, false, true);
            await ctx.sampleToken(j, tops[k], false, false, [[], false, false, false, topN], false);
          }
        }));
        parts.together.push(await time(() => Promise.all(indices.flatMap((j, k) => [
          ctx.sampleToken(j, norms[k], false, false, false, true),
          ctx.sampleToken(j, tops[k], false, false, [[], false, false, false, topN], false),
        ]))));
        return null;
      });
      token = (token * 7 + 13) % 1000;
      const t0 = performance.now();
      await Promise.all(seqs.map((s) => driver.decode(s, [token], topN)));
      parts.driver.push(performance.now() - t0);
    }
  } finally {
    driver.dispose();
    [norm, ...tops, ...norms].forEach((s) => s.dispose());
    await context.dispose();
  }
  return {
    branches, topN,
    decodeMs: median(parts.decode), plainCallMs: median(parts.plain), normalizerCallMs: median(parts.norm), topCallMs: median(parts.top),
    readsTogetherMs: median(parts.together), readsInTurnMs: median(parts.inTurn), driverStepMs: median(parts.driver),
    ...(await engineStep(m, prompt, reps, branches, topN)),
  };
}

/**
 * The engine's own evaluate of the same step (four forks of the prompt, one token each), and the
 * same step after three fresh forks of one of them, as a beam step forks its children.
 */
async function engineStep(m: LoadedModel, prompt: readonly number[], reps: number, branches: number, topN: number): Promise<{ engineStepMs: number; forkCopyMs: number }> {
  const lm = m.languageModel;
  const state = await lm.start(prompt, topN);
  let forks = [state.branch, ...Array.from({ length: branches - 1 }, () => lm.fork(state.branch))];
  const plain: number[] = [];
  const forked: number[] = [];
  const step = async (r: number) => {
    const t0 = performance.now();
    await lm.evaluate(forks.map((branch, i) => ({ branch, tokens: [(r * 31 + i * 7 + 11) % 1000], topN })));
    return performance.now() - t0;
  };
  try {
    for (let r = 0; r < reps; r++) {
      plain.push(await step(2 * r));
      const kept = forks[0]!;
      for (const b of forks.slice(1)) lm.release(b);
      forks = [kept, ...Array.from({ length: branches - 1 }, () => lm.fork(kept))];
      forked.push(await step(2 * r + 1));
    }
  } finally {
    forks.forEach((b) => lm.release(b));
  }
  return { engineStepMs: median(plain), forkCopyMs: Math.max(0, median(forked) - median(plain)) / (branches - 1) };
}
