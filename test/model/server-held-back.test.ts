/**
 * A real llama-server holds back a token that ends inside a UTF-8 character until a later token
 * completes it, and never sends that token's probabilities. The model here is trained on comments
 * of rare CJK characters, so after "//" its most likely token is one byte of one: every tree step
 * and stream meets a held-back token, and must still give what this process gives.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partsFromText } from '../../src/decoding/prompt-parts';
import { createRng } from '../../src/decoding/rng';
import { completeRequest, type SessionRequest } from '../../src/engine/session';
import type { LoadedModel } from '../../src/model/load';
import { connectServer, type ServerBackend } from '../../src/model/server/connect';
import { tokenTextToBytes } from '../../tools/model/bpe';
import { startLlamaServer, type RunningServer } from '../support/llama-server';
import { FIXTURE_CORPUS, writeTestModel, type TestModelInfo } from '../support/test-models';
import { loadTestModel } from './backend-fixtures';

/** Forty comment lines of eight CJK characters drawn from 20,000: too rare for BPE to merge whole. */
function cjkComments(): string {
  const rng = createRng(7);
  const line = () => `//${Array.from({ length: 8 }, () => String.fromCodePoint(0x4e00 + Math.floor(rng() * 20_000))).join('')}\n`;
  return Array.from({ length: 40 }, line).join('');
}

const PREFIX = 'const total = 1;\n//';
const SUFFIX = '\nexport { total };\n';
const parts = partsFromText(PREFIX, SUFFIX);
const stop = { linePrefix: '//', lineSuffix: '', suffix: SUFFIX };
const SCORE_TOLERANCE = 1e-3;

/** True when the bytes end inside a multi-byte UTF-8 character (llama-server's validate_utf8). */
function endsMidCharacter(bytes: Uint8Array): boolean {
  for (let i = 1; i <= Math.min(4, bytes.length); i++) {
    const c = bytes[bytes.length - i]!;
    if ((c & 0xe0) === 0xc0) return i < 2;
    if ((c & 0xf0) === 0xe0) return i < 3;
    if ((c & 0xf8) === 0xf0) return i < 4;
  }
  return false;
}

describe('the llama-server backend where tokens end inside a UTF-8 character', function () {
  this.timeout(600_000);
  let dir: string;
  let model: TestModelInfo;
  let server: RunningServer;
  let remote: ServerBackend;
  let local: LoadedModel;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tokentree-held-back-'));
    model = writeTestModel(join(dir, 'cjk.gguf'), { fim: 'qwen', corpus: FIXTURE_CORPUS + cjkComments() });
    server = await startLlamaServer({ model: model.path, slots: 4, contextPerSlot: 256 });
    remote = await connectServer({ url: server.url });
    local = await loadTestModel({ modelPath: model.path, contextSize: 256, maxBranches: 16 });
  });
  after(async () => {
    await remote?.dispose();
    await local?.dispose();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const request = (strategy: SessionRequest['strategy'], options: Record<string, unknown> = {}): SessionRequest => ({
    parts, strategy, healing: false, options: { maxTokens: 10, seed: 5, ...options }, stop,
  });
  const bytesOf = (id: number) => (model.tokens[id]!.startsWith('<|') ? new Uint8Array() : tokenTextToBytes(model.tokens[id]!));

  it('is a model whose likeliest token after the prompt is a piece of a character, which llama-server sends no scores for', async () => {
    const prompt = local.buildPrompt(parts, { maxNewTokens: 10 }).tokens;
    const state = await local.languageModel.start(prompt, 4);
    const first = state.next.ids[0]!;
    local.languageModel.release(state.branch);
    assert.ok(endsMidCharacter(bytesOf(first)), `the first token ${first} (${JSON.stringify(model.tokens[first])}) is a whole character`);
    // The server itself, asked as a tree step asked before forcing its sampled token: no scores.
    const raw = await (await fetch(`${server.url}/completion`, {
      method: 'POST', body: JSON.stringify({ prompt, n_predict: 1, n_probs: 4, samplers: ['top_k'], top_k: 1, cache_prompt: true }),
    })).json() as { completion_probabilities?: unknown[]; tokens_predicted: number };
    assert.equal(raw.tokens_predicted, 1);
    assert.equal(raw.completion_probabilities, undefined, 'llama-server now sends the held-back token\'s scores: the forced token may no longer be needed');
  });

  it('gives beam, MCTS and entropy the in-process candidates', async () => {
    for (const strategy of ['beam', 'mcts', 'entropy'] as const) {
      const [a, b] = [await completeRequest(remote, request(strategy)), await completeRequest(local, request(strategy))];
      assert.ok(b.candidates.length > 0, strategy);
      assert.deepEqual(a.candidates.map((c) => [c.text, c.tokens]), b.candidates.map((c) => [c.text, c.tokens]), strategy);
      a.candidates.forEach((c, i) => assert.ok(Math.abs(c.score - b.candidates[i]!.score) < SCORE_TOLERANCE, `${strategy} score ${c.score} vs ${b.candidates[i]!.score}`));
      assert.ok(b.candidates.some((c) => c.tokens.some((t) => endsMidCharacter(bytesOf(t)))), `${strategy} wrote no piece of a character: ${JSON.stringify(b.candidates[0]?.text)}`);
    }
  });

  it('keeps a streamed greedy completion\'s held-back tokens, their scores and the text after them', async () => {
    const [a, b] = [await completeRequest(remote, request('greedy')), await completeRequest(local, request('greedy'))];
    const [ra, rb] = [a.candidates[0]!, b.candidates[0]!];
    assert.deepEqual(ra.tokens, rb.tokens);
    assert.equal(ra.text, rb.text);
    assert.ok(ra.tokens.some((t) => endsMidCharacter(bytesOf(t))), 'the completion held no piece of a character');
    ra.steps.forEach((s, i) => assert.ok(Math.abs(s.logprob - rb.steps[i]!.logprob) < SCORE_TOLERANCE, `step ${i}: ${s.logprob} vs ${rb.steps[i]!.logprob}`));
  });

  it('keeps a sampled stream\'s held-back tokens: each token scored where this process scores it', async () => {
    const lm = local.languageModel;
    const prompt = local.buildPrompt(parts, { maxNewTokens: 12 }).tokens;
    let pieces = 0;
    for (const seed of [1, 2, 3]) {
      const r = await completeRequest(remote, request('top-p', { samples: 3, seed, maxTokens: 12 }));
      assert.ok(r.candidates.length > 0);
      for (const c of r.candidates) {
        assert.equal(c.steps.length, c.tokens.length);
        pieces += c.tokens.filter((t) => endsMidCharacter(bytesOf(t))).length;
        // A lost token shifts every later one off its position: its score there would differ.
        const state = await lm.start(prompt, lm.vocabSize);
        try {
          let scores = state.next;
          for (const [i, t] of c.tokens.entries()) {
            const expected = scores.logits[[...scores.ids].indexOf(t)]! - scores.logNormalizer;
            assert.ok(Math.abs(c.steps[i]!.logprob - expected) < SCORE_TOLERANCE, `seed ${seed}, token ${i}: ${c.steps[i]!.logprob} vs ${expected} in process`);
            [scores] = await lm.evaluate([{ branch: state.branch, tokens: [t], topN: lm.vocabSize }]);
          }
        } finally {
          lm.release(state.branch);
        }
      }
    }
    assert.ok(pieces > 0, 'no sample held a piece of a character');
  });
});
