/**
 * What the model process costs: whole completions through it against the same completions in
 * process, side by side, alternating, on the same model file and thread count. Both sides
 * run the bundled code (the worker is dist/model-worker.js, as the extension ships it).
 *
 *   npm run bench:process -- [--model PATH] [--tokens N] [--runs N] [--strategy NAME] [--pause MS] [--wake model|none|all] [--file F --line L --column C] [--in-process host|driver|both] [--first K] [--repeat N] [--no-echo] [--json]
 *
 * Without --file the cursor is examples/stack.ts 23:12; a long real file sends the editor's whole
 * prompt window (prefix, suffix) with every request. Each completion goes through the editor's
 * RequestGate (src/providers/request-gate.ts), whose debounce is --pause ms (default: the editor's
 * default, since the editor asks only after one); --pause 0 runs them back to back.
 *
 * --wake says whose gate wakes its model a little before the debounce ends, as the editor's does:
 * `model` (the default, as shipped) the model process's only; `none` nobody's (the crossing as it
 * was before the wake message); `all` the in-process sides too, where waking is a timer that fires
 * early in their own process and does nothing (whether an early wake-up alone speeds them up).
 *
 * --repeat N runs the whole comparison N times, each in fresh processes, and pools the runs: on a
 * VM one process can run the same completions several percent faster or slower than another for
 * its whole life, so a single run's tight interval says little about the next run's ratio; a
 * sample of runs does.
 *
 * The in-process design runs in an extension host of its own (`--in-process host`, the default): a
 * child process that loads the model itself, idles between its turns as an editor's extension host
 * does, and times each completion inside (the message that starts a turn is not timed). `driver`
 * runs it in this script's own process instead, as sessions before 2026-11-30 did: that process is
 * also the model process's client, so one heap holds both designs' garbage and collects it in
 * either's turns. `both` runs the two side by side with the model process (three processes on the
 * machine, which slows the crossing).
 *
 * On a VM the process that loads its model first can run several percent slower than the other
 * for its whole life, so `--first K` rotates which side loads first, and pooled runs pass K = the
 * run's index: the load order is balanced over the runs, each run's report names it, and the
 * pooled summary weighs each order equally (its interval resamples runs within their order).
 *
 * Each run (or, with --repeat, the pooled summary) ends with the machine's floor: a plain Node IPC
 * request answered after a completion's worth of work, no TokenTree code on either side. It is the
 * least any design that crosses to another process once per completion adds here, so a ratio
 * goal below it cannot be shown on this machine. --no-echo skips it.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
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
import { RequestGate } from '../src/providers/request-gate';
import { crossingFloor, describeFloor, floorReport, serveAsEcho } from './ipc-floor';
import { benchPosition, benchFlag } from './position';
import { interval, mean, median, percentiles, resample, seededRandom } from './stats';

const args = process.argv.slice(2);
const modelPath = benchFlag('model') ?? builtinModelPath();
const tokens = Number(benchFlag('tokens') ?? 16);
const runs = Number(benchFlag('runs') ?? 200);
const strategy = benchFlag('strategy') ?? 'greedy';
const pauseMs = Number(benchFlag('pause') ?? SETTING_RULES.debounceMs.default);
if (!Number.isFinite(pauseMs) || pauseMs < 0) throw new Error(`--pause must be a number of ms from 0, got ${benchFlag('pause')}`);
/** Where the in-process design runs: in a host of its own, in this script's process, or both side by side. */
const baseline = benchFlag('in-process') ?? 'host';
if (!isStrategyName(strategy)) throw new Error(`unknown strategy ${strategy}`);
if (!['driver', 'host', 'both'].includes(baseline)) throw new Error(`--in-process must be driver, host or both, got ${baseline}`);
const wake = benchFlag('wake') ?? 'model';
if (!['model', 'none', 'all'].includes(wake)) throw new Error(`--wake must be model, none or all, got ${wake}`);
/** The editor's gate with the debounce --pause gives, waking with `soon` where --wake says so. */
const gate = (soon: (() => void) | undefined) => new RequestGate(() => pauseMs, { soon });
/** An in-process side's gate: with --wake all, an early timer that does nothing. */
const inProcessGate = () => gate(wake === 'all' ? () => undefined : undefined);
const first = Number(benchFlag('first') ?? 0);
if (!Number.isInteger(first) || first < 0) throw new Error(`--first must be a non-negative integer, got ${benchFlag('first')}`);
/** One llama.cpp thread per side: what `auto` picks for the built-in model on a CPU (src/model/threads.ts). */
const threads = 1;
const inDriver = baseline !== 'host';
const inHost = baseline !== 'driver';

/**
 * Per-run ratios grouped by the side that loaded first. The load order is a factor the runs
 * balance, not noise (the side loaded first is slower for its whole run on this VM), so the
 * estimate weighs each order equally and its interval resamples runs within their order: pooling
 * them as one sample would count the load order's gap as run-to-run noise.
 */
function byLoadOrder(ratios: number[], firstLoaded: string[]) {
  const orders = [...new Set(firstLoaded)];
  const groups = orders.map((order) => ratios.filter((_, i) => firstLoaded[i] === order));
  const estimate = (gs: number[][]) => mean(gs.map(mean));
  const random = seededRandom();
  return {
    ratios,
    byFirst: Object.fromEntries(orders.map((order, i) => [order, mean(groups[i]!)])),
    mean: estimate(groups),
    interval: percentiles(() => estimate(groups.map((g) => resample(g, random)))),
  };
}
const file = benchFlag('file');
const { prefix, suffix } = file ? splitAt(readFileSync(file, 'utf8'), Number(benchFlag('line')), Number(benchFlag('column'))) : benchPosition();
/** Each run types one more character, as a user does: the prompt is mostly cached on both sides. */
const request = (run: number): SessionRequest => ({
  parts: partsFromText(`${prefix}${'x'.repeat(run % 8)}`, suffix),
  strategy,
  options: { maxTokens: tokens, seed: 1, ignoreEndOfGeneration: true },
});

/** The in-process design in a process of its own, driven one completion at a time (`--host` mode of this script). */
class InProcessHost {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<InProcessHost> {
    const child = fork(__filename, [...args, '--host'], { serialization: 'advanced', execArgv: [] });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the in-process host exited with ${code}`)));
    });
    return new InProcessHost(child);
  }

  /** One completion timed inside the host (after its own gate's debounce, as `timed` does here). */
  run(run: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const died = (code: number | null) => reject(new Error(`the in-process host exited with ${code} during run ${run}`));
      this.child.once('exit', died);
      this.child.once('message', (m: { ms: number }) => {
        this.child.off('exit', died);
        resolve(m.ms);
      });
      this.child.send({ run });
    });
  }

  close(): void {
    this.child.kill();
  }
}

async function serveAsHost(): Promise<void> {
  const local = localSession(await loadModel({ modelPath, threads }));
  const hostGate = inProcessGate();
  process.on('message', (m: { run: number }) => void timed(local, m.run, hostGate).then((ms) => process.send!({ ms })));
  process.on('disconnect', () => process.exit(0));
  process.send!({ ready: true });
}

/** One completion after the gate's debounce, timed from the debounce's end to the result, as the editor would wait for it. */
async function timed(session: ModelSession, run: number, requestGate: RequestGate): Promise<number> {
  const ticket = await requestGate.begin();
  if (!ticket) throw new Error('the gate dropped a request nothing superseded');
  const t0 = performance.now();
  const r = await session.complete(request(run), ticket.signal).finally(() => ticket.end());
  const ms = performance.now() - t0;
  if (strategy === 'greedy' && r.candidates[0]!.tokens.length !== tokens) throw new Error(`expected ${tokens} tokens, got ${r.candidates[0]!.tokens.length}`);
  return ms;
}

/** The fields of a run's --json report that the pooled summary reads. */
type Report = { blockRatio?: number; hostBlockRatio?: number; crossingMs: number; modelProcessMs: number; inProcessMs?: number; hostMs?: number; loadOrder: string[] };

/** The comparison `repeat` times over, each a fresh run of this script (so fresh processes on both sides), pooled. */
async function repeated(repeat: number): Promise<void> {
  const rest = [...args.filter((a, i) => a !== '--repeat' && args[i - 1] !== '--repeat' && a !== '--json'), '--no-echo'];
  const reports: Report[] = [];
  for (let r = 0; r < repeat; r++) {
    const run = spawnSync(process.execPath, [__filename, ...rest, '--first', String(r), '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (run.status !== 0) throw new Error(`run ${r + 1} failed with ${run.status ?? run.signal}`);
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Report;
    reports.push(report);
    const ratios = [report.blockRatio && `in the driver ${report.blockRatio.toFixed(3)}`, report.hostBlockRatio && `in a host of its own ${report.hostBlockRatio.toFixed(3)}`];
    process.stderr.write(`run ${r + 1}/${repeat}: ABBA block ratio against in process ${ratios.filter(Boolean).join(', ')}; crossing ${report.crossingMs.toFixed(2)} ms; loaded first: ${report.loadOrder[0]}\n`);
  }
  const firstLoaded = reports.map((r) => r.loadOrder[0]!);
  const driver = inDriver ? byLoadOrder(reports.map((r) => r.blockRatio!), firstLoaded) : undefined;
  const host = inHost ? byLoadOrder(reports.map((r) => r.hostBlockRatio!), firstLoaded) : undefined;
  const line = (name: string, p: ReturnType<typeof byLoadOrder> | undefined) => p && `${name}: ${p.ratios.map((x) => x.toFixed(3)).join(' ')}; by the side loaded first ${Object.entries(p.byFirst).map(([order, m]) => `${order} ${m.toFixed(3)}`).join(', ')}; load orders weighed equally ${p.mean.toFixed(3)} (95% interval ${p.interval[0].toFixed(3)}-${p.interval[1].toFixed(3)})`;
  const crossings = reports.map((r) => r.crossingMs);
  const workMs = median(reports.map((r) => r.modelProcessMs - r.crossingMs));
  const inProcessMs = median(reports.map((r) => (inHost ? r.hostMs : r.inProcessMs)!));
  const floor = args.includes('--no-echo') ? undefined : floorReport(await crossingFloor(__filename, workMs), workMs, inProcessMs);
  if (args.includes('--json')) console.log(JSON.stringify({ strategy, tokens, runs, pauseMs, wake, repeat, driver, host, reports, floor }));
  else console.log(`${strategy}, ${tokens} tokens, ${repeat} fresh runs of ${runs} each, ${pauseMs} ms debounce before each (woken: ${wake}); ABBA block ratio per run against in process ${[line('in the driver', driver), line('in a host of its own', host)].filter(Boolean).join('; ')}; crossing ${Math.min(...crossings).toFixed(2)}-${Math.max(...crossings).toFixed(2)} ms (median of the runs' medians ${median(crossings).toFixed(2)})${floor ? `; ${describeFloor(floor)}` : ''}`);
}

/** The median ratio of `b` to `a` over blocks of two runs (2k, 2k+1), and its 95% interval. */
function blocks(b: number[], a: number[]): { ratio: number; interval: [number, number] } {
  const ratios = Array.from({ length: Math.floor(Math.min(a.length, b.length) / 2) }, (_, k) => (b[2 * k]! + b[2 * k + 1]!) / (a[2 * k]! + a[2 * k + 1]!));
  return { ratio: median(ratios), interval: interval(ratios, median) };
}

/** `xs` starting from index `k` (mod its length), wrapping around. */
const rotate = <T>(xs: readonly T[], k: number): T[] => [...xs.slice(k % xs.length), ...xs.slice(0, k % xs.length)];

/** One way of running the completions: loaded (in the order --first gives), run, timed, closed. */
interface Side {
  readonly name: string;
  readonly times: number[];
  load(): Promise<void>;
  run(i: number): Promise<number>;
  close(): Promise<void>;
}

function inDriverSide(): Side {
  let local: ModelSession;
  const driverGate = inProcessGate();
  return {
    name: 'in the driver', times: [],
    load: async () => { local = localSession(await loadModel({ modelPath, threads })); },
    run: (i) => timed(local, i, driverGate),
    close: () => local.dispose(),
  };
}

function inHostSide(): Side {
  let host: InProcessHost;
  return {
    name: 'in a host of its own', times: [],
    load: async () => { host = await InProcessHost.start(); },
    run: (i) => host.run(i),
    close: async () => host.close(),
  };
}

/** `crossing` gets, of each completion, the time spent crossing (the rest is the work inside the process). */
function modelProcessSide(crossing: number[]): Side {
  let proc: ModelProcess;
  let remote: ModelSession;
  const processGate = gate(wake === 'none' ? undefined : () => remote.wake?.());
  return {
    name: 'model process', times: [],
    load: async () => {
      proc = new ModelProcess({ worker: { script: join(__dirname, '..', '..', 'dist', 'model-worker.js'), execArgv: [] } });
      remote = await proc.load({ modelPath, threads });
    },
    run: async (i) => {
      const ms = await timed(remote, i, processGate);
      crossing.push(ms - proc.lastHandledMs!);
      return ms;
    },
    close: () => proc.close(),
  };
}

async function main() {
  const crossing: number[] = [];
  const driverSide = inDriver ? inDriverSide() : undefined;
  const hostSide = inHost ? inHostSide() : undefined;
  const processSide = modelProcessSide(crossing);
  const sides = [driverSide, hostSide, processSide].filter((side): side is Side => side !== undefined);
  const loadOrder = rotate(sides, first);
  const loaded: Side[] = [];
  try {
    for (const side of loadOrder) {
      await side.load();
      loaded.push(side);
    }
    for (let i = 0; i < 10; i++) for (const side of sides) await side.run(i);
    for (let i = 0; i < runs; i++) {
      // Runs 2k and 2k+1 go in opposite orders (ABBA, or ABC CBA), so within a block each side goes
      // first once against each other side; the order rotates from block to block.
      const order = rotate(sides, Math.floor(i / 2));
      if (i % 2 === 1) order.reverse();
      for (const side of order) side.times.push(await side.run(i));
    }
  } finally {
    for (const side of loaded) await side.close();
  }
  const through = processSide.times;
  const b = median(through);
  const crossingMs = median(crossing);
  // A pooled run skips it (the pooled summary measures it once): it works one completion's time 200 times (minutes on a real-size model).
  const inProcessMs = median((hostSide ?? driverSide)!.times);
  const floor = args.includes('--no-echo') ? undefined : floorReport(await crossingFloor(__filename, b - crossingMs), b - crossingMs, inProcessMs);
  // Block ratios are free of drift and of which side went first (a single pair's ratio is bimodal on that).
  const against = (side: Side | undefined) => side && { ms: median(side.times), meanRatio: mean(through) / mean(side.times), ...blocks(through, side.times) };
  const driver = against(driverSide);
  const own = against(hostSide);
  const report = {
    model: modelPath, file: file ?? 'examples/stack.ts', strategy, tokens, runs, pauseMs, wake, loadOrder: loadOrder.map((side) => side.name), modelProcessMs: b, crossingMs, floor,
    inProcessMs: driver?.ms, blockRatio: driver?.ratio, blockRatioInterval: driver?.interval,
    hostMs: own?.ms, hostBlockRatio: own?.ratio, hostBlockRatioInterval: own?.interval,
  };
  const describe = (name: string, x: ReturnType<typeof against>) => x && `in process ${name} ${x.ms.toFixed(2)} ms: ratio of medians ${(b / x.ms).toFixed(3)} (${b >= x.ms ? '+' : ''}${(b - x.ms).toFixed(2)} ms), of means ${x.meanRatio.toFixed(3)}, median ratio per ABBA block ${x.ratio.toFixed(3)} (95% interval ${x.interval[0].toFixed(3)}-${x.interval[1].toFixed(3)})`;
  if (args.includes('--json')) console.log(JSON.stringify(report));
  else console.log(`${strategy}, ${tokens} tokens, ${runs} runs each, ${pauseMs} ms debounce before each (woken: ${wake}); model process ${b.toFixed(2)} ms (median; of which crossing ${crossingMs.toFixed(2)}); against ${[describe('in the driver', driver), describe('in a host of its own', own)].filter(Boolean).join('; against ')}${floor ? `; ${describeFloor(floor)}` : ''}`);
}

const repeat = Number(benchFlag('repeat') ?? 1);
if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got ${benchFlag('repeat')}`);
if (process.argv.includes('--echo')) serveAsEcho();
else if (process.argv.includes('--host')) void serveAsHost();
else if (repeat > 1) void repeated(repeat);
else void main();
