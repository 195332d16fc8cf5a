/**
 * Anytime completion through the CLI on the built-in model: `tokentree type` records when the
 * first suggestion showed (`firstMs`), whether the search replaced it (`refined`) and the final
 * suggestion, which equals a fresh `tokentree complete` with the same strategy there; `complete`
 * reports `stats.firstMs`.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliJson } from '../support/cli-json';

const ROOT = join(__dirname, '..', '..');

interface Keystroke { key: string; promptTokens: number; ms: number; firstMs: number; refined: boolean; cached: boolean; suggestion: string | null }

describe('anytime completion in the CLI (built-in model)', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tokentree-refine-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const strategy of ['mcts', 'beam']) {
    it(`${strategy}: type records firstMs, refined and the final suggestion, which equals complete --strategy ${strategy} at every keystroke that asked the model`, () => {
      const source = readFileSync(join(ROOT, 'examples', 'stack.ts'), 'utf8').split('\n');
      const line = Math.floor(source.length / 2);
      const file = join(dir, `${strategy}.ts`);
      writeFileSync(file, source.join('\n'));
      const typed = '\n  ret';
      const common = ['--max-tokens', '10', '--strategy', strategy, '--json'];
      const out = cliJson(['type', '--file', file, '--line', String(line), '--column', String(source[line - 1]!.length + 1), '--text', typed, ...common]) as {
        keystrokes: Keystroke[]; summary: Record<string, number>;
      };
      assert.equal(out.keystrokes.length, typed.length);
      for (const k of out.keystrokes) {
        assert.equal(typeof k.firstMs, 'number');
        assert.equal(typeof k.refined, 'boolean');
        assert.ok(k.firstMs <= k.ms + 1e-6, `first ${k.firstMs} ms before the final ${k.ms} ms`);
      }
      for (const key of ['p50FirstMs', 'p95FirstMs', 'refinedRate']) assert.equal(typeof out.summary[key], 'number', key);

      const asked = out.keystrokes.map((k, i) => ({ k, i })).filter(({ k }) => !k.cached && k.promptTokens > 0);
      assert.ok(asked.length > 0);
      for (const { k, i } of asked) {
        const after = typed.slice(0, i + 1);
        const lines = [...source.slice(0, line - 1), source[line - 1]! + after, ...source.slice(line)].join('\n').split('\n');
        const at = line + (after.match(/\n/g) ?? []).length;
        writeFileSync(file, lines.join('\n'));
        const fresh = cliJson(['complete', '--file', file, '--line', String(at), '--column', String(lines[at - 1]!.length + 1), ...common]) as {
          candidates: { suggestion: string }[]; stats: { firstMs: number; ms: number };
        };
        assert.equal(k.suggestion ?? '', fresh.candidates[0]?.suggestion ?? '', `keystroke ${i} (${JSON.stringify(k.key)})`);
        assert.equal(typeof fresh.stats.firstMs, 'number');
      }
    });
  }
});
