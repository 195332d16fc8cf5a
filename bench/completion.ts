/**
 * Completion benchmark on a real GGUF through llama.cpp: per strategy, ms per completion
 * (median), tokens/s, model calls, prompt tokens evaluated per keystroke-like extension
 * of the prompt (prefix reuse); and, in the same run, node-llama-cpp's own greedy generation on the same prompt
 * and token count, as the ratio greedy-through-our-engine / native.
 *
 *   npm run bench -- [--model PATH] [--json] [--runs N] [--tokens N]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STRATEGY_NAMES } from '../src/decoding/strategies';
import { splitAt } from '../src/cli/args';
import { builtinModelPath } from '../src/model/builtin';
import { completeAt } from '../src/model/complete';
import { loadModel, type LoadedModel } from '../src/model/load';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const json = args.includes('--json');
const runs = Number(flag('runs') ?? 7);
const maxTokens = Number(flag('tokens') ?? 32);
const modelPath = flag('model') ?? builtinModelPath();
const { prefix, suffix } = splitAt(readFileSync(join(__dirname, '..', 'examples', 'stack.ts'), 'utf8'), 23, 12);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A distinct first line per run defeats prefix reuse, so every run pays for its prompt. */
const coldPrefix = (run: number) => `// bench run ${run}\n${prefix}`;

async function ours(m: LoadedModel, strategy: (typeof STRATEGY_NAMES)[number], prefixText: string, ignoreEndOfGeneration = false) {
  const t0 = performance.now();
  const r = await completeAt(m, { prefix: prefixText, suffix, strategy, options: { maxTokens, seed: 1, ignoreEndOfGeneration } });
  return { ms: performance.now() - t0, r };
}

/** node-llama-cpp's own greedy loop on a fresh sequence: the prompt, then `count` tokens. */
async function native(m: LoadedModel, promptTokens: readonly number[], count: number): Promise<number> {
  const context = await m.llamaModel.createContext({ contextSize: m.info.contextSize, sequences: 1, threads: m.info.threads });
  try {
    const sequence = context.getSequence();
    const t0 = performance.now();
    let n = 0;
    // yieldEogToken: without it the generator ends at the first end-of-generation token, and
    // dividing that shorter run by `count` would understate native's cost per token.
    for await (const token of sequence.evaluate(promptTokens as never[], { temperature: 0, yieldEogToken: true })) {
      void token;
      if (++n >= count) break;
    }
    if (n !== count) throw new Error(`native greedy produced ${n} tokens, expected ${count}`);
    return performance.now() - t0;
  } finally {
    await context.dispose();
  }
}

async function main() {
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
    for (let run = -1; run < runs; run++) {
      const text = coldPrefix(run);
      const o = await ours(m, 'greedy', text, true);
      const generated = o.r.candidates[0].tokens.length;
      const prompt = m.buildPrompt(text, suffix, { maxNewTokens: maxTokens }).tokens;
      const n = await native(m, prompt, generated);
      if (run >= 0) {
        oursMs.push(o.ms / generated);
        nativeMs.push(n / generated);
      }
    }
    report.greedyMsPerTokenOurs = median(oursMs);
    report.greedyMsPerTokenNative = median(nativeMs);
    report.greedyVsNative = median(oursMs) / median(nativeMs);

    const strategies: Record<string, unknown>[] = [];
    for (const strategy of args.includes('--greedy-only') ? [] : STRATEGY_NAMES) {
      const times: number[] = [];
      let last = await ours(m, strategy, coldPrefix(1000));
      for (let run = 0; run < runs; run++) {
        last = await ours(m, strategy, coldPrefix(2000 + run));
        times.push(last.ms);
      }
      const tokens = last.r.candidates[0]?.tokens.length ?? 0;
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
        msPerCompletion: median(times),
        tokensPerSecond: tokens / (median(times) / 1000),
        modelCalls: last.r.stats.modelCalls,
        tokensEvaluated: last.r.stats.tokensEvaluated,
        committedTokens: tokens,
        msPerCommittedToken: median(times) / Math.max(1, tokens),
        promptTokensEvaluatedPerKeystroke: perKeystroke,
        promptTokens,
      });
    }
    const greedyPerToken = (strategies[0]?.msPerCommittedToken as number) || 1;
    for (const s of strategies) s.costVsGreedy = (s.msPerCommittedToken as number) / greedyPerToken;
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
  const head = ['strategy', 'ms/completion', 'tok/s', 'calls', 'evaluated', 'tokens', 'ms/token', 'x greedy', 'prompt', 'prompt eval/key'];
  console.log(head.map((h, i) => (i ? h.padStart(14) : h.padEnd(9))).join(''));
  for (const s of report.strategies as Record<string, number | string>[]) {
    const cells = [s.strategy, s.msPerCompletion, s.tokensPerSecond, s.modelCalls, s.tokensEvaluated, s.committedTokens, s.msPerCommittedToken, s.costVsGreedy, s.promptTokens, s.promptTokensEvaluatedPerKeystroke];
    console.log(cells.map((c, i) => (i ? (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toFixed(2)) : String(c)).padStart(14) : String(c).padEnd(9))).join(''));
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
