/**
 * ms/token of the llama.cpp backend against node-llama-cpp's own greedy generation, on one model,
 * same threads and context. Run: npm run bench:backend -- [--model PATH] [--tokens N] [--threads N] [--json]
 *
 * Rows: native `sequence.evaluate` greedy; our evaluate() for topN = 1, 8, 64 and the whole
 * vocabulary (direct path: two native samplers); the public controlledEvaluate path for the same
 * topN (its top list sorts the whole vocabulary); and a 4-branch step (one batch) per token.
 */

import { nativeGreedy } from '../bench/native';
import { FIXTURE_MODEL_FILE, modelsPath } from '../src/model/builtin';
import { loadModel, type LoadedModel } from '../src/model/load';
import { partsFromText } from '../src/decoding/prompt-parts';

interface Args { model: string; tokens: number; threads: number; repeats: number; json: boolean }

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { model: modelsPath(FIXTURE_MODEL_FILE), tokens: 200, threads: 1, repeats: 3, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--model') args.model = argv[++i]!;
    else if (a === '--tokens') args.tokens = Number(argv[++i]);
    else if (a === '--threads') args.threads = Number(argv[++i]);
    else if (a === '--repeats') args.repeats = Number(argv[++i]);
    else if (a === '--json') args.json = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const PROMPT = 'export function parseConfig(text: string): Config {\n  const lines = text.split("\\n");\n  for (const line of lines) {\n';

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Native greedy per step after the first token (which carries the prompt), over n steps. */
async function nativeSteps(m: LoadedModel, prompt: number[], n: number): Promise<{ ms: number; tokens: number[] }> {
  const run = await nativeGreedy(m, () => prompt, n + 1);
  return { ms: (run.end - run.first) / n, tokens: run.tokens };
}

async function ours(m: LoadedModel, prompt: number[], n: number, topN: number, width = 1): Promise<{ ms: number; tokens: number[] }> {
  const lm = m.languageModel;
  const s = await lm.start(prompt, topN);
  const branches = [s.branch];
  for (let i = 1; i < width; i++) branches.push(lm.fork(s.branch));
  const tokens = [s.next.ids[0]!];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const next = await lm.evaluate(branches.map((branch) => ({ branch, tokens: [tokens[tokens.length - 1]!], topN })));
    tokens.push(next[0]!.ids[0]!);
  }
  const ms = (performance.now() - t0) / n;
  for (const b of branches) lm.release(b);
  return { ms, tokens };
}

interface Measured { ms: number; cpuMs: number; tokens: number[] }
type Case = { name: string; perStep?: boolean; run: () => Promise<{ ms: number; tokens: number[] }> };

/** Wall time suffers from whatever else runs on the machine; CPU time (all threads) much less. */
async function measure(run: Case['run'], steps: number): Promise<Measured> {
  const cpu0 = process.cpuUsage();
  const r = await run();
  const cpu = process.cpuUsage(cpu0);
  return { ms: r.ms, cpuMs: (cpu.user + cpu.system) / 1000 / steps, tokens: r.tokens };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const direct = await loadModel({ modelPath: args.model, threads: args.threads, contextSize: 1024, maxBranches: 8 });
  const pub = await loadModel({ modelPath: args.model, threads: args.threads, contextSize: 1024, maxBranches: 8, scoring: 'public' });
  try {
    const prompt = direct.buildPrompt(partsFromText(PROMPT, '\n  }\n}\n'), { maxNewTokens: args.tokens + 8 }).tokens as number[];
    const n = args.tokens;
    const cases: Case[] = [{ name: 'native sequence.evaluate greedy', run: () => nativeSteps(direct, prompt, n) }];
    for (const topN of [1, 8, 64, Infinity]) cases.push({ name: `direct topN=${topN}`, run: () => ours(direct, prompt, n, topN) });
    for (const topN of [1, 8, 64, Infinity]) cases.push({ name: `public controlledEvaluate topN=${topN}`, run: () => ours(pub, prompt, n, topN) });
    cases.push({ name: 'direct topN=8, 4 branches/step (per step)', perStep: true, run: () => ours(direct, prompt, Math.ceil(n / 4), 8, 4) });
    // Rounds interleave the cases so that a burst of load elsewhere hits all of them alike.
    const results = cases.map(() => [] as Measured[]);
    for (let round = 0; round < args.repeats; round++) {
      for (const [i, c] of cases.entries()) results[i]!.push(await measure(c.run, c.perStep ? Math.ceil(n / 4) : n));
    }
    const native = results[0]!;
    const nativeMs = median(native.map((m) => m.ms));
    const nativeCpu = median(native.map((m) => m.cpuMs));
    const rows = cases.map((c, i) => {
      const ms = median(results[i]!.map((m) => m.ms));
      const cpuMs = median(results[i]!.map((m) => m.cpuMs));
      const minMs = Math.min(...results[i]!.map((m) => m.ms));
      const tokens = results[i]![0]!.tokens;
      return {
        name: c.name, msPerToken: ms, minMsPerToken: minMs, cpuMsPerToken: cpuMs, vsNative: ms / nativeMs, cpuVsNative: cpuMs / nativeCpu,
        sameTokens: c.perStep ? undefined : tokens.every((t, k) => t === native[0]!.tokens[k]),
      };
    });
    const info = { model: args.model, vocabSize: direct.info.vocabSize, backend: direct.info.backend, threads: direct.info.threads, tokens: n, repeats: args.repeats };
    if (args.json) {
      console.log(JSON.stringify({ ...info, rows }, null, 2));
      return;
    }
    console.log(`${info.model}: vocab ${info.vocabSize}, ${info.backend}, threads ${info.threads}, ${n} tokens, median of ${args.repeats} interleaved rounds`);
    const nativeMin = rows[0]!.minMsPerToken;
    console.log(`${'case'.padEnd(44)} ${'wall ms'.padStart(9)} ${'x native'.padStart(9)} ${'min ms'.padStart(9)} ${'x native'.padStart(9)} ${'cpu ms'.padStart(9)} ${'x native'.padStart(9)}`);
    for (const r of rows) {
      const same = r.sameTokens === undefined ? '' : r.sameTokens ? '  same tokens' : '  DIFFERENT TOKENS';
      console.log(`${r.name.padEnd(44)} ${r.msPerToken.toFixed(3).padStart(9)} ${r.vsNative.toFixed(2).padStart(9)} ${r.minMsPerToken.toFixed(3).padStart(9)} ${(r.minMsPerToken / nativeMin).toFixed(2).padStart(9)} ${r.cpuMsPerToken.toFixed(3).padStart(9)} ${r.cpuVsNative.toFixed(2).padStart(9)}${same}`);
    }
  } finally {
    await direct.dispose();
    await pub.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
