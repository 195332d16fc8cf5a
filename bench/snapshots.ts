/**
 * What drawing a search live costs the search: the same MCTS completions through the model
 * process with tree snapshots (the panel open) and without (the panel closed), alternating, same
 * model and thread count.
 *
 *   npm run bench:snapshots -- [--model PATH] [--runs N] [--simulations N] [--tokens N]
 */
import { join } from 'node:path';
import { partsFromText } from '../src/decoding/prompt-parts';
import type { SessionRequest } from '../src/engine/session';
import { builtinModelPath } from '../src/model/builtin';
import { ModelProcess } from '../src/model-process/client';
import { benchPosition, benchFlag } from './position';
import { median } from './stats';

const modelPath = benchFlag('model') ?? builtinModelPath();
const runs = Number(benchFlag('runs') ?? 10);

async function main() {
  const { prefix, suffix } = benchPosition();
  const request: SessionRequest = {
    parts: partsFromText(prefix, suffix),
    strategy: 'mcts',
    options: { maxTokens: Number(benchFlag('tokens') ?? 24), simulations: Number(benchFlag('simulations') ?? 64), rolloutDepth: 3, maxModelCalls: 100_000, maxMs: 600_000, seed: 1 },
  };
  const proc = new ModelProcess({ worker: { script: join(__dirname, '..', '..', 'dist', 'model-worker.js'), execArgv: [] } });
  const session = await proc.load({ modelPath, threads: 1 });
  const open: number[] = [];
  const closed: number[] = [];
  let snapshots = 0;
  let nodes = 0;
  try {
    await session.complete(request);
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? [true, false] : [false, true];
      for (const watched of order) {
        const t0 = performance.now();
        const r = await session.complete(request, undefined, watched ? () => snapshots++ : undefined);
        (watched ? open : closed).push(performance.now() - t0);
        nodes = r.tree.size;
      }
    }
  } finally {
    await proc.close();
  }
  const [a, b] = [median(closed), median(open)];
  console.log(`mcts, ${request.options.simulations} simulations, ${request.options.maxTokens} tokens, ${nodes} tree nodes, ${runs} runs each: panel closed ${a.toFixed(1)} ms, panel open ${b.toFixed(1)} ms (median), ratio ${(b / a).toFixed(3)}; ${(snapshots / runs).toFixed(1)} snapshots per search`);
}

void main();
