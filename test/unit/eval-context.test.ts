import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_WINDOW } from '../../src/decoding/prompt-parts';
import { contextSummary, prepareContexts, readContextMode } from '../../src/eval/context-modes';
import type { EvalPosition } from '../../src/eval/positions';

describe('eval --context', () => {
  let root: string;
  const files = [
    { name: 'pkg/package.json', text: '{"name":"pkg"}' },
    { name: 'pkg/lib/totals.js', text: "'use strict';\n\n/** Sum of the lines' amounts, in cents. */\nfunction computeTotal(lines) {\n  return lines.reduce((n, l) => n + l.cents, 0);\n}\n\nmodule.exports = { computeTotal };\n" },
    { name: 'pkg/main.js', text: "const totals = require('./lib/totals');\n\nfunction invoice(order) {\n  const sum = totals.computeTotal(order.lines);\n  return sum;\n}\n\nfunction plain(a) {\n  const b = a + 1;\n  return b * 2;\n}\n" },
  ];
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'tt-evalctx-'));
    for (const f of files) {
      mkdirSync(dirname(join(root, f.name)), { recursive: true });
      writeFileSync(join(root, f.name), f.text);
    }
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  /** A position whose true text is `target`, found in main.js after `before`. */
  const cut = (before: string, target: string): EvalPosition => {
    const text = files[2]!.text;
    const at = text.indexOf(before) + before.length;
    assert.equal(text.slice(at, at + target.length), target);
    return { file: 'pkg/main.js', line: 0, prefix: text.slice(0, at), target, suffix: text.slice(at + target.length), midIdentifier: false };
  };

  it('finds the cross-file positions, and gives definitions only in the definitions mode', async () => {
    const cross = cut('const sum = totals.', 'computeTotal(order.lines);\n  return sum;');
    const local = cut('const b = ', 'a + 1;\n  return b * 2;');
    const defs = await prepareContexts('definitions', files, [cross, local], DEFAULT_WINDOW, root);
    assert.equal(defs.get(cross)!.crossFile, true);
    assert.equal(defs.get(local)!.crossFile, false);
    const chunk = defs.get(cross)!.parts.extra!.find((c) => c.path === 'lib/totals.js');
    assert.ok(chunk, JSON.stringify(defs.get(cross)!.parts.extra));
    assert.ok(chunk.text.includes("/** Sum of the lines' amounts, in cents. */\nfunction computeTotal(lines)"), chunk.text);
    // The file as the editor holds it at the cursor: the true text is not in what the service read.
    assert.deepEqual(defs.get(cross)!.withoutDefinitions.extra, defs.get(cross)!.parts.extra!.filter((c) => c !== chunk && !defs.get(cross)!.definitions.chunks.includes(c)));
    const none = await prepareContexts('none', files, [cross], DEFAULT_WINDOW, root);
    assert.deepEqual(none.get(cross)!.parts.extra, []);
    assert.equal(none.get(cross)!.crossFile, true);
  });

  it('splits bits per byte by cross-file positions, with and without definitions', async () => {
    const cross = cut('const sum = totals.', 'computeTotal(order.lines);\n  return sum;');
    const local = cut('const b = ', 'a + 1;\n  return b * 2;');
    const contexts = await prepareContexts('definitions', files, [cross, local], DEFAULT_WINDOW, root);
    const s = contextSummary('definitions', [cross, local], contexts, [{ bits: 10, bytes: 20 }, { bits: 30, bytes: 10 }], [{ bits: 20, bytes: 20 }, { bits: 30, bytes: 10 }]);
    assert.deepEqual(s.figures.crossFile, { positions: 1, bitsPerByte: 0.5, bitsPerByteWithoutDefinitions: 1 });
    assert.deepEqual(s.figures.sameFile, { positions: 1, bitsPerByte: 3, bitsPerByteWithoutDefinitions: 3 });
    assert.throws(() => readContextMode('all'), /--context must be none, ring, definitions/);
  });
});
