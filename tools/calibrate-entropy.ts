/**
 * Calibrates the entropy-adaptive thresholds on what a model actually emits: greedy
 * completions at held-out positions (the same ones `tokentree eval` uses), per-step entropy
 * and varentropy, and their percentiles. The defaults in src/decoding/strategies/entropy.ts
 * come from this run on the shipped model.
 *
 *   npx tsx tools/calibrate-entropy.ts [--model PATH] [--positions N]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { globSync } from 'tinyglobby';
import { pickPositions } from '../src/eval/positions';
import { builtinModelPath } from '../src/model/builtin';
import { completeAt } from '../src/engine/complete';
import { loadModel } from '../src/model/load';
import { partsFromText } from '../src/decoding/prompt-parts';

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);

async function main(): Promise<void> {
  const root = join(__dirname, '..');
  const heldout = JSON.parse(readFileSync(join(root, 'models', 'heldout.json'), 'utf8')).packages as { dir: string }[];
  const names = globSync(heldout.map((p) => `${p.dir}/**/*.{ts,js}`), { cwd: root, ignore: ['**/*.d.ts', '**/*.min.js'] });
  const files = names.map((n) => ({ name: n, text: readFileSync(join(root, n), 'utf8') })).filter((f) => f.text.length < 200_000 && !f.text.split('\n').some((l) => l.length > 500));
  const positions = pickPositions(files, Number(flag('positions') ?? 60), 99);
  const model = await loadModel({ modelPath: flag('model') ?? builtinModelPath() });
  const h: number[] = [];
  const v: number[] = [];
  try {
    for (const p of positions) {
      const r = await completeAt(model, { parts: partsFromText(p.prefix, p.suffix), strategy: 'greedy', options: { maxTokens: 24, alternatives: 27 } }); // the entropy strategy's top-27 view
      for (const s of r.candidates[0]?.steps ?? []) {
        h.push(s.entropy);
        v.push(s.varentropy);
      }
    }
  } finally {
    await model.dispose();
  }
  const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
  console.log(`${h.length} steps at ${positions.length} positions`);
  for (const q of [0.1, 0.25, 0.5, 0.75, 0.9]) console.log(`p${Math.round(q * 100)}: entropy ${pct(h, q).toFixed(3)} nats, varentropy ${pct(v, q).toFixed(3)} nats²`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
