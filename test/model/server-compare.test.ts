/**
 * `tokentree compare` through a real llama-server, on the benchmarks' random-weight model with
 * Qwen2.5-Coder-0.5B's shape, vocabulary and FIM tokens (tools/model/real-shape.ts, written into
 * .cache/ on first use): its flat distributions often pick byte pieces of characters, which the
 * server holds back, in tree steps and in sampled streams, and every strategy must still answer.
 */
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCompare } from '../../src/cli/complete';
import { STRATEGY_NAMES } from '../../src/decoding/strategies';
import { realShapeModel } from '../../tools/model/real-shape';
import { startLlamaServer, type RunningServer } from '../support/llama-server';

describe('tokentree compare through llama-server, Qwen2.5-Coder vocabulary', function () {
  this.timeout(600_000);
  let server: RunningServer;
  before(async () => {
    server = await startLlamaServer({ model: await realShapeModel(), slots: 8, contextPerSlot: 1024 });
  });
  after(async () => server?.stop());

  it('lists all six strategies at the demo position, each with a scored suggestion', async () => {
    const table = await runCompare(['--file', join(__dirname, '..', '..', 'examples', 'stack.ts'), '--line', '23', '--column', '12', '--server', server.url]);
    const rows = new Map(table.split('\n').slice(1).map((line) => [line.split(/\s+/)[0]!, line]));
    for (const strategy of STRATEGY_NAMES) {
      const row = rows.get(strategy);
      assert.ok(row, `no row for ${strategy} in\n${table}`);
      assert.match(row, /\s-?\d+\.\d{3}\s+\d+\s+\d+\.\d$/, `${strategy} has no score in\n${table}`);
    }
  });
});
