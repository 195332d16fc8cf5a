/**
 * The model in a process of its own, through real llama.cpp: the same results as in this
 * process, bad files refused with errors naming them while the process lives on, and a real
 * llama.cpp abort ending only the model process, with the reason and the file.
 */
import * as assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortError } from '../../src/decoding/language-model';
import { partsFromText } from '../../src/decoding/prompt-parts';
import { localSession } from '../../src/engine/session';
import { ModelProcess, ModelProcessExitedError, workerScript } from '../../src/model-process/client';
import type { FromWorker } from '../../src/model-process/protocol';
import { CORRUPTIONS, writeCorruptModel, type CorruptionName } from '../support/corrupt-models';
import { loadTestModel, requireTestModel, TEST_MODEL } from './backend-fixtures';

const parts = partsFromText('function add(a, b) {\n  return ', '\n}\n');
const stop = { linePrefix: '  return ', lineSuffix: '', suffix: '\n}\n' };

/**
 * The same tree: every token, text and count equal, and every score within 1e-4. Greedy's draft
 * policy learns from timings, so the two models may draft differently, and on some CPUs
 * llama.cpp's decode of a batch rounds differently from its one-token decode
 * (test/model/drafting.test.ts): scores can then differ in the last float32 digits.
 */
function assertSameTree(a: unknown, b: unknown, what: string, at = 'tree'): void {
  if (typeof a === 'number' && typeof b === 'number' && !(Number.isInteger(a) && Number.isInteger(b))) {
    assert.ok(Math.abs(a - b) <= 1e-4, `${what}: ${at} is ${a} here and ${b} in the process`);
  } else if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `${what}: the keys of ${at}`);
    for (const k of Object.keys(a)) assertSameTree((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], what, `${at}.${k}`);
  } else {
    assert.deepEqual(a, b, `${what}: ${at}`);
  }
}

describe('the model process (real llama.cpp in a child process)', function () {
  this.timeout(120_000);
  let dir: string;
  let proc: ModelProcess;
  before(() => {
    requireTestModel();
    dir = mkdtempSync(join(tmpdir(), 'tokentree-process-'));
    proc = new ModelProcess();
  });
  after(async () => {
    await proc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the results a model in this process gives, tree and stop rules included', async () => {
    const remote = await proc.load({ modelPath: TEST_MODEL, threads: 1, contextSize: 256 });
    const local = localSession(await loadTestModel({ contextSize: 256, maxBranches: 16 }));
    try {
      for (const strategy of ['greedy', 'beam', 'mcts'] as const) {
        const request = { parts, strategy, options: { maxTokens: 12, seed: 3 }, stop };
        const t0 = performance.now();
        const a = await remote.complete(request);
        const wallMs = performance.now() - t0;
        // The work inside the process is part of the request's time, never more.
        assert.ok(proc.lastHandledMs! > 0 && proc.lastHandledMs! <= wallMs, `${proc.lastHandledMs} of ${wallMs} ms`);
        const b = await local.complete(request);
        assert.deepEqual(a.candidates.map((c) => [c.text, c.tokens, c.finish]), b.candidates.map((c) => [c.text, c.tokens, c.finish]), strategy);
        assertSameTree(a.tree.toJSON(), b.tree.toJSON(), `${strategy} tree`);
        assert.equal(a.promptTokens, b.promptTokens);
      }
      assert.equal(remote.info.architecture, local.info.architecture);
    } finally {
      await local.dispose();
    }
  });

  it('refuses each corrupted model with an error naming the file, and lives on', async () => {
    for (const name of Object.keys(CORRUPTIONS) as CorruptionName[]) {
      const path = writeCorruptModel(TEST_MODEL, dir, name);
      await assert.rejects(proc.load({ modelPath: path, threads: 1 }), (e: Error) => {
        assert.equal(e.name, 'ModelFileError', `${name}: ${e.message}`);
        assert.ok(e.message.includes(path), e.message);
        return true;
      });
      assert.equal(proc.dead, false, name);
    }
    const again = await proc.load({ modelPath: TEST_MODEL, threads: 1, contextSize: 256 });
    assert.ok((await again.complete({ parts, strategy: 'greedy', options: { maxTokens: 4 } })).candidates.length > 0);
  });

  it('options that arrive as data are checked against the strategy’s schema there', async () => {
    const session = await proc.load({ modelPath: TEST_MODEL, threads: 1, contextSize: 256 });
    await assert.rejects(session.complete({ parts, strategy: 'beam', options: { width: 40 } }), (e: Error) =>
      e.name === 'StrategyOptionsError' && e.message === 'beam.width must be an integer from 1 to 8 (got 40)');
    assert.equal(proc.dead, false);
  });

  it('a cancelled completion ends with AbortError, and the next one runs', async () => {
    const session = await proc.load({ modelPath: TEST_MODEL, threads: 1, contextSize: 256 });
    const cancel = new AbortController();
    const running = session.complete({ parts, strategy: 'mcts', options: { maxTokens: 16, simulations: 500 } }, cancel.signal);
    setTimeout(() => cancel.abort(), 30);
    await assert.rejects(running, AbortError);
    assert.ok((await session.complete({ parts, strategy: 'greedy', options: { maxTokens: 4 } })).candidates.length > 0);
    assert.equal((await session.health()).liveBranches, 0);
  });

  it('when llama.cpp aborts on a file, only the model process ends: the error has the reason and the file', async () => {
    // The header check is what stops these files; skipping it lets llama.cpp see one, as an unknown bad file would.
    const path = writeCorruptModel(TEST_MODEL, dir, 'head count 0');
    const exits: ModelProcessExitedError[] = [];
    const doomed = new ModelProcess({ onExit: (e) => exits.push(e) });
    await assert.rejects(doomed.load({ modelPath: path, threads: 1, checkHeader: false }), (e: unknown) => {
      assert.ok(e instanceof ModelProcessExitedError, String(e));
      assert.match(e.reason, /SIGABRT/);
      assert.match(e.reason, /GGML_ASSERT/);
      assert.equal(e.path, path);
      assert.equal(e.whileLoading, true);
      assert.ok(e.message.includes(path));
      return true;
    });
    assert.equal(doomed.dead, true);
    assert.equal(exits.length, 1, 'reported once');
    await assert.rejects(doomed.request({ kind: 'stats', id: 0 }), ModelProcessExitedError);
    // This process, and the other model process, are untouched.
    const session = await proc.load({ modelPath: TEST_MODEL, threads: 1, contextSize: 256 });
    assert.ok((await session.complete({ parts, strategy: 'greedy', options: { maxTokens: 4 } })).candidates.length > 0);
  });

  it('a wake-up gets no reply, and the requests around it are answered as without it', async () => {
    // Spoken to directly, so that a stray reply (which the client would drop) would show.
    const { script, execArgv } = workerScript();
    const child = fork(script, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    const received: FromWorker[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`the worker exited with ${code}`)));
        child.on('message', (m: FromWorker) => {
          if (m.kind === 'log') return;
          received.push(m);
          if (m.kind === 'ready') {
            for (const id of [1, 2]) {
              child.send({ kind: 'wake' });
              child.send({ kind: 'stats', id });
            }
          }
          if (m.kind === 'error' && m.id === 2) resolve();
        });
      });
    } finally {
      child.kill();
    }
    assert.deepEqual(received.map((m) => (m.kind === 'error' ? `${m.id}: ${m.error.message}` : m.kind)), [
      'ready',
      '1: No model is loaded in the model process',
      '2: No model is loaded in the model process',
    ]);

    const session = await proc.load({ modelPath: TEST_MODEL, threads: 1, contextSize: 256 });
    const request = { parts, strategy: 'greedy' as const, options: { maxTokens: 8 } };
    const plain = await session.complete(request);
    session.wake();
    const woken = await session.complete(request);
    assert.deepEqual(woken.candidates.map((c) => c.tokens), plain.candidates.map((c) => c.tokens));
    const health = await session.health();
    assert.equal(health.queued, 0);
    assert.equal(health.liveBranches, 0);
  });

  it('a process killed mid-request fails what is in flight with the reason', async () => {
    const victim = new ModelProcess();
    const session = await victim.load({ modelPath: TEST_MODEL, threads: 1, contextSize: 256 });
    const running = session.complete({ parts, strategy: 'mcts', options: { maxTokens: 16, simulations: 500 } });
    setTimeout(() => process.kill(victim.pid!, 'SIGKILL'), 50);
    await assert.rejects(running, (e: unknown) => e instanceof ModelProcessExitedError && /SIGKILL/.test(e.reason) && e.path === TEST_MODEL && !e.whileLoading);
    // The editor's gate may still wake it: that is a no-op, not a throw.
    session.wake();
  });
});
