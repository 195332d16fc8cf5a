/**
 * What the model process costs: whole completions through it against the same completions in
 * this process, side by side, alternating, on the same model file and thread count. Both sides
 * run the bundled code (the worker is dist/model-worker.js, as the extension ships it).
 *
 *   npm run bench:process -- [--model PATH] [--tokens N] [--runs N] [--strategy NAME] [--file F --line L --column C] [--json]
 *
 * Without --file the cursor is examples/stack.ts 23:12; a long real file sends the editor's whole
 * prompt window (prefix, suffix) with every request.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitAt } from '../src/cli/args';
import { partsFromText } from '../src/decoding/prompt-parts';
import { isStrategyName } from '../src/decoding/strategies';
import { localSession, type ModelSession, type SessionRequest } from '../src/engine/session';
import { builtinModelPath } from '../src/model/builtin';
import { loadModel } from '../src/model/load';
import { ModelProcess } from '../src/model-process/client';
import { benchPosition } from './position';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const modelPath = flag('model') ?? builtinModelPath();
const tokens = Number(flag('tokens') ?? 16);
const runs = Number(flag('runs') ?? 200);
const strategy = flag('strategy') ?? 'greedy';
if (!isStrategyName(strategy)) throw new Error(`unknown strategy ${strategy}`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const file = flag('file');
const { prefix, suffix } = file ? splitAt(readFileSync(file, 'utf8'), Number(flag('line')), Number(flag('column'))) : benchPosition();
/** Each run types one more character, as a user does: the prompt is mostly cached on both sides. */
const request = (run: number): SessionRequest => ({
  parts: partsFromText(`${prefix}${'x'.repeat(run % 8)}`, suffix),
  strategy,
  options: { maxTokens: tokens, seed: 1, ignoreEndOfGeneration: true },
});

async function timed(session: ModelSession, run: number): Promise<number> {
  const t0 = performance.now();
  const r = await session.complete(request(run));
  const ms = performance.now() - t0;
  if (strategy === 'greedy' && r.candidates[0]!.tokens.length !== tokens) throw new Error(`expected ${tokens} tokens, got ${r.candidates[0]!.tokens.length}`);
  return ms;
}

async function main() {
  const threads = 1;
  const local = localSession(await loadModel({ modelPath, threads }));
  const proc = new ModelProcess({ worker: { script: join(__dirname, '..', '..', 'dist', 'model-worker.js'), execArgv: [] } });
  const remote = await proc.load({ modelPath, threads });
  const inProcess: number[] = [];
  const through: number[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      await timed(local, i);
      await timed(remote, i);
    }
    for (let i = 0; i < runs; i++) {
      // Alternate which side goes first, so neither always meets a warmer cache or CPU.
      const order: [ModelSession, number[]][] = [[local, inProcess], [remote, through]];
      if (i % 2 === 1) order.reverse();
      for (const [session, times] of order) times.push(await timed(session, i));
    }
  } finally {
    await proc.close();
    await local.dispose();
  }
  const a = median(inProcess);
  const b = median(through);
  // Each run's two completions ran back to back: their ratio is immune to drift over the run.
  const pairRatio = median(through.map((t, i) => t / inProcess[i]!));
  const report = { model: modelPath, file: file ?? 'examples/stack.ts', strategy, tokens, runs, inProcessMs: a, modelProcessMs: b, ratio: b / a, pairRatio, overheadMs: b - a };
  if (args.includes('--json')) console.log(JSON.stringify(report));
  else console.log(`${strategy}, ${tokens} tokens, ${runs} runs each, median ms: in process ${a.toFixed(2)}, model process ${b.toFixed(2)}; ratio of medians ${(b / a).toFixed(3)} (+${(b - a).toFixed(2)} ms), median ratio per pair ${pairRatio.toFixed(3)}`);
}

void main();
