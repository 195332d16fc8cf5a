/**
 * The llama-server backend against a real llama-server (built from the llama.cpp source
 * node-llama-cpp ships) running the test model with four slots: the same completions as in this
 * process, a step's branches in flight together, forks that cost only what a slot lacks, and
 * cancellation that leaves every slot usable.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortError } from '../../src/decoding/language-model';
import { constrainScores } from '../../src/decoding/token-healing';
import { partsFromText } from '../../src/decoding/prompt-parts';
import { completeRequest, type SessionRequest } from '../../src/engine/session';
import type { LoadedModel } from '../../src/model/load';
import { connectServer, type ServerBackend } from '../../src/model/server/connect';
import { startLlamaServer, type RunningServer } from '../support/llama-server';
import { writeTestModel, type FimFamily } from '../support/test-models';
import { loadTestModel, requireTestModel, TEST_MODEL } from './backend-fixtures';

const PREFIX = 'export class Counter {\n  private count = 0;\n\n  public increment(): number {\n    this.count += 1;\n    return ';
const SUFFIX = '\n  }\n}\n';
const parts = partsFromText(PREFIX, SUFFIX);
const stop = { linePrefix: '    return ', lineSuffix: '', suffix: SUFFIX };

/** Scores through the server are its float softmax's logs; in process, exact log-softmax in doubles. */
const SCORE_TOLERANCE = 1e-3;

describe('the llama-server backend (a real llama-server)', function () {
  this.timeout(600_000);
  let server: RunningServer;
  let remote: ServerBackend;
  let local: LoadedModel;

  before(async function () {
    requireTestModel();
    server = await startLlamaServer({ model: TEST_MODEL, slots: 4, contextPerSlot: 256 });
    remote = await connectServer({ url: server.url });
    local = await loadTestModel({ contextSize: 256, maxBranches: 16 });
  });
  after(async () => {
    await remote?.dispose();
    await local?.dispose();
    await server?.stop();
  });

  const request = (strategy: SessionRequest['strategy'], options: Record<string, unknown> = {}): SessionRequest => ({ parts, strategy, options: { maxTokens: 12, seed: 5, ...options }, stop });

  it('reads the model as llama.cpp in this process does: vocabulary, FIM tokens, prompt', async () => {
    assert.equal(remote.info.backend, 'server');
    assert.equal(remote.info.vocabSize, local.info.vocabSize);
    assert.deepEqual(remote.info.fim, { ...local.info.fim, source: 'spelling' });
    for (let id = 0; id < local.info.vocabSize; id++) assert.equal(remote.languageModel.tokenText(id), local.languageModel.tokenText(id), `token ${id}`);
    const sizes = { maxNewTokens: 12 };
    assert.deepEqual((await remote.preparePrompt(parts, sizes)).tokens, local.buildPrompt(parts, sizes).tokens);
  });

  it('gives the in-process candidates for greedy and beam', async () => {
    for (const strategy of ['greedy', 'beam'] as const) {
      const [a, b] = [await completeRequest(remote, request(strategy)), await completeRequest(local, request(strategy))];
      assert.deepEqual(a.candidates.map((c) => [c.text, c.tokens, c.finish]), b.candidates.map((c) => [c.text, c.tokens, c.finish]), strategy);
      a.candidates.forEach((c, i) => assert.ok(Math.abs(c.score - b.candidates[i]!.score) < SCORE_TOLERANCE, `${strategy} score ${c.score} vs ${b.candidates[i]!.score}`));
      assert.ok(a.candidates.length > 0);
    }
  });

  it('runs MCTS and entropy to the end, with the in-process best candidate and scores within the tolerance', async () => {
    for (const strategy of ['mcts', 'entropy'] as const) {
      const [a, b] = [await completeRequest(remote, request(strategy)), await completeRequest(local, request(strategy))];
      assert.ok(a.candidates.length > 0, strategy);
      assert.equal(a.candidates[0]!.text, b.candidates[0]!.text, strategy);
      assert.ok(Math.abs(a.candidates[0]!.score - b.candidates[0]!.score) < SCORE_TOLERANCE, `${strategy}: ${a.candidates[0]!.score} vs ${b.candidates[0]!.score}`);
      assert.ok(a.stats.modelCalls > 3, `${strategy} drove the steps itself`);
    }
  });

  it('runs greedy as one streamed request, and a beam step as one request with every branch', async () => {
    // A prompt not asked for before (its new first line tokenized ahead, untimed), so its start is a request.
    const fresh = { ...request('greedy', { maxTokens: 16 }), parts: partsFromText(`// greedy\n${PREFIX}`, SUFFIX) };
    await remote.preparePrompt(fresh.parts, { maxNewTokens: 16 });
    const before = remote.languageModel.http.requests;
    const greedy = await completeRequest(remote, fresh);
    // The prompt's start, then one streamed generation.
    assert.equal(remote.languageModel.http.requests - before, 2, JSON.stringify(greedy.candidates[0]?.steps.length));
    // A beam step is one request carrying every beam's prompt.
    const beamRequest = { ...request('beam', { width: 4, maxTokens: 8 }), parts: partsFromText(`// beam\n${PREFIX}`, SUFFIX) };
    await remote.preparePrompt(beamRequest.parts, { maxNewTokens: 8 });
    const beforeBeam = remote.languageModel.http.requests;
    const widest = remote.languageModel.stats.maxBatchSequences;
    const beam = await completeRequest(remote, beamRequest);
    assert.ok(beam.stats.modelCalls >= 4);
    assert.equal(remote.languageModel.http.requests - beforeBeam, 1 + beam.stats.modelCalls, 'the start, then one request per step');
    assert.ok(Math.max(widest, remote.languageModel.stats.maxBatchSequences) >= 4, 'a step carried four branches');
  });

  it('runs the sampling presets on the server: one streamed request per sample, all in flight together', async () => {
    for (const strategy of ['top-p', 'min-p'] as const) {
      const fresh = { ...request(strategy, { samples: 4, maxTokens: 12, seed: 3 }), parts: partsFromText(`// ${strategy}\n${PREFIX}`, SUFFIX) };
      await remote.preparePrompt(fresh.parts, { maxNewTokens: 12 });
      const before = remote.languageModel.http.requests;
      const r = await completeRequest(remote, fresh);
      // The prompt's start, then one stream per sample that goes on after its first token.
      assert.ok(r.stats.modelCalls >= 1 && r.stats.modelCalls <= 4, `${strategy}: ${r.stats.modelCalls} model calls`);
      assert.equal(remote.languageModel.http.requests - before, 1 + r.stats.modelCalls, strategy);
      assert.ok(r.candidates.length > 0, strategy);
      for (const c of r.candidates) {
        assert.ok(c.steps.length > 0 && c.steps.every((s) => Number.isFinite(s.logprob) && s.logprob <= 0), `${strategy}: ${JSON.stringify(c.text)}`);
        assert.equal(c.text, remote.languageModel.detokenize(c.tokens).slice(r.healed?.length ?? 0));
      }
    }
  });

  it('restricts the next-token distribution to a set of tokens on the server, as renormalising the whole vocabulary does', async () => {
    const lm = remote.languageModel;
    const prompt = (await remote.preparePrompt(parts, { maxNewTokens: 8 })).tokens;
    const state = await lm.start(prompt, 4);
    try {
      const allowed = Array.from({ length: lm.vocabSize }, (_, id) => id).filter((id) => lm.tokenText(id).startsWith(' t'));
      const [whole] = await lm.evaluate([{ branch: state.branch, tokens: [], topN: Number.POSITIVE_INFINITY }]);
      const expected = constrainScores(whole!, allowed)!;
      const within = (await lm.scoresWithin(state.branch, allowed))!;
      assert.deepEqual([...within.ids].slice(0, 10), [...expected.ids].slice(0, 10));
      const lp = (s: typeof within, id: number) => s.logits[[...s.ids].indexOf(id)]! - s.logNormalizer;
      for (const id of [...expected.ids].slice(0, 20)) assert.ok(Math.abs(lp(within, id) - lp(expected, id)) < 1e-3, `token ${id}: ${lp(within, id)} vs ${lp(expected, id)}`);
      assert.equal(await lm.scoresWithin(state.branch, []), undefined);
    } finally {
      lm.release(state.branch);
    }
  });

  it('starts a prompt it started lately from the scores it kept, without asking the server again', async () => {
    const lm = remote.languageModel;
    const prompt = [...(await remote.preparePrompt(partsFromText(`${PREFIX}this.`, SUFFIX), { maxNewTokens: 8 })).tokens];
    const first = await lm.start(prompt, 16);
    const requests = lm.http.requests;
    const again = await lm.start(prompt, 16);
    assert.equal(lm.http.requests, requests, 'no request');
    assert.equal(again.evaluated, 0);
    assert.deepEqual([...again.next.ids], [...first.next.ids]);
    const wider = await lm.start(prompt, 64);
    assert.equal(lm.http.requests, requests + 1, 'more top tokens than kept: asked again');
    [first, again, wider].forEach((s) => lm.release(s.branch));
  });

  it('costs a fork only the tokens its slot lacks', async () => {
    const lm = remote.languageModel;
    const prompt = (await remote.preparePrompt(parts, { maxNewTokens: 8 })).tokens;
    const round = async () => {
      const state = await lm.start(prompt, 4);
      const branches = [state.branch, lm.fork(state.branch), lm.fork(state.branch), lm.fork(state.branch)];
      await lm.evaluate(branches.map((branch, i) => ({ branch, tokens: [state.next.ids[i]!], topN: 4 })));
      branches.forEach((b) => lm.release(b));
      return state;
    };
    await round();
    // Every slot now holds the prompt: the same prompt, forked four ways, evaluates about one token
    // per branch (llama-server re-evaluates the last token of a prompt it holds whole, and which
    // idle slot takes which branch is its choice), never the prompt again.
    const evaluated = lm.stats.tokensEvaluated;
    const again = await round();
    assert.ok(again.evaluated! <= 2, `the prompt's start evaluated ${again.evaluated} tokens`);
    const forks = lm.stats.tokensEvaluated - evaluated - again.evaluated!;
    assert.ok(forks >= 4 && forks <= 4 * 2, `four forks of a ${prompt.length}-token prompt evaluated ${forks} tokens`);
  });

  it('leaves every slot usable after requests cancelled in the middle of beam steps', async () => {
    const reference = await completeRequest(remote, request('greedy'));
    let cancelled = 0;
    for (let i = 0; i < 20; i++) {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), i % 10);
      await completeRequest(remote, request('beam', { width: 4, maxTokens: 16 }), controller.signal).catch((e) => {
        assert.ok(e instanceof AbortError, `${(e as Error).name}: ${(e as Error).message}`);
        cancelled++;
      });
    }
    assert.ok(cancelled > 5, `only ${cancelled} of 20 were cancelled`);
    // A cancelled request's task ends on the server when it notices the closed connection: soon, not at once.
    let busy: boolean[] = [];
    for (let look = 0; look < 50; look++) {
      busy = ((await (await fetch(`${server.url}/slots`)).json()) as { is_processing: boolean }[]).map((s) => s.is_processing);
      if (!busy.includes(true)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(busy, [false, false, false, false], 'the server still works on cancelled requests after 5 s');
    const after = await completeRequest(remote, request('greedy'));
    assert.deepEqual(after.candidates.map((c) => c.tokens), reference.candidates.map((c) => c.tokens));
    const beam = await completeRequest(remote, request('beam', { width: 4 }));
    assert.ok(beam.candidates.length > 0);
  });
});

describe('the llama-server backend: models and servers it cannot use', function () {
  this.timeout(600_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'tokentree-server-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds each FIM family\'s tokens as in process, and refuses a model without FIM by name', async () => {
    for (const fim of ['qwen', 'deepseek', 'codellama', 'none'] as FimFamily[]) {
      const written = writeTestModel(join(dir, `${fim}.gguf`), { fim });
      const server = await startLlamaServer({ model: written.path, slots: 2 });
      try {
        if (fim === 'none') {
          await assert.rejects(connectServer({ url: server.url }), (e: Error) => e.name === 'ServerCapabilityError' && /fill-in-the-middle/.test(e.message) && e.message.includes(server.url));
          continue;
        }
        const remote = await connectServer({ url: server.url });
        const local = await loadTestModel({ modelPath: written.path, maxBranches: 2 });
        try {
          const pick = (f: typeof remote.info.fim) => f && { family: f.family, prefix: f.prefix, suffix: f.suffix, middle: f.middle, order: f.order };
          assert.deepEqual(pick(remote.info.fim), pick(local.info.fim), fim);
          const sizes = { maxNewTokens: 8 };
          assert.deepEqual((await remote.preparePrompt(parts, sizes)).tokens, local.buildPrompt(parts, sizes).tokens, fim);
        } finally {
          await remote.dispose();
          await local.dispose();
        }
      } finally {
        await server.stop();
      }
    }
  });

  it('asks for the API key a server requires', async () => {
    const server = await startLlamaServer({ model: TEST_MODEL, slots: 1, apiKey: 'sekrit' });
    try {
      await assert.rejects(connectServer({ url: server.url }), (e: Error) => e.name === 'ServerResponseError' && /401/.test(e.message) && /API key/.test(e.message));
      const remote = await connectServer({ url: server.url, apiKey: 'sekrit' });
      await remote.dispose();
    } finally {
      await server.stop();
    }
  });
});
