/**
 * Completion benchmark on a real GGUF through llama.cpp: per strategy, ms per completion
 * (median), tokens/s, model calls, prompt tokens evaluated per keystroke-like extension
 * of the prompt (prefix reuse); and, in the same run, node-llama-cpp's own greedy generation on the same prompt
 * and token count, as the ratio greedy-through-our-engine / native.
 *
 *   npm run bench -- [--model PATH] [--json] [--runs N] [--tokens N] [--greedy-only] [--no-healing]
 *   npm run bench -- --server URL [--json] [--runs N] [--tokens N]   (bench/server.ts)
 */
import { nativeGreedy } from './native';
import { benchServer } from './server';
import { benchPosition, benchFlag } from './position';
import { STRATEGY_NAMES } from '../src/decoding/strategies';
import { builtinModelPath } from '../src/model/builtin';
import { completeAt } from '../src/engine/complete';
import { loadModel, type LoadedModel } from '../src/model/load';
import { partsFromText } from '../src/decoding/prompt-parts';

const args = process.argv.slice(2);
const json = args.includes('--json');
/** --no-healing: token healing off, to see what its constrained first step costs. */
const healing = args.includes('--no-healing') ? false : undefined;
const runs = Number(benchFlag('runs') ?? 7);
const maxTokens = Number(benchFlag('tokens') ?? 32);
const modelPath = benchFlag('model') ?? builtinModelPath();
const { prefix, suffix } = benchPosition();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A distinct first line per run defeats prefix reuse, so every run pays for its prompt. */
const coldPrefix = (run: number) => `// bench run ${run}\n${prefix}`;

async function ours(m: LoadedModel, strategy: (typeof STRATEGY_NAMES)[number], prefixText: string, ignoreEndOfGeneration = false) {
  const t0 = performance.now();
  const r = await completeAt(m, { parts: partsFromText(prefixText, suffix), strategy, options: { maxTokens, seed: 1, ignoreEndOfGeneration }, healing });
  return { ms: performance.now() - t0, r };
}

/**
 * node-llama-cpp's own greedy generation. Like ours it starts from the text: the timed part
 * includes making the same FIM prompt tokens (node-llama-cpp's tokenizer, about 0.4 ms here), so
 * the ratio compares generation, not who was handed tokens.
 */
async function native(m: LoadedModel, prefixText: string, count: number): Promise<number> {
  const run = await nativeGreedy(m, () => m.buildPrompt(partsFromText(prefixText, suffix), { maxNewTokens: count }).tokens, count);
  return run.end - run.start;
}

async function main() {
  const server = benchFlag('server');
  if (server !== undefined) return benchServer(server);
  const m = await loadModel({ modelPath });
  const report: Record<string, unknown> = {
    model: modelPath,
    backend: m.info.backend,
    threads: m.info.threads,
    node: process.version,
    maxTokens,
    runs,
  };
  try {
    // Greedy versus native: same prompts (cold on both sides), exactly maxTokens tokens each
    // (end of generation ignored on both sides, as llama.cpp's benchmarks do).
    const oursMs: number[] = [];
    const nativeMs: number[] = [];
    // Each side goes first in every other run, so neither always runs on the other's warm caches;
    // this ratio is cheap to measure, so it takes 3x the runs for a steadier median.
    for (let run = -1; run < 3 * runs; run++) {
      const text = coldPrefix(run);
      const nativeFirst = run % 2 === 1;
      const n0 = nativeFirst ? await native(m, text, maxTokens) : undefined;
      const o = await ours(m, 'greedy', text, true);
      const generated = o.r.candidates[0].tokens.length;
      if (generated !== maxTokens) throw new Error(`greedy produced ${generated} of ${maxTokens} tokens`);
      const n = n0 ?? await native(m, text, maxTokens);
      if (run >= 0) {
        oursMs.push(o.ms / maxTokens);
        nativeMs.push(n / maxTokens);
      }
    }
    report.greedyMsPerTokenOurs = median(oursMs);
    report.greedyMsPerTokenNative = median(nativeMs);
    report.greedyVsNative = median(oursMs) / median(nativeMs);
    // Greedy's decoding cost per token once the prompt is in, over maxTokens tokens: the yardstick
    // for the strategies below, whose completions at this position may be a single token. Measured
    // on its own (not between native runs, whose context churn slows both sides a little).
    const greedyDecodeMs: number[] = [];
    for (let run = 0; run < runs; run++) {
      const { r } = await ours(m, 'greedy', coldPrefix(3000 + run), true);
      greedyDecodeMs.push(r.stats.ms / r.candidates[0].tokens.length);
    }
    report.greedyDecodeMsPerToken = median(greedyDecodeMs);

    const strategies: Record<string, unknown>[] = [];
    for (const strategy of args.includes('--greedy-only') ? [] : STRATEGY_NAMES) {
      // The cold prefixes change what the model writes, so each quantity is a median over runs of
      // that run's own figure (a run's ms/token with its own token count).
      const perRun: { ms: number; decodeMs: number; calls: number; evaluated: number; tokens: number; decodePerToken: number }[] = [];
      await ours(m, strategy, coldPrefix(1000));
      for (let run = 0; run < runs; run++) {
        const { ms, r } = await ours(m, strategy, coldPrefix(2000 + run));
        const tokens = r.candidates[0]?.tokens.length ?? 0;
        perRun.push({ ms, decodeMs: r.stats.ms, calls: r.stats.modelCalls, evaluated: r.stats.tokensEvaluated, tokens, decodePerToken: r.stats.ms / Math.max(1, tokens) });
      }
      const med = (key: keyof (typeof perRun)[number]) => median(perRun.map((x) => x[key]));
      // Keystroke-like: the same prefix grown by one character per request.
      // Prompt tokens evaluated = backend total minus what the strategy itself evaluated.
      const before = m.stats.tokensEvaluated;
      const typed = 'this.';
      let generationTokens = 0;
      let promptTokens = 0;
      for (let i = 1; i <= typed.length; i++) {
        const k = await ours(m, strategy, prefix + typed.slice(0, i));
        generationTokens += k.r.stats.tokensEvaluated;
        promptTokens = k.r.promptTokens;
      }
      const perKeystroke = (m.stats.tokensEvaluated - before - generationTokens) / typed.length;
      strategies.push({
        strategy,
        msPerCompletion: med('ms'),
        tokensPerSecond: median(perRun.map((x) => x.tokens / (x.ms / 1000))),
        modelCalls: med('calls'),
        tokensEvaluated: med('evaluated'),
        committedTokens: med('tokens'),
        decodeMs: med('decodeMs'),
        // Decoding only (the prompt is the same for every strategy and counted once above).
        decodeMsPerCommittedToken: med('decodePerToken'),
        promptTokensEvaluatedPerKeystroke: perKeystroke,
        promptTokens,
      });
    }
    for (const s of strategies) s.costVsGreedy = (s.decodeMsPerCommittedToken as number) / (report.greedyDecodeMsPerToken as number);
    report.strategies = strategies;
  } finally {
    await m.dispose();
  }

  if (json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(`model ${report.model} · backend ${report.backend} · threads ${report.threads} · node ${report.node} · ${maxTokens} tokens max · median of ${runs}`);
  console.log(`greedy: ours ${(report.greedyMsPerTokenOurs as number).toFixed(3)} ms/token, native node-llama-cpp ${(report.greedyMsPerTokenNative as number).toFixed(3)} ms/token → greedyVsNative ${(report.greedyVsNative as number).toFixed(3)}`);
  console.log(`greedy decoding after the prompt: ${(report.greedyDecodeMsPerToken as number).toFixed(3)} ms/token (the "x greedy" yardstick)`);
  const head = ['strategy', 'ms/completion', 'tok/s', 'calls', 'evaluated', 'tokens', 'decode ms/tok', 'x greedy', 'prompt', 'prompt eval/key'];
  console.log(head.map((h, i) => (i ? h.padStart(16) : h.padEnd(9))).join(''));
  for (const s of report.strategies as Record<string, number | string>[]) {
    const cells = [s.strategy, s.msPerCompletion, s.tokensPerSecond, s.modelCalls, s.tokensEvaluated, s.committedTokens, s.decodeMsPerCommittedToken, s.costVsGreedy, s.promptTokens, s.promptTokensEvaluatedPerKeystroke];
    console.log(cells.map((c, i) => (i ? (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toFixed(2)) : String(c)).padStart(16) : String(c).padEnd(9))).join(''));
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
