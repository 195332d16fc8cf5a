/**
 * A long search's tree arrives while it runs (CommonOptions.onSnapshot through the model process),
 * throttled, growing, and without changing what the search finds; a short search sends none.
 */
import * as assert from 'node:assert/strict';
import type { TreeJSON } from '../../src/decoding/candidate-tree';
import { partsFromText } from '../../src/decoding/prompt-parts';
import type { SessionRequest } from '../../src/engine/session';
import { ModelProcess, type RemoteSession } from '../../src/model-process/client';
import { requireTestModel, TEST_MODEL } from './backend-fixtures';

describe('live snapshots of the explored tree (model process)', function () {
  this.timeout(120_000);
  let process: ModelProcess;
  let session: RemoteSession;
  const parts = partsFromText('export function sum(xs: number[]): number {\n  let total = 0;\n  for (const x of xs) ', '\n  return total;\n}\n');
  const mcts: SessionRequest = { parts, strategy: 'mcts', options: { maxTokens: 24, simulations: 64, rolloutDepth: 3, maxModelCalls: 100_000, maxMs: 60_000, seed: 3 } };

  before(async () => {
    requireTestModel();
    process = new ModelProcess();
    session = await process.load({ modelPath: TEST_MODEL, threads: 1 });
  });
  after(() => process?.close());

  it('an MCTS search sends its growing tree at most every 100 ms, and finds what it finds without them', async () => {
    const snapshots: { tree: TreeJSON; elapsedMs: number }[] = [];
    const watched = await session.complete(mcts, undefined, (tree, elapsedMs) => snapshots.push({ tree, elapsedMs }));
    assert.ok(watched.stats.ms > 250, `the search is long enough to watch (${watched.stats.ms} ms)`);
    assert.ok(snapshots.length >= 2, `${snapshots.length} snapshots in ${watched.stats.ms} ms`);
    for (let i = 1; i < snapshots.length; i++) {
      assert.ok(snapshots[i]!.elapsedMs - snapshots[i - 1]!.elapsedMs >= 100, 'throttled to one per 100 ms');
      assert.ok(snapshots[i]!.tree.nodeCount >= snapshots[i - 1]!.tree.nodeCount, 'the tree only grows');
    }
    assert.ok(snapshots[0]!.elapsedMs >= 100, 'none in the first 100 ms');
    assert.ok(snapshots.at(-1)!.tree.nodeCount <= watched.tree.size);
    assert.ok(snapshots.at(-1)!.elapsedMs <= watched.stats.ms);
    const unwatched = await session.complete(mcts);
    assert.deepEqual(unwatched.candidates.map((c) => c.text), watched.candidates.map((c) => c.text));
    assert.equal(unwatched.stats.modelCalls, watched.stats.modelCalls);
  });

  it('a short greedy completion sends none', async () => {
    let count = 0;
    const r = await session.complete({ parts, strategy: 'greedy', options: { maxTokens: 8 } }, undefined, () => count++);
    assert.ok(r.stats.ms < 100, `${r.stats.ms} ms`);
    assert.equal(count, 0);
  });
});
