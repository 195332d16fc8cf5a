/** The demo's type-check (tools/train/typecheck-demo.ts) tells a right completion from wrong ones. */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { splitAt } from '../../src/cli/args';
import { DEMO, typeErrors } from '../../tools/train/typecheck-demo';

/** `text` with `insertion` at a 1-based line and column, by the CLI's position rules (as the demo's position is split). */
function insertAt(text: string, line: number, column: number, insertion: string): string {
  const { prefix, suffix } = splitAt(text, line, column);
  return prefix + insertion + suffix;
}

describe('type-checking a suggestion at the demo cursor', function () {
  this.timeout(30_000);
  const file = resolve(DEMO.file);
  const source = readFileSync(file, 'utf8');
  const check = (suggestion: string) => typeErrors(file, insertAt(source, DEMO.line, DEMO.column, suggestion));

  it('inserts at the 1-based line and column', () => {
    assert.equal(insertAt('ab\ncd\n', 2, 2, 'X'), 'ab\ncXd\n');
    assert.match(insertAt(source, DEMO.line, DEMO.column, 'HERE'), /isEmpty\(\): boolean \{\n {4}return HERE\n {2}\}/);
  });

  it('passes what type-checks and names the error of what does not', () => {
    assert.deepEqual(check('this.items.length === 0;'), []);
    assert.deepEqual(check('this.size === 0'), []);
    assert.match(check('this.text()')[0] ?? '', /Property 'text' does not exist on type 'Stack<T>'/);
    assert.match(check('this.items.length - 1;')[0] ?? '', /Type 'number' is not assignable to type 'boolean'/);
    assert.ok(check('this.items.pop(').length > 0, 'an unfinished call is an error');
  });
});
