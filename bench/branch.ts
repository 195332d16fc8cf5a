/**
 * What a branch costs, against what llama.cpp charges for it, side by side in one run, one thread:
 *
 * - llama.cpp's own batched decode (`llama-batched-bench`, built from the llama.cpp source
 *   node-llama-cpp ships, no sampling): the 1-sequence and the 4-sequence step;
 * - node-llama-cpp's own greedy generation;
 * - each strategy's decode ms per committed token through TokenTree's engine (greedy as the
 *   editor runs it with the panel closed, and with the panel's alternatives), and beam-4's ms per
 *   step; the ratios the goals are written in;
 * - one 4-branch tree step taken apart (branch-step.ts).
 *
 * On two models: Qwen2.5-Coder's 151,936-token vocabulary on 1 layer 64 wide (a step is the host's
 * vocabulary-sized work per branch: what a batched step costs on a GPU), and Qwen2.5-Coder-0.5B's
 * shape (compute-bound on a CPU). Both random-weight, written by tools/model/real-shape.ts.
 *
 *   npm run bench:branch -- [--models heavy,real-shape] [--runs N] [--tokens N] [--json]
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { completeAt } from '../src/engine/complete';
import { partsFromText } from '../src/decoding/prompt-parts';
import type { StrategyName } from '../src/decoding/strategy';
import { loadModel, type LoadedModel } from '../src/model/load';
import { realShapeModel, vocabHeavyModel } from '../tools/model/real-shape';
import { measureBookkeeping } from './branch-bookkeeping';
import { breakDownStep, type StepBreakdown } from './branch-step';
import { nativeGreedy } from './native';
import { benchFlag, benchPosition, repoRoot } from './position';
import { median } from './stats';

const json = process.argv.includes('--json');
const runs = Number(benchFlag('runs') ?? 5);
const maxTokens = Number(benchFlag('tokens') ?? 32);
const models = (benchFlag('models') ?? 'heavy,real-shape').split(',');
const { prefix, suffix } = benchPosition();

/** llama.cpp's batched decode: ms per step of one sequence and of four (a token each, logits out). */
function llamaSteps(model: string): { oneMs: number; fourMs: number } {
  const out = execFileSync('bash', [join(repoRoot, 'tools', 'llama-server', 'build.sh'), 'llama-batched-bench'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const binary = join(repoRoot, out.trim().split('\n').pop()!);
  const tg = 64;
  const lines = execFileSync(binary, ['-m', model, '-c', '4096', '-b', '2048', '-ub', '512', '-npp', '256', '-ntg', String(tg), '-npl', '1,4', '-t', '1', '--output-format', 'jsonl'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const rows = lines.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { pl: number; t_tg: number });
  const step = (pl: number) => (rows.find((r) => r.pl === pl)!.t_tg * 1000) / tg;
  return { oneMs: step(1), fourMs: step(4) };
}

/** The fused-read prototype's medians (tools/prototype/fused-read.cpp), in ms per position. */
function fusedRead(vocab: number, topN: number): { plainReadMs: number; normalizerReadMs: number; topReadMs: number; fusedReadMs: number } {
  const out = execFileSync('bash', [join(repoRoot, 'tools', 'prototype', 'build.sh')], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const binary = join(repoRoot, out.trim().split('\n').pop()!);
  return JSON.parse(execFileSync(binary, [String(vocab), String(topN), '300'], { encoding: 'utf8' })) as ReturnType<typeof fusedRead>;
}

/**
 * What the goals can reach: through node-llama-cpp 3.22.1's reads (the floor: a step is its decode
 * and its reads, nothing of ours), and with the prototype's fused read in their place (its time
 * plus what a read costs beyond its work: the call, the pool, the promise).
 */
function floors(nativeMs: number, llama: { oneMs: number; fourMs: number }, step: StepBreakdown, proto: ReturnType<typeof fusedRead>, beam: StrategyRow) {
  const callOverhead = Math.max(0, step.plainCallMs - proto.plainReadMs);
  const fusedCall = callOverhead + proto.fusedReadMs;
  // A beam that splits forks, and node-llama-cpp 3.22.1 (no kv_unified) copies the fork's whole
  // KV stream: beam's own forks per step at the measured price of one.
  const forksPerStep = (beam.forksPerToken * beam.committedTokens) / Math.max(1, beam.modelCalls);
  return {
    api: {
      greedyVsNodeLlamaCpp: (nativeMs + step.normalizerCallMs - step.plainCallMs) / nativeMs,
      beam4StepVsLlamaCpp4Step: (step.decodeMs + step.readsTogetherMs) / llama.fourMs,
      beam4StepWithForksVsLlamaCpp4Step: (step.decodeMs + step.readsTogetherMs + forksPerStep * step.forkCopyMs) / llama.fourMs,
    },
    fusedPrototype: {
      readMs: proto.fusedReadMs, todayNormalizerReadMs: proto.normalizerReadMs, todayTopReadMs: proto.topReadMs,
      greedyVsNodeLlamaCpp: (nativeMs + fusedCall - step.plainCallMs) / nativeMs,
      // Each position's two reads become one fused call, started together as today's are.
      beam4StepVsLlamaCpp4Step: (step.decodeMs + step.readsTogetherMs * (fusedCall / (step.normalizerCallMs + step.topCallMs))) / llama.fourMs,
    },
  };
}

/**
 * What MCTS's search costs at the price of its parts, per committed token, against greedy: every
 * position it reads decoded at llama.cpp's own price (a quarter of its 4-sequence step), then also
 * read through node-llama-cpp 3.22.1 (a top-1 read is the Σ exp read, a deeper one both, at the
 * share of their cost left when a step's reads run together). Below it only by reading fewer positions.
 */
function mctsFloor(row: StrategyRow, greedyMs: number, llama: { fourMs: number }, step: StepBreakdown) {
  const positions = row.topOneReadsPerToken + row.deepReadsPerToken;
  const decodeMs = positions * (llama.fourMs / 4);
  const together = step.readsTogetherMs / step.readsInTurnMs;
  const readsMs = (row.topOneReadsPerToken * step.normalizerCallMs + row.deepReadsPerToken * (step.normalizerCallMs + step.topCallMs)) * together;
  return { positionsPerToken: positions, decodeOnlyVsGreedy: decodeMs / greedyMs, throughApiVsGreedy: (decodeMs + readsMs) / greedyMs };
}

/** A distinct first line per run: every run evaluates its whole prompt, as a new position does. */
const cold = (run: number, side: string) => partsFromText(`// branch ${side} ${run}\n${prefix}`, suffix);

interface StrategyRow {
  strategy: string; decodeMsPerCommittedToken: number; msPerStep: number; modelCalls: number; committedTokens: number;
  /** Per committed token: tokens sent to llama_decode, and forks. */
  decodedPerToken: number; forksPerToken: number;
  /** Per committed token: positions read for their top token only, and for more. */
  topOneReadsPerToken: number; deepReadsPerToken: number;
}

async function strategyRow(m: LoadedModel, name: string, strategy: StrategyName, options: Record<string, unknown>): Promise<StrategyRow> {
  const rows: StrategyRow[] = [];
  await completeAt(m, { parts: cold(-1, name), strategy, options: { maxTokens, seed: 1, ...options } });
  for (let run = 0; run < runs; run++) {
    const before = m.stats;
    const r = await completeAt(m, { parts: cold(run, name), strategy, options: { maxTokens, seed: 1, ...options } });
    const after = m.stats;
    const tokens = Math.max(1, r.candidates[0]?.tokens.length ?? 1);
    // The prompt's own tokens are not the strategy's: counted from the first committed token on.
    const decoded = after.tokensEvaluated - before.tokensEvaluated - r.promptTokensEvaluated;
    rows.push({
      strategy: name, decodeMsPerCommittedToken: r.stats.ms / tokens, msPerStep: r.stats.ms / Math.max(1, r.stats.modelCalls), modelCalls: r.stats.modelCalls, committedTokens: tokens,
      decodedPerToken: decoded / tokens, forksPerToken: (after.forks - before.forks) / tokens,
      topOneReadsPerToken: (r.stats.topOneReads ?? 0) / tokens, deepReadsPerToken: (r.stats.deepReads ?? 0) / tokens,
    });
  }
  const med = (k: keyof Omit<StrategyRow, 'strategy'>) => median(rows.map((x) => x[k]));
  return {
    strategy: name, decodeMsPerCommittedToken: med('decodeMsPerCommittedToken'), msPerStep: med('msPerStep'), modelCalls: med('modelCalls'), committedTokens: med('committedTokens'),
    decodedPerToken: med('decodedPerToken'), forksPerToken: med('forksPerToken'),
    topOneReadsPerToken: med('topOneReadsPerToken'), deepReadsPerToken: med('deepReadsPerToken'),
  };
}

async function benchModel(name: string, path: string) {
  const llama = llamaSteps(path);
  const m = await loadModel({ modelPath: path, threads: 1, contextSize: 4096 });
  try {
    // Greedy against node-llama-cpp's own, alternating who goes first, end of generation ignored.
    const ours: number[] = [];
    const native: number[] = [];
    for (let run = -1; run < 2 * runs; run++) {
      const parts = cold(run, 'native');
      const nativeFirst = run % 2 === 1;
      const n0 = nativeFirst ? await measureNative(m, parts) : undefined;
      const t0 = performance.now();
      await completeAt(m, { parts, strategy: 'greedy', options: { maxTokens, seed: 1, ignoreEndOfGeneration: true, alternatives: 0 } });
      const o = performance.now() - t0;
      const n = n0 ?? await measureNative(m, parts);
      if (run >= 0) {
        ours.push(o / maxTokens);
        native.push(n / maxTokens);
      }
    }
    const strategies = [
      await strategyRow(m, 'greedy', 'greedy', { alternatives: 0, ignoreEndOfGeneration: true }),
      await strategyRow(m, 'greedy (panel)', 'greedy', { ignoreEndOfGeneration: true }),
      await strategyRow(m, 'beam-4', 'beam', { width: 4 }),
      // Without its 3 s and 400-call budgets, which would cut it short on the real-shape model.
      await strategyRow(m, 'mcts', 'mcts', { maxMs: 86_400_000, maxModelCalls: 100_000 }),
      await strategyRow(m, 'entropy', 'entropy', {}),
      await strategyRow(m, 'top-p', 'top-p', {}),
    ];
    const greedy = strategies[0]!.decodeMsPerCommittedToken;
    const by = (s: string) => strategies.find((r) => r.strategy === s)!;
    const prompt = m.buildPrompt(cold(9999, 'step'), { maxNewTokens: maxTokens }).tokens;
    const step: StepBreakdown = await breakDownStep(m, prompt, Math.max(20, 4 * runs));
    const proto = fusedRead(m.info.vocabSize, step.topN);
    const bookkeeping = measureBookkeeping(m, prefix.slice(-1500), Math.max(48, maxTokens));
    return {
      model: name, path, vocabSize: m.info.vocabSize, threads: m.info.threads,
      llamaCpp: { oneSequenceStepMs: llama.oneMs, fourSequenceStepMs: llama.fourMs },
      nodeLlamaCppGreedyMsPerToken: median(native),
      greedyMsPerTokenPanelClosed: median(ours),
      strategies,
      ratios: {
        greedyVsNodeLlamaCpp: median(ours) / median(native),
        greedyVsLlamaCppStep: median(ours) / llama.oneMs,
        beam4StepVsLlamaCpp4Step: by('beam-4').msPerStep / llama.fourMs,
        mctsVsGreedy: by('mcts').decodeMsPerCommittedToken / greedy,
        entropyVsGreedy: by('entropy').decodeMsPerCommittedToken / greedy,
        treeStepReadsVsDecode: step.readsTogetherMs / step.decodeMs,
      },
      step,
      bookkeeping,
      floors: { ...floors(median(native), llama, step, proto, by('beam-4')), mcts: mctsFloor(by('mcts'), greedy, llama, step) },
    };
  } finally {
    await m.dispose();
  }
}

/** node-llama-cpp's greedy for `maxTokens` tokens, prompt making included (as ours includes it). */
async function measureNative(m: LoadedModel, parts: ReturnType<typeof cold>): Promise<number> {
  const run = await nativeGreedy(m, () => m.buildPrompt(parts, { maxNewTokens: maxTokens }).tokens, maxTokens);
  return run.end - run.start;
}

async function main() {
  const reports = [];
  for (const name of models) {
    const path = name === 'heavy' ? await vocabHeavyModel() : name === 'real-shape' ? await realShapeModel() : name;
    reports.push(await benchModel(name, path));
  }
  if (json) {
    console.log(JSON.stringify({ node: process.version, maxTokens, runs, reports }, null, 2));
    return;
  }
  const f = (x: number) => x.toFixed(2);
  for (const r of reports) {
    console.log(`\n${r.model} (${r.path}): vocabulary ${r.vocabSize}, ${r.threads} thread, ${maxTokens} tokens, median of ${runs}`);
    console.log(`llama.cpp batched decode: 1 sequence ${f(r.llamaCpp.oneSequenceStepMs)} ms/step, 4 sequences ${f(r.llamaCpp.fourSequenceStepMs)} ms/step`);
    console.log(`node-llama-cpp greedy ${f(r.nodeLlamaCppGreedyMsPerToken)} ms/token; TokenTree greedy, panel closed ${f(r.greedyMsPerTokenPanelClosed)} ms/token`);
    console.log(`${'strategy'.padEnd(16)}${'ms/committed tok'.padStart(18)}${'ms/step'.padStart(10)}${'calls'.padStart(8)}${'tokens'.padStart(8)}${'x greedy'.padStart(10)}${'decoded/tok'.padStart(13)}${'forks/tok'.padStart(11)}`);
    for (const s of r.strategies) {
      console.log(`${s.strategy.padEnd(16)}${f(s.decodeMsPerCommittedToken).padStart(18)}${f(s.msPerStep).padStart(10)}${String(s.modelCalls).padStart(8)}${String(s.committedTokens).padStart(8)}${f(s.decodeMsPerCommittedToken / r.strategies[0]!.decodeMsPerCommittedToken).padStart(10)}${f(s.decodedPerToken).padStart(13)}${f(s.forksPerToken).padStart(11)}`);
    }
    const q = r.ratios;
    console.log(`ratios: greedy/node-llama-cpp ${f(q.greedyVsNodeLlamaCpp)} (goal ≤ 1.10) · beam-4 step/llama.cpp 4-seq step ${f(q.beam4StepVsLlamaCpp4Step)} (goal ≤ 2.0) · mcts/greedy ${f(q.mctsVsGreedy)} · entropy/greedy ${f(q.entropyVsGreedy)} (goal ≤ 1.2)`);
    const s = r.step;
    console.log(`one ${s.branches}-branch step, top ${s.topN}: decode ${f(s.decodeMs)} ms · per position: plain read ${f(s.plainCallMs)}, Σexp read ${f(s.normalizerCallMs)}, top-N read ${f(s.topCallMs)} ms · all reads at once ${f(s.readsTogetherMs)} ms (in turn ${f(s.readsInTurnMs)}) · driver step ${f(s.driverStepMs)} · engine step ${f(s.engineStepMs)} ms · a fork adds ${f(s.forkCopyMs)} ms to the next step (its whole KV stream copied)`);
    const b = r.bookkeeping;
    console.log(`per branch-token besides the model, at ${b.tokens} tokens: step record ${f(b.stepRecordUs)} µs · stop rule ${f(b.stopRuleUs)} µs (the whole path detokenized and scanned at every token: ${f(b.stopRuleWholePathUs)} µs) · tree node ${f(b.treeNodeUs)} µs`);
    const fl = r.floors;
    console.log(`floor through node-llama-cpp 3.22.1's reads: greedy/node-llama-cpp ${f(fl.api.greedyVsNodeLlamaCpp)} · beam-4 step/llama.cpp 4-seq ${f(fl.api.beam4StepVsLlamaCpp4Step)}, with beam's forks copying whole streams ${f(fl.api.beam4StepWithForksVsLlamaCpp4Step)}`);
    const mc = r.strategies.find((x) => x.strategy === 'mcts')!;
    console.log(`MCTS's search: ${f(fl.mcts.positionsPerToken)} positions read per committed token (${f(mc.topOneReadsPerToken)} top-1, ${f(mc.deepReadsPerToken)} deeper); those positions at llama.cpp's batched price ${f(fl.mcts.decodeOnlyVsGreedy)}x greedy, and read through node-llama-cpp ${f(fl.mcts.throughApiVsGreedy)}x (goal ≤ 8 heavy, ≤ 5 real-shape)`);
    console.log(`fused-read prototype (${fl.fusedPrototype.readMs.toFixed(3)} ms a position, against today's ${fl.fusedPrototype.todayNormalizerReadMs.toFixed(3)} + ${fl.fusedPrototype.todayTopReadMs.toFixed(3)} ms in C++): greedy/node-llama-cpp ${f(fl.fusedPrototype.greedyVsNodeLlamaCpp)} · beam-4 step/llama.cpp 4-seq ${f(fl.fusedPrototype.beam4StepVsLlamaCpp4Step)}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
