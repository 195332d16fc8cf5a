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
import { median } from './stats';


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
    const cold = (run: number, side: string) => partsFromText(`// bench ${side} ${run}\n${prefix}`, suffix);
    // Typing: one more character per run at the same position; each side keeps its own cached prompt.
    const typed = 'this.items.length === 0 && this.items.push(undefined as never) === 1';
    const typing = (run: number, side: string) => partsFromText(`// bench ${side}\n${prefix}${typed.slice(0, run + 1)}`, suffix);
    report.greedyNewPosition = await greedyPairs(backend, cold, runs, maxTokens, healing);
    report.greedyTyping = await greedyPairs(backend, typing, Math.min(runs, typed.length - 1), maxTokens, healing);
    const own = report.greedyNewPosition as { serverOwnMedianMs: number };
    const partsFor = cold;
    const ownPerToken = own.serverOwnMedianMs;
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
    report.beamStep = await stepLatency(backend, partsFor(0, 'step'), runs);
    report.maxRequestsInFlight = backend.languageModel.http.maxInFlight;
  } finally {
    await backend.dispose();
  }
  console.log(json ? JSON.stringify(report) : JSON.stringify(report, null, 2));
}

/**
 * Greedy through TokenTree against the server's own generation of the same number of tokens from
 * the same prompt tokens, alternating which goes first; `partsFor(run, side)` gives each side its
 * prompt (the sides' first lines differ, so neither reuses the other's cache).
 */
async function greedyPairs(backend: ServerBackend, partsFor: (run: number, side: string) => ReturnType<typeof partsFromText>, runs: number, maxTokens: number, healing: boolean) {
  const ours: number[] = [];
  const own: number[] = [];
  const ratios: number[] = [];
  let tokens = 0;
  for (let run = -1; run < runs; run++) {
    const oursFirst = run % 2 === 0;
    let oursMs = 0;
    let ownMs = 0;
    let count = 0;
    let oursCount = 0;
    const runOurs = async () => {
      const t0 = performance.now();
      const r = await completeAt(backend, { parts: partsFor(run, 'ours'), strategy: 'greedy', options: { maxTokens, seed: 1 }, healing });
      oursMs = performance.now() - t0;
      oursCount = r.candidates[0]!.tokens.length + (r.candidates[0]!.finish === 'eog' ? 1 : 0);
      count ||= oursCount;
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
      // The count comes from ours: ours runs once untimed first on a prompt of its own.
      const probe = await completeAt(backend, { parts: partsFor(run, 'probe'), strategy: 'greedy', options: { maxTokens, seed: 1 }, healing });
      count = probe.candidates[0]!.tokens.length + (probe.candidates[0]!.finish === 'eog' ? 1 : 0);
      await runOwn();
      await runOurs();
    }
    if (run < 0) continue;
    // Per token: when ours went second its count may differ from the probe's that own was given.
    ours.push(oursMs / Math.max(1, oursCount));
    own.push(ownMs / Math.max(1, count));
    ratios.push(ours[ours.length - 1]! / own[own.length - 1]!);
    tokens += oursCount;
  }
  return {
    runs,
    tokensPerRun: tokens / runs,
    unit: 'ms per generated token, whole request included',
    oursMedianMs: median(ours),
    serverOwnMedianMs: median(own),
    ratioOfMedians: median(ours) / median(own),
    medianRatioPerPair: median(ratios),
  };
}

/**
 * One step of four branches (beam-4's) against one step of one branch and against the same four
 * requests sent one after another, in turn: in flight together, the four cost one round trip.
 */
async function stepLatency(backend: ServerBackend, parts: ReturnType<typeof partsFromText>, runs: number) {
  const lm = backend.languageModel;
  const prompt = (await backend.preparePrompt(parts, { maxNewTokens: 64 })).tokens;
  const state = await lm.start(prompt, 8);
  const branches = [state.branch, lm.fork(state.branch), lm.fork(state.branch), lm.fork(state.branch)];
  const one: number[] = [];
  const four: number[] = [];
  const fourInSequence: number[] = [];
  try {
    for (let run = 0; run < Math.min(runs, 16); run++) {
      const token = state.next.ids[run % 4]!;
      const t0 = performance.now();
      await lm.evaluate([{ branch: branches[0]!, tokens: [token], topN: 8 }]);
      const t1 = performance.now();
      await lm.evaluate(branches.map((branch) => ({ branch, tokens: [token], topN: 8 })));
      const t2 = performance.now();
      for (const branch of branches) await lm.evaluate([{ branch, tokens: [token], topN: 8 }]);
      const t3 = performance.now();
      one.push(t1 - t0);
      four.push(t2 - t1);
      fourInSequence.push(t3 - t2);
    }
  } finally {
    branches.forEach((b) => lm.release(b));
  }
  return {
    oneBranchMedianMs: median(one),
    fourBranchesMedianMs: median(four),
    fourBranchesOneAfterAnotherMedianMs: median(fourInSequence),
    ratioToOne: median(four) / median(one),
    ratioToOneAfterAnother: median(four) / median(fourInSequence),
  };
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
