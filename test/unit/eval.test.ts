import * as assert from 'node:assert/strict';
import { bracketOracle, syntaxAwareValue } from '../../src/decoding/value';
import { targetLogLikelihood } from '../../src/eval/likelihood';
import { levenshtein, repeatsSuffix, scorePosition, similarity, twoLines } from '../../src/eval/metrics';
import { ranks, scoreQuality, spearman } from '../../src/eval/rank-correlation';
import { TableModel } from '../support/table-model';
import { pickCloserPositions, pickPositions } from '../../src/eval/positions';
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
  it('cuts a stated share of positions inside an identifier, and the rest never inside one', () => {
    const files = [{ name: 'b.ts', text: Array.from({ length: 60 }, (_, i) => `  const value${i} = compute(first${i}, second);`).join('\n') + '\n' }];
    const positions = pickPositions(files, 50, 5, 0.4);
    const mid = positions.filter((p) => p.midIdentifier);
    assert.ok(mid.length >= 12 && mid.length <= 30, `${mid.length} of 50 mid-identifier at a share of 0.4`);
    for (const p of positions) {
      const inside = /[\w$]$/.test(p.prefix) && /^[\w$]/.test(p.target);
      assert.equal(p.midIdentifier, inside, JSON.stringify(p.prefix.slice(-10) + '|' + p.target.slice(0, 10)));
    }
    assert.equal(pickPositions(files, 50, 5, 0).filter((p) => p.midIdentifier).length, 0);
    assert.equal(pickPositions(files, 50, 5, 1).filter((p) => p.midIdentifier).length, 50);
  });

  it('a suggestion repeats the suffix when its last line is the document\'s next line (indentation counts)', () => {
    assert.equal(repeatsSuffix('  return a', ';\n}', '\n}\n'), true);
    assert.equal(repeatsSuffix('  return a', ';', '\n}\n'), false);
    assert.equal(repeatsSuffix('', 'if (a) {\n  b();\n  }', '\n}\n'), false, 'its own closer at its own indentation');
    assert.equal(repeatsSuffix('  foo(', 'a, b);', ');\nnext();'), true, 'retypes the rest of the line');
    assert.equal(repeatsSuffix('  foo(', 'a, b', ');\nnext();'), false);
  });

  it('Spearman\'s rank correlation with literal values, ties averaged', () => {
    assert.deepEqual(ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1]);
    assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    // ranks x 1 2 3 4 5, y 2 1 4 3 5: Σd² = 4, ρ = 1 − 6·4 / (5·24) = 0.8
    assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])! - 0.8) < 1e-12);
    assert.equal(spearman([1, 1, 1], [1, 2, 3]), null, 'a constant side has no ranking');
    const q = scoreQuality([[{ score: 1, quality: 0.1 }, { score: 2, quality: 0.2 }], [{ score: 5, quality: 0.9 }, { score: 3, quality: 0.95 }], [{ score: 0, quality: 0.5 }]]);
    // Within: +1 and −1 (the third position has one candidate). Pooled: x ranks 2 3 5 4 1, y ranks 1 2 4 5 3, Σd² = 8, ρ = 1 − 48/120.
    assert.deepEqual({ ...q, pooled: Number(q.pooled!.toFixed(3)) }, { withinPosition: 0, positions: 2, pooled: 0.6, pairs: 5 });
  });
  it('picks cursors at line ends before a line of closing brackets, the same ones for a seed', () => {
    const text = 'function f(a) {\n  if (a) {\n    return a + 1;\n  }\n  return 0;\n}\n';
    const picked = pickCloserPositions([{ name: 'f.js', text }], 5, 1);
    assert.deepEqual(picked.map((p) => [p.line, p.prefix.split('\n').pop()]).sort(), [[3, '    return a + 1;'], [5, '  return 0;']]);
    for (const p of picked) assert.equal(p.prefix + p.suffix, text);
    assert.deepEqual(pickCloserPositions([{ name: 'f.js', text }], 5, 1), picked);
  });
});
