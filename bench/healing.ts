/**
 * What token healing costs a keystroke: the editor's completion (its prompt window, stop rules,
 * greedy) at cursors inside words and after spaces of a long real file, with healing on and
 * off, alternating, through the model process (end to end, with the text above the cursor already
 * in the cache, as while typing: the prompt's last tokens are evaluated in the timed request). Also
 * the one-time cost of the vocabulary index, measured at model load.
 *
 *   npm run bench:healing -- [--model PATH] [--file F] [--positions N] [--tokens N]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { partsFromText } from '../src/decoding/prompt-parts';
import { VocabularyIndex } from '../src/decoding/token-healing';
import { stopContextAt } from '../src/decoding/stop-rules';
import type { SessionRequest } from '../src/engine/session';
import { builtinModelPath } from '../src/model/builtin';
import { loadModel } from '../src/model/load';
import { ModelProcess } from '../src/model-process/client';
import { benchFlag, repoRoot } from './position';
import { median } from './stats';

const modelPath = benchFlag('model') ?? builtinModelPath();
const file = benchFlag('file') ?? join(repoRoot, 'node_modules', 'typescript', 'lib', 'typescript.js');
const count = Number(benchFlag('positions') ?? 20);
const maxTokens = Number(benchFlag('tokens') ?? 8);

/** Cursors spread over the file: after a word's first characters, half of them after a space. */
function cursors(text: string): number[] {
  const out: number[] = [];
  const words = [...text.matchAll(/ [A-Za-z_]\w{3,}/g)];
  for (let i = 0; i < count && words.length; i++) {
    const w = words[Math.floor(((i + 0.5) / count) * words.length)]!;
    out.push(w.index! + (i % 2 === 0 ? 3 : 1));
  }
  return out;
}

async function main() {
  const text = readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
  const loaded = await loadModel({ modelPath, threads: 1, gpu: false });
  const t0 = performance.now();
  new VocabularyIndex(loaded.languageModel);
  const indexMs = performance.now() - t0;
  const vocab = loaded.info.vocabSize;
  await loaded.dispose();

  const proc = new ModelProcess({ worker: { script: join(__dirname, '..', '..', 'dist', 'model-worker.js'), execArgv: [] } });
  const session = await proc.load({ modelPath, threads: 1 });
  const ms = { on: [] as number[], off: [] as number[] };
  let healedCount = 0;
  try {
    const at = cursors(text);
    const request = (cut: number, healing: boolean): SessionRequest => {
      const [prefix, suffix] = [text.slice(0, cut), text.slice(cut)];
      const parts = partsFromText(prefix, suffix);
      return { parts, strategy: 'greedy', options: { maxTokens, seed: 1 }, stop: stopContextAt(prefix, suffix, parts.suffix), healing };
    };
    await session.complete(request(at[0]!, true));
    for (const [i, cut] of at.entries()) {
      // The first request at a cursor evaluates its whole prompt (as when the file is opened), not timed;
      // what is timed is the next keystroke's kind of request, with the text above in the cache.
      await session.complete(request(cut, i % 2 === 0));
      for (const healing of i % 2 === 0 ? [true, false] : [false, true]) {
        const start = performance.now();
        const r = await session.complete(request(cut, healing));
        ms[healing ? 'on' : 'off'].push(performance.now() - start);
        if (process.env.BENCH_VERBOSE) console.log(healing ? 'on ' : 'off', (performance.now() - start).toFixed(0), 'ms', r.promptTokens, 'prompt tokens', r.promptTokensEvaluated, 'evaluated', r.stats.modelCalls, 'calls');
        if (healing && r.healed !== undefined) healedCount++;
      }
    }
  } finally {
    await proc.close();
  }
  const [on, off] = [median(ms.on), median(ms.off)];
  console.log(`${modelPath.split('/').pop()} (vocabulary ${vocab}), ${file.split('/').pop()} (${text.split('\n').length} lines), greedy ${maxTokens} tokens, ${ms.on.length} cursors (${healedCount} healed):`);
  console.log(`  completion median: healing on ${on.toFixed(1)} ms, off ${off.toFixed(1)} ms, ratio ${(on / off).toFixed(3)}; vocabulary index built once at load in ${indexMs.toFixed(0)} ms`);
}

void main();
