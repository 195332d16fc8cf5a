/**
 * The llama-server backend against the server's own generation, side by side in one run:
 * greedy through TokenTree (the editor's path: prompt layout, token healing, one completion)
 * against a plain /completion of the same prompt tokens for the same number of tokens; beam-4's
 * and MCTS's cost per committed token; and HTTP round trips per committed token.
 *
 *   npm run bench -- --server URL [--runs N] [--tokens N] [--healing on|off] [--json]
 */
import { benchFlag, benchPosition } from './position';
import { completeAt } from '../src/engine/complete';
import { partsFromText } from '../src/decoding/prompt-parts';
import { connectServer, type ServerBackend } from '../src/model/server/connect';
import type { StrategyName } from '../src/decoding/strategy';

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchServer(url: string): Promise<void> {
  const json = process.argv.includes('--json');
  const runs = Number(benchFlag('runs') ?? 15);
  const maxTokens = Number(benchFlag('tokens') ?? 32);
  const healing = benchFlag('healing') !== 'off';
  const { prefix, suffix } = benchPosition();
  const backend = await connectServer({ url, apiKey: process.env.TOKENTREE_SERVER_KEY || undefined });
  const report: Record<string, unknown> = { server: backend.info.server, maxTokens, runs, healing };
  try {
    // A distinct first line per run and side: each side evaluates its whole prompt, as a new position does.
    const partsFor = (run: number, side: string) => partsFromText(`// bench ${side} ${run}\n${prefix}`, suffix);
    const ours: number[] = [];
    const own: number[] = [];
    const ratios: number[] = [];
    let tokens = 0;
    for (let run = -1; run < runs; run++) {
      const oursFirst = run % 2 === 0;
      let oursMs = 0;
      let ownMs = 0;
      let count = 0;
      const runOurs = async () => {
        const t0 = performance.now();
        const r = await completeAt(backend, { parts: partsFor(run, 'ours'), strategy: 'greedy', options: { maxTokens, seed: 1 }, healing });
        oursMs = performance.now() - t0;
        count = r.candidates[0]!.tokens.length + (r.candidates[0]!.finish === 'eog' ? 1 : 0);
      };
      const runOwn = async () => {
        // The same prompt tokens, made untimed: the server's own generation is given its tokens.
        const prompt = (await backend.preparePrompt(partsFor(run, 'own'), { maxNewTokens: maxTokens })).tokens;
        const t0 = performance.now();
        await ownCompletion(backend, prompt, Math.max(1, count));
        ownMs = performance.now() - t0;
      };
      if (oursFirst) {
        await runOurs();
        await runOwn();
      } else {
        // Its token count comes from ours: run ours once untimed on another prompt first.
        const probe = await completeAt(backend, { parts: partsFor(run, 'probe'), strategy: 'greedy', options: { maxTokens, seed: 1 }, healing });
        count = probe.candidates[0]!.tokens.length + (probe.candidates[0]!.finish === 'eog' ? 1 : 0);
        await runOwn();
        await runOurs();
      }
      if (run < 0) continue;
      ours.push(oursMs);
      own.push(ownMs);
      ratios.push(oursMs / ownMs);
      tokens += count;
    }
    report.greedy = {
      tokensPerRun: tokens / runs,
      oursMedianMs: median(ours),
      serverOwnMedianMs: median(own),
      ratioOfMedians: median(ours) / median(own),
      medianRatioPerPair: median(ratios),
    };
    const ownPerToken = median(own) / (tokens / runs);
    for (const [strategy, options] of [['beam', { width: 4 }], ['mcts', {}], ['entropy', {}]] as [StrategyName, Record<string, unknown>][]) {
      const ms: number[] = [];
      let committed = 0;
      let trips = 0;
      let calls = 0;
      let widest = 0;
      for (let run = 0; run < Math.max(3, Math.floor(runs / 3)); run++) {
        const before = backend.languageModel.http.requests;
        const t0 = performance.now();
        const r = await completeAt(backend, { parts: partsFor(run, strategy), strategy, options: { maxTokens: Math.min(maxTokens, 16), seed: run, ...options } });
        ms.push(performance.now() - t0);
        committed += Math.max(1, r.candidates[0]?.tokens.length ?? 1);
        trips += backend.languageModel.http.requests - before;
        calls += r.stats.modelCalls;
        widest = Math.max(widest, backend.languageModel.stats.maxBatchSequences);
      }
      const perToken = ms.reduce((a, b) => a + b, 0) / committed;
      report[strategy] = {
        msPerCommittedToken: perToken,
        vsServerOwnPerToken: perToken / ownPerToken,
        roundTripsPerCommittedToken: trips / committed,
        roundTripsPerModelCall: trips / calls,
        mostBranchesInOneStep: widest,
      };
    }
    report.maxRequestsInFlight = backend.languageModel.http.maxInFlight;
  } finally {
    await backend.dispose();
  }
  console.log(json ? JSON.stringify(report) : JSON.stringify(report, null, 2));
}

/** llama-server's own greedy generation of `count` tokens from prompt tokens, as a plain client asks for it. */
async function ownCompletion(backend: ServerBackend, prompt: readonly number[], count: number): Promise<void> {
  const url = backend.info.server!.url;
  const key = process.env.TOKENTREE_SERVER_KEY;
  const response = await fetch(`${url}/completion`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(key ? { Authorization: `Bearer ${key}` } : {}) },
    // Exactly `count` tokens: its prompt is not healed, so left alone it could stop elsewhere.
    body: JSON.stringify({ prompt, n_predict: count, samplers: ['top_k'], top_k: 1, cache_prompt: true, ignore_eos: true }),
  });
  const body = (await response.json()) as { tokens_predicted?: number };
  if (!response.ok) throw new Error(`/completion failed: ${JSON.stringify(body)}`);
  if (body.tokens_predicted !== count) throw new Error(`the server generated ${body.tokens_predicted} tokens, not ${count}`);
}
