import * as assert from 'node:assert/strict';
import { bracketOracle, syntaxAwareValue } from '../../src/decoding/value';
import { targetLogLikelihood } from '../../src/eval/likelihood';
import { levenshtein, scorePosition, similarity, twoLines } from '../../src/eval/metrics';
import { TableModel } from '../support/table-model';
import { pickPositions } from '../../src/eval/positions';
import * as typescript from 'typescript';
import { parseErrorCount, typescriptOracle } from '../../src/syntax/typescript-oracle';

const FILE = { name: 'a.ts', text: 'export function add(a: number, b: number) {\n  const sum = a + b;\n  return sum;\n}\n\nexport const twice = (x: number) => add(x, x);\nconsole.log(twice(2));\n' };

describe('evaluation', () => {
  it('picks the same positions for the same seed, and each splits the file exactly', () => {
    const a = pickPositions([FILE], 3, 7);
    assert.deepEqual(a, pickPositions([FILE], 3, 7));
    for (const p of a) {
      assert.equal(p.prefix + p.target + p.suffix, FILE.text);
      assert.equal(p.target.split('\n').length, 2, 'rest of the line plus the next line');
      assert.ok(p.target.split('\n')[0].length >= 3);
    }
  });
  it('scores exact matches, edit similarity and parsing', () => {
    const [p] = pickPositions([FILE], 1, 3);
    const oracle = typescriptOracle('typescript');
    const perfect = scorePosition(p, p.target + '\nmore', oracle);
    assert.deepEqual(perfect, { exactLine: true, exactNextLine: true, editSimilarity: 1, parses: true });
    const broken = scorePosition(p, '((( {{', oracle);
    assert.equal(broken.exactLine, false);
    assert.equal(broken.parses, false);
    assert.ok(broken.editSimilarity < 0.5);
  });
  it('the true text’s log-likelihood after a prompt, token by token, with literal values', async () => {
    const m = new TableModel({ vocab: ['a', 'b', 'c'], rules: { a: { b: 0.5, c: 0.5 }, b: { c: 0.25, a: 0.75 } } });
    const ll = await targetLogLikelihood(m, m.ids('a'), m.ids('b c'));
    assert.ok(Math.abs(ll - (Math.log(0.5) + Math.log(0.25))) < 1e-6, `${ll}`); // float32 logits
    assert.equal(m.liveBranches, 0, 'the branch is released');
    assert.equal(await targetLogLikelihood(m, m.ids('a'), []), 0);
  });
  it('edit distance with literal values', () => {
    assert.equal(levenshtein('kitten', 'sitting'), 3);
    assert.equal(similarity('abc', 'abc'), 1);
    assert.equal(similarity('', ''), 1);
    assert.equal(twoLines('a\nb\nc'), 'a\nb');
  });
});

describe('TypeScript parse errors: internal field and public fallback', () => {
  it('count the same errors both ways', () => {
    const cases = [['const a = 1;', 'ts', 0], ['function f( {', 'ts', 1], ['let x = <div>{a}</div>;', 'tsx', 0], ['if (a) { b(', 'js', 1], ['let s: string = ', 'ts', 1]] as const;
    for (const [text, kind, errors] of cases) {
      assert.equal(parseErrorCount(typescript, text, kind), errors, text);
      assert.equal(parseErrorCount(typescript, text, kind, 'public'), errors, `${text} (public)`);
    }
  });
});

describe('code-aware value', () => {
  it('TypeScript oracle counts syntax errors only (no type checking)', () => {
    const ts = typescriptOracle('typescript')!;
    assert.equal(ts.errors('const x: number = "not a number";'), 0);
    assert.ok(ts.errors('const x = (;') > 0);
    assert.equal(typescriptOracle('python'), undefined);
  });
  it('bracket oracle ignores brackets in strings and comments', () => {
    assert.equal(bracketOracle.errors('f(a[1], "(", /* { */ b) // )'), 0);
    assert.equal(bracketOracle.errors('f(a[1]'), 1);
    assert.equal(bracketOracle.errors('f(a])'), 2);
  });
  it('penalises only the syntax errors a candidate adds', () => {
    const value = syntaxAwareValue(typescriptOracle('typescript')!, 'const y = f(', ');\nlet broken = ;\n', 0.5);
    // The document already has one error (`let broken = ;`); it counts for no candidate.
    assert.equal(value({ text: '1, 2', tokens: [], meanLogprob: -1 }), -1);
    assert.ok(value({ text: '1, (', tokens: [], meanLogprob: -1 }) < -1);
  });
});
