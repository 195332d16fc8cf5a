/**
 * `tokentree type` on the built-in model, as other tools call it: the JSON contract, the cost of a
 * keystroke in a long real file, and the editor's suggestion equal to a fresh `tokentree complete`
 * at the same position.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, cliJson } from '../support/cli-json';

const ROOT = join(__dirname, '..', '..');

interface Keystroke {
  key: string; promptTokens: number; promptTokensEvaluated: number; promptTokensShifted: number; ms: number; cached: boolean; suggestion: string | null;
}

describe('tokentree type (CLI contract, built-in model)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tokentree-type-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('replays typing through the editor controller: a few prompt tokens per keystroke, and the last model suggestion equals a fresh complete there', () => {
    const source = readFileSync(join(ROOT, 'node_modules', 'commander', 'lib', 'command.js'), 'utf8').split('\n');
    const line = Math.floor(source.length * 0.6); // 1-based: the line after which a new one is typed
    const file = join(dir, 'command.js');
    writeFileSync(file, source.join('\n'));
    const typed = "\n    const res = this._findCommand(";
    const out = cliJson(['type', '--file', file, '--line', String(line), '--column', String(source[line - 1]!.length + 1), '--text', typed, '--max-tokens', '12', '--json']) as {
      keystrokes: Keystroke[]; summary: Record<string, number>;
    };
    assert.equal(out.keystrokes.length, typed.length);
    for (const k of out.keystrokes) {
      for (const key of ['key', 'promptTokens', 'promptTokensEvaluated', 'ms', 'cached', 'suggestion']) assert.ok(key in k, `keystroke has ${key}`);
    }
    assert.deepEqual(Object.keys(out.summary).slice(0, 3), ['medianPromptTokensEvaluated', 'p50Ms', 'p95Ms']);
    assert.ok(out.keystrokes[0]!.promptTokensEvaluated > 100, 'the first keystroke evaluates the prompt');
    assert.ok(out.summary.medianPromptTokensEvaluated! <= 4, `median ${out.summary.medianPromptTokensEvaluated}`);

    // The newest keystroke that asked the model, against a fresh `complete` at that position.
    const asked = out.keystrokes.map((k, i) => ({ k, i })).filter(({ k }) => !k.cached && k.promptTokens > 0);
    assert.ok(asked.length > 0);
    const { k, i } = asked[asked.length - 1]!;
    assert.equal(k.promptTokensShifted, 0, 'no KV shift while typing on one line');
    const after = typed.slice(0, i + 1);
    const lines = [...source.slice(0, line - 1), source[line - 1]! + after, ...source.slice(line)].join('\n').split('\n');
    const finalLine = line + (after.match(/\n/g) ?? []).length;
    writeFileSync(file, lines.join('\n'));
    const fresh = cliJson(['complete', '--file', file, '--line', String(finalLine), '--column', String(lines[finalLine - 1]!.length + 1), '--max-tokens', '12', '--json']) as {
      candidates: { suggestion: string }[];
    };
    assert.equal(k.suggestion ?? '', fresh.candidates[0]!.suggestion);
  });

  it('refuses a missing --text with exit code 2', () => {
    const r = spawnSync(process.execPath, [CLI, 'type', '--file', join(ROOT, 'examples', 'stack.ts'), '--line', '1', '--column', '1'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--text is required/);
  });
});
