/**
 * Soak: hundreds of completions through the model process, each cancelled at a random point
 * (0-20 ms, as typing does), mixed strategies. Afterwards the process holds no branches and no
 * queued requests, its memory has not grown with the count, and it computes what it computed
 * before the soak.
 */
import * as assert from 'node:assert/strict';
import { AbortError } from '../../src/decoding/language-model';
import { partsFromText } from '../../src/decoding/prompt-parts';
import type { StrategyName } from '../../src/decoding/strategy';
import { createRng } from '../../src/decoding/rng';
import { ModelProcess, workerScript, type RemoteSession } from '../../src/model-process/client';
import { requireTestModel, TEST_MODEL } from './backend-fixtures';

const ROUNDS = 300;
const STRATEGIES: StrategyName[] = ['greedy', 'beam', 'mcts', 'entropy', 'top-p'];
const request = (i: number) => {
  const strategy = STRATEGIES[i % STRATEGIES.length]!;
  return {
    parts: partsFromText(`function f${i % 17}(a, b) {\n  const total = a + b;\n  return `, '\n}\n'),
    strategy,
    options: { maxTokens: 16, seed: 1, ...(strategy === 'mcts' ? { simulations: 40 } : {}) },
    background: i % 4 === 3,
  };
};

describe('model process soak: cancelled completions', function () {
  this.timeout(300_000);
  let proc: ModelProcess;
  let session: RemoteSession;
  before(async () => {
    requireTestModel();
    // --expose-gc: health then collects before it measures, so garbage not yet collected (tens of
    // MB that come and go) is not read as a leak.
    const worker = workerScript();
    proc = new ModelProcess({ worker: { ...worker, execArgv: [...worker.execArgv, '--expose-gc'] } });
    session = await proc.load({ modelPath: TEST_MODEL, threads: 1, contextSize: 512 });
  });
  after(() => proc?.close());

  async function soak(rounds: number, seed: number): Promise<{ cancelled: number; finished: number }> {
    const rng = createRng(seed);
    let cancelled = 0;
    let finished = 0;
    for (let i = 0; i < rounds; i++) {
      const cancel = new AbortController();
      const timer = setTimeout(() => cancel.abort(), Math.floor(rng() * 21));
      // Two at a time, as a keystroke arriving during a prefetch does.
      const results = await Promise.allSettled([session.complete(request(i), cancel.signal), session.complete(request(i + 1), cancel.signal)]);
      clearTimeout(timer);
      for (const r of results) {
        if (r.status === 'fulfilled') finished++;
        else if (r.reason instanceof AbortError) cancelled++;
        else throw r.reason;
      }
    }
    return { cancelled, finished };
  }

  it(`${ROUNDS} rounds leave no branches, no queue, flat memory and the same results`, async () => {
    const before = await session.complete(request(0));
    await soak(50, 1);
    const warm = await session.health();
    const { cancelled, finished } = await soak(ROUNDS, 2);
    const after = await session.health();
    assert.ok(cancelled > ROUNDS / 4 && finished > 0, `both outcomes happen: ${cancelled} cancelled, ${finished} finished`);
    assert.equal(after.liveBranches, 0);
    assert.equal(after.queued, 0);
    assert.ok(warm.collected && after.collected, 'the process collects garbage before it measures');
    const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    const heapGrew = after.heapUsedBytes - warm.heapUsedBytes;
    assert.ok(heapGrew < 4 * 2 ** 20, `the JavaScript heap grew ${mb(heapGrew)} MB over ${ROUNDS} rounds`);
    const rssGrew = after.rssBytes - warm.rssBytes;
    assert.ok(rssGrew < 24 * 2 ** 20, `RSS grew ${mb(rssGrew)} MB over ${ROUNDS} rounds`);
    const again = await session.complete(request(0));
    assert.deepEqual(again.candidates.map((c) => c.tokens), before.candidates.map((c) => c.tokens));
    assert.equal(proc.dead, false);
    console.log(`      ${cancelled} cancelled, ${finished} finished; RSS ${mb(warm.rssBytes)} → ${mb(after.rssBytes)} MB, heap ${mb(warm.heapUsedBytes)} → ${mb(after.heapUsedBytes)} MB`);
  });
});
