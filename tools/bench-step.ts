/**
 * Cost of one greedy step once the prompt is in, layer by layer, against node-llama-cpp's own
 * generator: wall time and the main thread's CPU time (Linux: /proc/thread-self/schedstat), which
 * is where our JavaScript runs while llama.cpp decodes and samples on libuv's workers.
 *
 *   npm run bench:step -- [--model PATH] [--runs N] [--tokens N]
 *
 * Rows: native `sequence.evaluate`; `model`: a bare loop over LanguageModel.evaluate (backend,
 * one branch, top-5 and the normaliser per step); `engine`: the greedy strategy through decode()
 * (adds the step records, the tree and the stop checks). Each run uses its own cold prompt, and
 * the rows take turns going first.
 */
import { readFileSync } from 'node:fs';
import { nativeGreedy } from '../bench/native';
import { benchPosition, benchFlag } from '../bench/position';
import { decode } from '../src/decoding/strategies';
import { builtinModelPath } from '../src/model/builtin';
import { loadModel, type LoadedModel } from '../src/model/load';
import { partsFromText } from '../src/decoding/prompt-parts';

const runs = Number(benchFlag('runs') ?? 40);
const tokens = Number(benchFlag('tokens') ?? 32);
const { prefix, suffix } = benchPosition();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mainThreadNs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);

type Row = 'native' | 'model' | 'engine';
/** Times steps 2..tokens (the first token comes with the prompt); returns [wall ms, main-thread CPU µs] per step. */
type Measure = (m: LoadedModel, prompt: readonly number[]) => Promise<[number, number]>;

const steps = tokens - 1;
const perStep = (t0: number, c0: number): [number, number] => [(performance.now() - t0) / steps, (mainThreadNs() - c0) / 1000 / steps];

const measure: Record<Row, Measure> = {
  async native(m, prompt) {
    let c0 = 0;
    let c1 = 0;
    const run = await nativeGreedy(m, () => prompt, tokens, { first: () => (c0 = mainThreadNs()), last: () => (c1 = mainThreadNs()) });
    return [(run.end - run.first) / steps, (c1 - c0) / 1000 / steps];
  },
  async model(m, prompt) {
    const lm = m.languageModel;
    const state = await lm.start(prompt, 5);
    try {
      let next = state.next;
      const [t0, c0] = [performance.now(), mainThreadNs()];
      for (let i = 0; i < steps; i++) [next] = await lm.evaluate([{ branch: state.branch, tokens: [next.ids[0]!], topN: 5 }]) as [typeof next];
      return perStep(t0, c0);
    } finally {
      lm.release(state.branch);
    }
  },
  async engine(m, prompt) {
    const lm = m.languageModel;
    const state = await lm.start(prompt, 64);
    try {
      const [t0, c0] = [performance.now(), mainThreadNs()];
      await decode({ name: 'greedy', options: { maxTokens: tokens, ignoreEndOfGeneration: true } }, lm, state, undefined, true);
      return perStep(t0, c0);
    } finally {
      lm.release(state.branch);
    }
  },
};

async function main() {
  const m = await loadModel({ modelPath: benchFlag('model') ?? builtinModelPath() });
  const rows: Row[] = ['native', 'model', 'engine'];
  const wall: Record<Row, number[]> = { native: [], model: [], engine: [] };
  const cpu: Record<Row, number[]> = { native: [], model: [], engine: [] };
  try {
    for (let run = -1; run < runs; run++) {
      for (let k = 0; k < rows.length; k++) {
        const row = rows[(k + run + rows.length) % rows.length]!;
        const prompt = m.buildPrompt(partsFromText(`// step bench ${run} ${row}\n${prefix}`, suffix), { maxNewTokens: tokens }).tokens;
        const [ms, us] = await measure[row](m, prompt);
        if (run >= 0) {
          wall[row].push(ms);
          cpu[row].push(us);
        }
      }
    }
  } finally {
    await m.dispose();
  }
  console.log(`${m.info.path} · ${m.info.threads} thread(s) · steps 2-${tokens} of ${runs} cold prompts, medians`);
  console.log('row      ms/step  x native  main-thread CPU µs/step');
  for (const row of rows) {
    console.log(`${row.padEnd(8)} ${median(wall[row]).toFixed(3).padStart(7)}  ${(median(wall[row]) / median(wall.native)).toFixed(3).padStart(8)}  ${median(cpu[row]).toFixed(0).padStart(10)}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
