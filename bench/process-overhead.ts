/**
 * What the model process costs: whole completions through it against the same completions in
 * this process, side by side, alternating, on the same model file and thread count. Both sides
 * run the bundled code (the worker is dist/model-worker.js, as the extension ships it).
 *
 *   npm run bench:process -- [--model PATH] [--tokens N] [--runs N] [--strategy NAME] [--pause MS] [--file F --line L --column C] [--repeat N] [--no-echo] [--json]
 *
 * Without --file the cursor is examples/stack.ts 23:12; a long real file sends the editor's whole
 * prompt window (prefix, suffix) with every request. Before each completion both sides idle
 * --pause ms (default: the editor's default debounce, since the editor asks only after one);
 * --pause 0 runs them back to back.
 *
 * --repeat N runs the whole comparison N times, each in fresh processes, and pools the runs: on a
 * VM one process can run the same completions several percent faster or slower than another for
 * its whole life, so a single run's tight interval says little about the next run's ratio; a
 * sample of runs does.
 */
import { fork, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitAt } from '../src/cli/args';
import { partsFromText } from '../src/decoding/prompt-parts';
import { isStrategyName } from '../src/decoding/strategies';
import { SETTING_RULES } from '../src/host/setting-rules';
import { localSession, type ModelSession, type SessionRequest } from '../src/engine/session';
import { builtinModelPath } from '../src/model/builtin';
import { loadModel } from '../src/model/load';
import { ModelProcess } from '../src/model-process/client';
import { benchPosition, benchFlag } from './position';

const args = process.argv.slice(2);
const modelPath = benchFlag('model') ?? builtinModelPath();
const tokens = Number(benchFlag('tokens') ?? 16);
const runs = Number(benchFlag('runs') ?? 200);
const strategy = benchFlag('strategy') ?? 'greedy';
const pauseMs = Number(benchFlag('pause') ?? SETTING_RULES.debounceMs.default);
if (!isStrategyName(strategy)) throw new Error(`unknown strategy ${strategy}`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
/** A 95% interval for `statistic` of `xs` by resampling (seeded, so a rerun on the same data agrees). */
function interval(xs: number[], statistic: (ys: number[]) => number, draws = 2000): [number, number] {
  let seed = 1;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const values = Array.from({ length: draws }, () => statistic(xs.map(() => xs[Math.floor(random() * xs.length)]!))).sort((a, b) => a - b);
  return [values[Math.floor(draws * 0.025)]!, values[Math.floor(draws * 0.975)]!];
}
const file = benchFlag('file');
const { prefix, suffix } = file ? splitAt(readFileSync(file, 'utf8'), Number(benchFlag('line')), Number(benchFlag('column'))) : benchPosition();
/** Each run types one more character, as a user does: the prompt is mostly cached on both sides. */
const request = (run: number): SessionRequest => ({
  parts: partsFromText(`${prefix}${'x'.repeat(run % 8)}`, suffix),
  strategy,
  options: { maxTokens: tokens, seed: 1, ignoreEndOfGeneration: true },
});

async function timed(session: ModelSession, run: number): Promise<number> {
  if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  const t0 = performance.now();
  const r = await session.complete(request(run));
  const ms = performance.now() - t0;
  if (strategy === 'greedy' && r.candidates[0]!.tokens.length !== tokens) throw new Error(`expected ${tokens} tokens, got ${r.candidates[0]!.tokens.length}`);
  return ms;
}

/**
 * The machine's own cost of a request to another process, apart from anything TokenTree sends or
 * computes: a plain Node IPC echo of a message as big as a long file's request, sent right after
 * the last one (both processes awake) and after idling as long as an in-process completion took
 * (the echo process asleep, as the model process is between keystrokes).
 */
async function echoRoundTrips(idleMs: number, count = 200): Promise<{ awakeMs: number; afterIdleMs: number }> {
  const echo = fork(__filename, ['--echo'], { serialization: 'advanced' });
  const message = { text: 'x'.repeat(8192) };
  const roundTrip = async () => {
    const t0 = performance.now();
    await new Promise((resolve) => { echo.once('message', resolve); echo.send(message); });
    return performance.now() - t0;
  };
  const awake: number[] = [];
  const afterIdle: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      awake.push(await roundTrip());
      const until = performance.now() + idleMs;
      while (performance.now() < until);
      afterIdle.push(await roundTrip());
    }
  } finally {
    echo.kill();
  }
  return { awakeMs: median(awake), afterIdleMs: median(afterIdle) };
}

/** The fields of a run's --json report that the pooled summary reads. */
type Report = { blockRatio: number; overheadMs: number; crossingMs: number };

/** The comparison `repeat` times over, each a fresh run of this script (so fresh processes on both sides), pooled. */
function repeated(repeat: number): void {
  const rest = [...args.filter((a, i) => a !== '--repeat' && args[i - 1] !== '--repeat' && a !== '--json'), '--no-echo'];
  const reports: Report[] = [];
  for (let r = 0; r < repeat; r++) {
    const run = spawnSync(process.execPath, [__filename, ...rest, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (run.status !== 0) throw new Error(`run ${r + 1} failed with ${run.status ?? run.signal}`);
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Report;
    reports.push(report);
    process.stderr.write(`run ${r + 1}/${repeat}: ABBA block ratio ${report.blockRatio.toFixed(3)}, ${report.overheadMs >= 0 ? '+' : ''}${report.overheadMs.toFixed(2)} ms, crossing ${report.crossingMs.toFixed(2)} ms\n`);
  }
  const ratios = reports.map((r) => r.blockRatio);
  const [low, high] = interval(ratios, mean);
  const summary = { strategy, tokens, runs, pauseMs, repeat, blockRatios: ratios, meanBlockRatio: mean(ratios), meanBlockRatioInterval: [low, high], medianBlockRatio: median(ratios), reports };
  if (args.includes('--json')) console.log(JSON.stringify(summary));
  else console.log(`${strategy}, ${tokens} tokens, ${repeat} fresh runs of ${runs} each, ${pauseMs} ms pause before each; ABBA block ratio per run: ${ratios.map((x) => x.toFixed(3)).join(' ')}; mean over runs ${mean(ratios).toFixed(3)} (95% interval ${low.toFixed(3)}-${high.toFixed(3)}), median ${median(ratios).toFixed(3)}`);
}

async function main() {
  const threads = 1;
  const local = localSession(await loadModel({ modelPath, threads }));
  const proc = new ModelProcess({ worker: { script: join(__dirname, '..', '..', 'dist', 'model-worker.js'), execArgv: [] } });
  const remote = await proc.load({ modelPath, threads });
  const inProcess: number[] = [];
  const through: number[] = [];
  /** Of each completion through the process, the time spent crossing (the rest is the work inside it). */
  const crossing: number[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      await timed(local, i);
      await timed(remote, i);
    }
    for (let i = 0; i < runs; i++) {
      // Alternate which side goes first, so neither always meets a warmer cache or CPU.
      const order: [ModelSession, number[]][] = [[local, inProcess], [remote, through]];
      if (i % 2 === 1) order.reverse();
      for (const [session, times] of order) {
        times.push(await timed(session, i));
        if (session === remote) crossing.push(times.at(-1)! - proc.lastHandledMs!);
      }
    }
  } finally {
    await proc.close();
    await local.dispose();
  }
  const a = median(inProcess);
  // A pooled run skips it: it idles one completion's time 200 times (minutes on a real-size model).
  const echo = args.includes('--no-echo') ? undefined : await echoRoundTrips(a);
  const b = median(through);
  // Runs 2k and 2k+1 went in process, model process, model process, in process (ABBA): within such
  // a block each side goes first once and follows each side once, so the block's ratio is free of
  // drift and of which side went first (a single pair's ratio is bimodal on that).
  const blockRatios = Array.from({ length: Math.floor(runs / 2) }, (_, k) => (through[2 * k]! + through[2 * k + 1]!) / (inProcess[2 * k]! + inProcess[2 * k + 1]!));
  const blockRatio = median(blockRatios);
  const [low, high] = interval(blockRatios, median);
  const meanRatio = mean(through) / mean(inProcess);
  const crossingMs = median(crossing);
  const report = { model: modelPath, file: file ?? 'examples/stack.ts', strategy, tokens, runs, pauseMs, inProcessMs: a, modelProcessMs: b, ratio: b / a, meanRatio, blockRatio, blockRatioInterval: [low, high], overheadMs: b - a, crossingMs, echoRoundTrip: echo };
  if (args.includes('--json')) console.log(JSON.stringify(report));
  else console.log(`${strategy}, ${tokens} tokens, ${runs} runs each, ${pauseMs} ms pause before each; median ms: in process ${a.toFixed(2)}, model process ${b.toFixed(2)} (of which crossing ${crossingMs.toFixed(2)}); ratio of medians ${(b / a).toFixed(3)} (${b >= a ? '+' : ''}${(b - a).toFixed(2)} ms), ratio of means ${meanRatio.toFixed(3)}, median ratio per ABBA block ${blockRatio.toFixed(3)} (95% interval ${low.toFixed(3)}-${high.toFixed(3)})${echo ? `; a plain 8 KB Node IPC echo: ${echo.awakeMs.toFixed(2)} ms awake, ${echo.afterIdleMs.toFixed(2)} ms after ${a.toFixed(0)} ms idle` : ''}`);
}

const repeat = Number(benchFlag('repeat') ?? 1);
if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got ${benchFlag('repeat')}`);
if (process.argv.includes('--echo')) process.on('message', (m) => process.send!(m));
else if (repeat > 1) repeated(repeat);
else void main();
