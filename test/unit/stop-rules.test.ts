import * as assert from 'node:assert/strict';
import { finishCandidate, finishCompletion, isCompleteFor, type StopContext } from '../../src/decoding/stop-rules';

const at = (linePrefix: string, lineSuffix = '', after = ''): StopContext => ({ linePrefix, lineSuffix, suffix: lineSuffix + (after ? '\n' + after : '') });

describe('stop rules', () => {
  it('mid-line: one line, without retyping the closing characters already there', () => {
    const ctx = at('  foo(', ');');
    assert.equal(finishCompletion('a, b);\nbar();', ctx), 'a, b');
    assert.equal(isCompleteFor(ctx)('a, b'), false);
    assert.equal(isCompleteFor(ctx)('a, b);\n'), true);
  });
  it('end of line: stops at the end of the statement', () => {
    const ctx = at('  const x = ');
    assert.equal(finishCompletion('compute(1, 2);\n  const y = 3;\n', ctx), 'compute(1, 2);');
    assert.equal(isCompleteFor(ctx)('compute(1, 2);'), false, 'the line may still grow');
    assert.equal(isCompleteFor(ctx)('compute(1, 2);\n'), true);
  });
  it('a statement that continues on the next line is kept whole', () => {
    const ctx = at('  const total = ');
    assert.equal(finishCompletion('items\n    .map((x) => x * 2)\n    .reduce(add, 0);\n  return total;', ctx), 'items\n    .map((x) => x * 2)\n    .reduce(add, 0);');
  });
  it('a first line that opens a block continues until the block closes', () => {
    const ctx = at('');
    assert.equal(finishCompletion('function mul(a, b) {\n  return a * b;\n}\n\nfunction div(a, b) {', ctx), 'function mul(a, b) {\n  return a * b;\n}');
    assert.equal(isCompleteFor(ctx)('function mul(a, b) {\n  return a * b;\n'), false);
  });
  it('brackets the cursor\'s line opened are the suggestion\'s own: the block after them is kept whole', () => {
    // for (…) {⏎    if (|⏎  }: the `)` closes the line's own `(`, and the `{` opens the if's block.
    const ctx = at('    if (', '', '  }\n  return best;\n}\n');
    assert.equal(finishCompletion('value > best) {\n      best = value;\n    }\n    if (value < 0) {', ctx), 'value > best) {\n      best = value;\n    }');
    assert.equal(isCompleteFor(ctx)('value > best) {\n      best = value;\n'), false);
    assert.equal(finishCompletion('a, b);\n    next();', at('    foo(')), 'a, b);');
    assert.equal(finishCompletion('\n  1,\n  2,\n];\nconst y = 2;', at('const x = [')), '\n  1,\n  2,\n];');
    assert.equal(finishCompletion('x);\n  next();', at('  log("(", \'[\', ')), 'x);', 'brackets inside the line\'s strings are text');
  });
  it('stops before a line that leaves the cursor’s block, and at a blank line', () => {
    const ctx = at('    ');
    assert.equal(finishCompletion('if (x) {\n      y();\n    }\n  }\n', ctx), 'if (x) {\n      y();\n    }');
    assert.equal(finishCompletion('foo(\n      1,\n', { ...ctx }), 'foo(\n      1,');
    assert.equal(finishCompletion('a = 1 +\n\n    b', ctx), 'a = 1 +');
  });
  it('never repeats the lines that follow the cursor', () => {
    const ctx = at('  ', '', '}\n');
    assert.equal(finishCompletion('if (a) {\n    b();\n  }\n}', { linePrefix: '', lineSuffix: '', suffix: '\n}\n' }), 'if (a) {\n    b();\n  }');
    assert.equal(finishCompletion('x();\ny();\nz();', { linePrefix: '', lineSuffix: '', suffix: '\ny();\nz();\n' }), 'x();');
    assert.equal(finishCompletion('return a;', ctx), 'return a;');
  });
  it('trims trailing whitespace and an indent the user already typed', () => {
    assert.equal(finishCompletion('  return a;   \n', at('    ')), 'return a;');
    assert.equal(finishCompletion('x  ', at('let y = ')), 'x');
  });
  describe('suffix overlap (what the document already has after the cursor)', () => {
    it('drops a closer that is on the next line: the candidate is nothing but that', () => {
      // function add(a, b) {⏎  return a|⏎}
      const ctx = at('  return a', '', '}\n');
      assert.deepEqual(finishCandidate('\n}', ctx), { text: '', cutAt: 0, reason: 'repeats-suffix' });
      assert.deepEqual(finishCandidate(';\n}\n', ctx), { text: ';', cutAt: 1, reason: 'repeats-suffix' });
    });
    it('drops the rest of the line when the candidate retypes it', () => {
      const ctx = at('  const x = compute(', ');', 'next();');
      assert.deepEqual(finishCandidate('a, b);', ctx), { text: 'a, b', cutAt: 4, reason: 'repeats-suffix' });
    });
    it('drops a partial overlap: the first characters of the rest of the line', () => {
      const ctx = at("  const s = read('", "');");
      assert.deepEqual(finishCandidate("./data.json')", ctx), { text: './data.json', cutAt: 11, reason: 'repeats-suffix' });
    });
    it('keeps a repeat that closes the candidate\'s own brackets', () => {
      // function f() {⏎|⏎}: "if (a) {…}" ends with the "}" the document also has next
      const ctx: StopContext = { linePrefix: '', lineSuffix: '', suffix: '\n}\n' };
      assert.deepEqual(finishCandidate('if (a) {\n  b();\n}', ctx), { text: 'if (a) {\n  b();\n}', cutAt: 17 });
      // mid-line: "(b)" closes its own parenthesis though the line goes on with ")"
      assert.equal(finishCompletion('a, (b)', at('  foo(', ')')), 'a, (b)');
    });
    it('says the end of a statement is not a repeat', () => {
      const ctx = at('  ', '', 'return total;');
      assert.deepEqual(finishCandidate('total += x;\n  count++;', ctx), { text: 'total += x;', cutAt: 11, reason: 'end-of-suggestion' });
    });
  });
});
