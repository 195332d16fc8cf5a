/**
 * What a keystroke costs on the trained built-in model through real llama.cpp: typing in a long
 * real file evaluates a few prompt tokens, a moved window reuses the cached prompt through a KV
 * shift whose result stays close to a fresh evaluation, and background work leaves the
 * foreground's cache alone.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NextTokenScores } from '../../src/decoding/language-model';
import { cursorWindow, textLines } from '../../src/decoding/prompt-parts';
import { builtinModelPath } from '../../src/model/builtin';
import { completeAt, warmAt } from '../../src/engine/complete';
import { loadModel, type LoadedModel } from '../../src/model/load';

const ROOT = join(__dirname, '..', '..');
/** Held out of the built-in model's training data (models/heldout.json). */
const FILE = readFileSync(join(ROOT, 'node_modules', 'commander', 'lib', 'command.js'), 'utf8');

/** KL(p ‖ q) in nats over the whole vocabulary. */
function kl(p: NextTokenScores, q: NextTokenScores): number {
  const a = p.full!;
  const b = q.full!;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const lp = a[i]! - p.logNormalizer;
    sum += Math.exp(lp) * (lp - (b[i]! - q.logNormalizer));
  }
  return sum;
}

describe('typing cost on the built-in model (real llama.cpp)', function () {
  this.timeout(60_000);
  let m: LoadedModel;

  before(async () => {
    m = await loadModel({ modelPath: builtinModelPath(), gpu: false, threads: 1, maxBranches: 4 });
  });
  after(async () => {
    await m?.dispose();
  });

  it('typing a line of a 2,000-line file evaluates at most a few prompt tokens per keystroke', async () => {
    const lines = FILE.split('\n');
    const at = Math.floor(lines.length * 0.6);
    const typed = "    const res = this._findCommand('x');";
    lines.splice(at, 0, '');
    const evaluated: number[] = [];
    for (let n = 1; n <= typed.length; n++) {
      lines[at] = typed.slice(0, n);
      const parts = cursorWindow(textLines(lines.join('\n')), at, n, { prefixChars: 6000, suffixChars: 2000 });
      const r = await completeAt(m, { parts, strategy: 'greedy', options: { maxTokens: 4 } });
      if (n > 1) evaluated.push(r.promptTokensEvaluated);
      assert.ok(r.promptTokens > 150, `the prompt fills the context (${r.promptTokens} tokens)`);
    }
    const sorted = [...evaluated].sort((a, b) => a - b);
    assert.ok(sorted[Math.floor(sorted.length / 2)]! <= 2, `median ${sorted[Math.floor(sorted.length / 2)]}: ${evaluated.join(' ')}`);
    assert.ok(Math.max(...evaluated) <= 4, `most ${Math.max(...evaluated)}: ${evaluated.join(' ')}`);
  });

  it('a moved window keeps the cached prompt through a KV shift, close to a fresh evaluation (KL ≤ 0.01 nats, same top token)', async () => {
    const fresh = await loadModel({ modelPath: builtinModelPath(), gpu: false, threads: 1, maxBranches: 1 });
    try {
      const fim = m.info.fim!;
      const body = m.tokenize(FILE.slice(30_000, 32_000));
      const suffix = m.tokenize(FILE.slice(40_000, 40_200));
      for (const drop of [24, 64]) {
        const kept = body.slice(drop, drop + 120);
        const before = [fim.prefix, ...body.slice(0, drop), ...kept, fim.suffix, ...suffix.slice(0, 40), fim.middle!];
        const after = [fim.prefix, ...kept, fim.suffix, ...suffix.slice(0, 40), fim.middle!];
        const lm = m.languageModel;
        const first = await lm.start(before, 1);
        lm.release(first.branch);
        const shiftsBefore = m.stats.shifts;
        const shifted = await lm.start(after, Infinity);
        lm.release(shifted.branch);
        assert.equal(m.stats.shifts, shiftsBefore + 1);
        assert.equal(shifted.shifted, kept.length + 42, 'the kept stretch and what follows it came from the cache');
        assert.equal(shifted.evaluated, 1, 'only the last token was evaluated again (for its scores)');
        const reference = await fresh.languageModel.start(after, Infinity);
        fresh.languageModel.release(reference.branch);
        const distance = kl(reference.next, shifted.next);
        assert.ok(distance <= 0.01, `KL ${distance} after dropping ${drop} tokens`);
        assert.equal(shifted.next.ids[0], reference.next.ids[0], 'the same most likely next token');
        // An exact start re-evaluates the shifted stretch instead of reusing it.
        const exact = await lm.start(after, Infinity, undefined, { exact: true });
        lm.release(exact.branch);
        assert.equal(exact.evaluated, after.length - 1, 'all but the shared first token');
        // Batch boundaries and cache cells differ from the reference's, so it is equal up to float
        // rounding: 0 on a fresh model, up to 5e-4 nats here after the earlier tests' prompts (the
        // trained model's sharp distributions make rounding show more). That it did not reuse the
        // shifted stretch is the evaluated count above.
        assert.ok(kl(reference.next, exact.next) <= 2e-3, `exact KL ${kl(reference.next, exact.next)}`);
      }
    } finally {
      await fresh.dispose();
    }
  });

  it('without KV shift (or on an architecture that cannot shift) a moved window is evaluated from scratch', async () => {
    const plain = await loadModel({ modelPath: builtinModelPath(), gpu: false, threads: 1, maxBranches: 2, kvShift: false });
    try {
      assert.equal(plain.info.kvShift, false);
      assert.equal(m.info.kvShift, true, 'llama architecture: shifting is on by default');
      const fim = plain.info.fim!;
      const body = plain.tokenize(FILE.slice(30_000, 31_000));
      const a = await plain.languageModel.start([fim.prefix, ...body.slice(0, 150), fim.middle!], 1);
      plain.languageModel.release(a.branch);
      const b = await plain.languageModel.start([fim.prefix, ...body.slice(40, 150), fim.middle!], 1);
      plain.languageModel.release(b.branch);
      assert.equal(b.shifted, 0);
      assert.equal(b.evaluated, 111);
    } finally {
      await plain.dispose();
    }
  });

  it('a background warm-up leaves the foreground prompt cached, and the next keystroke reuses either', async () => {
    const lines = FILE.split('\n');
    const at = 900;
    const parts = cursorWindow(textLines(lines.join('\n')), at, 4, { prefixChars: 6000, suffixChars: 2000 });
    const fg = await completeAt(m, { parts, strategy: 'greedy', options: { maxTokens: 4 } });
    const warmed = await warmAt(m, { ...parts, extra: [{ path: 'other.js', text: 'const other = require("other");\n' }], comment: '//' }, 4);
    assert.ok(warmed.evaluated > 0);
    const again = await completeAt(m, { parts, strategy: 'greedy', options: { maxTokens: 4 } });
    assert.ok(again.promptTokensEvaluated <= 1, `the foreground prompt is still cached (${again.promptTokensEvaluated} evaluated of ${fg.promptTokens})`);
  });
});
