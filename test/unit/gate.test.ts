import * as assert from 'node:assert/strict';
import type { CompletionResult } from '../../src/decoding/completion';
import type { Candidate, TokenStep } from '../../src/decoding/strategy';
import { CandidateTree } from '../../src/decoding/candidate-tree';
import { shownSteps, suggestionSignals, type Signals } from '../../src/decoding/gate/signals';
import { parseCalibration, predict } from '../../src/decoding/gate/predictor';
import { auroc, precisionRecallAt, precisionRecallCurve, splitByFile, thresholdForRecall } from '../../src/eval/auroc';
import { fitLogistic, solve } from '../../src/eval/logistic';
import { crossValidate, gatingFigures, type GatingRecord } from '../../src/eval/gating';

const step = (text: string, p: number, entropy: number): TokenStep => ({ token: 1, text, logprob: Math.log(p), entropy, varentropy: 0, alternatives: [] });

function candidate(steps: TokenStep[], extra: Partial<Candidate> = {}): Candidate {
  const sum = steps.reduce((a, s) => a + s.logprob, 0);
  return { text: steps.map((s) => s.text).join(''), tokens: steps.map(() => 1), steps, sumLogprob: sum, meanLogprob: sum / steps.length, score: sum / steps.length, finish: 'length', ...extra };
}

function result(strategy: CompletionResult['strategy'], candidates: Candidate[], healed?: string): CompletionResult {
  return { strategy, candidates, tree: new CandidateTree(), stats: { modelCalls: 0, tokensEvaluated: 0, ms: 0 }, fim: true, promptTokens: 1, promptTokensEvaluated: 1, promptTokensShifted: 0, ...(healed ? { healed } : {}) };
}

const close = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${a} ≠ ${b}`);

describe('gate signals', () => {
  it('reads the shown tokens only: probabilities, entropies, Σ log p, length', () => {
    // "foo" | "(x" | ")\n" | "bar": the stop rules show "foo(x)" (cutAt 6), so the last token is not shown.
    const c = candidate([step('foo', 0.5, 0.2), step('(x', 0.25, 1.5), step(')\n', 0.8, 0.4), step('bar', 0.1, 3)], { shown: { text: 'foo(x)', cutAt: 6, reason: 'end-of-suggestion' } });
    const s = suggestionSignals(result('greedy', [c]));
    close(s.meanProb, (0.5 + 0.25 + 0.8) / 3);
    close(s.minProb, 0.25);
    close(s.firstEntropy, 0.2);
    close(s.maxEntropy, 1.5);
    close(s.sumLogprob, Math.log(0.5 * 0.25 * 0.8));
    assert.equal(s.tokens, 3);
    assert.equal(s.margin, null);
    assert.equal(s.visitShare, null);
    assert.equal(s.greedyAgrees, 1, 'greedy agrees with itself');
    assert.equal(s.naturalEnd, 1, 'the stop rules found its end');
  });
  it('counts the re-typed healed text in the first token', () => {
    // Healing re-typed "fo": the steps spell "foo", the candidate's text is "o".
    const c = candidate([step('foo', 0.5, 0.1), step('+', 0.2, 2)], { text: 'o+', shown: { text: 'o', cutAt: 1, reason: 'end-of-suggestion' } });
    assert.equal(shownSteps(c, 2).length, 1);
    assert.equal(shownSteps(c, 0).length, 1);
    assert.equal(shownSteps({ ...c, shown: { text: 'o+', cutAt: 2 } }, 2).length, 2);
  });
  it("the first line's tokens: its Σ log p and least likely token", () => {
    // "x" | " = 1" | "\n" | "y": the first line is "x = 1", spelled by the first two tokens.
    const c = candidate([step('x', 0.5, 0), step(' = 1', 0.8, 0), step('\n', 0.9, 0), step('y', 0.1, 0)]);
    const s = suggestionSignals(result('greedy', [c]));
    close(s.lineLogprob, Math.log(0.5 * 0.8));
    close(s.lineMinProb, 0.5);
    close(s.minProb, 0.1);
    // Healing re-typed "fo": the steps spell "foo\nz", the shown text is "o\nz"; its first line is the first token's.
    const healed = candidate([step('foo', 0.5, 0), step('\n', 0.9, 0), step('z', 0.2, 0)], { text: 'o\nz' });
    close(suggestionSignals(result('greedy', [healed], 'fo')).lineLogprob, Math.log(0.5));
    // One line shown: the line is the whole suggestion.
    const one = candidate([step('foo', 0.5, 0), step('(x', 0.25, 0), step(')\n', 0.8, 0)], { shown: { text: 'foo(x)', cutAt: 6, reason: 'end-of-suggestion' } });
    close(suggestionSignals(result('greedy', [one])).lineLogprob, Math.log(0.5 * 0.25 * 0.8));
  });
  it('margin, MCTS visit share and value, greedy agreement, a length cut', () => {
    const best = candidate([step('a = 1\nb', 0.9, 0.1)], { score: 0.75, visits: 30, value: -0.5, finish: 'length' });
    const second = candidate([step('a = 2', 0.05, 0.1)], { score: 0.25 });
    const s = suggestionSignals(result('mcts', [best, second]), 0, 'a = 1\nzzz');
    close(s.margin, 0.5);
    close(s.visitShare, 0.75);
    close(s.value, -0.5);
    assert.equal(s.greedyAgrees, 1, 'first lines agree');
    assert.equal(s.naturalEnd, 0, 'ran to the token limit uncut');
    assert.equal(suggestionSignals(result('mcts', [best, second]), 0, 'a = 3').greedyAgrees, 0);
    assert.equal(suggestionSignals(result('beam', [best, second])).greedyAgrees, null, 'unknown without greedy');
    assert.equal(suggestionSignals(result('beam', [best, second])).visitShare, null);
  });
  it('the cursor: what its line holds, and whether the line is one the window already has', () => {
    const c = candidate([step('push(x);\nfoo', 0.5, 0.2)], { shown: { text: 'push(x);', cutAt: 8, reason: 'end-of-suggestion' } });
    const window = 'const a = [];\n  this.items.push(x);\n';
    const s = suggestionSignals(result('greedy', [c]), 0, undefined, { linePrefix: '  this.items.', lineSuffix: '', window });
    close(s.typedOnLine, Math.log1p(11)); // "this.items." without the indentation
    assert.equal(s.midWord, 0, 'after a dot');
    assert.equal(s.restOfLine, 0);
    assert.equal(s.seenInWindow, 1, '"this.items.push(x);" is the window\'s second line');
    const other = suggestionSignals(result('greedy', [c]), 0, undefined, { linePrefix: '  this.ite', lineSuffix: ' )', window });
    assert.equal(other.midWord, 1);
    assert.equal(other.restOfLine, 1);
    assert.equal(other.seenInWindow, 0, '"this.itepush(x);" is not in the window');
    assert.equal(suggestionSignals(result('greedy', [c]), 0, undefined, { linePrefix: '', lineSuffix: '' }).seenInWindow, null, 'no window given');
    assert.equal(suggestionSignals(result('greedy', [c])).typedOnLine, null, 'no cursor given');
  });
});

describe('gate statistics', () => {
  it('AUROC against a hand count of pairs, ties counting half', () => {
    // Useful at 0.9 and 0.7; others 0.8, 0.6, 0.5: 0.9 beats all three, 0.7 beats two → 5/6.
    close(auroc([0.9, 0.8, 0.7, 0.6, 0.5], [true, false, true, false, false]), 5 / 6);
    // 1 vs 1 is a tie (½), 1 vs 0 a win: 1.5 / 2.
    close(auroc([1, 1, 0], [true, false, false]), 0.75);
    close(auroc([0.1, 0.9], [true, false]), 0);
    assert.equal(auroc([1, 2], [true, true]), null);
  });
  it('precision, recall and the threshold that keeps 80% of the useful', () => {
    const scores = [0.9, 0.8, 0.7, 0.4, 0.3, 0.2, 0.1];
    const useful = [true, false, true, true, false, true, true];
    // Five useful: keeping four needs the fourth highest useful score, 0.2.
    assert.equal(thresholdForRecall(scores, useful, 0.8), 0.2);
    assert.deepEqual(precisionRecallAt(scores, useful, 0.2), { threshold: 0.2, precision: 4 / 6, recall: 4 / 5, shown: 6 / 7 });
    assert.deepEqual(precisionRecallAt(scores, useful, 0.75), { threshold: 0.75, precision: 1 / 2, recall: 1 / 5, shown: 2 / 7 });
    assert.equal(precisionRecallCurve(scores, useful).length, 7);
    assert.equal(thresholdForRecall([0.5], [false], 0.8), 0, 'nothing useful: show everything');
  });
  it('splits by file into halves of about equal size, whatever the order', () => {
    // a.ts has 4 positions, b.ts 3, c.ts 2, d.ts 1: a → fit (4), b → test (3), c → test (5), d → fit (5).
    const files = ['a.ts', 'b.ts', 'a.ts', 'c.ts', 'a.ts', 'b.ts', 'd.ts', 'c.ts', 'a.ts', 'b.ts'];
    const halves = splitByFile(files);
    assert.deepEqual(halves, ['fit', 'test', 'fit', 'test', 'fit', 'test', 'fit', 'test', 'fit', 'test']);
    const reversed = [...files].reverse();
    assert.deepEqual(splitByFile(reversed), [...halves].reverse());
    // One position per file: ties broken by the name's hash, alternating halves.
    assert.deepEqual(splitByFile(['x', 'y', 'z', 'w']).filter((h) => h === 'fit').length, 2);
  });
  it('solves a linear system and fits a logistic model whose weight has the data’s sign', () => {
    assert.deepEqual(solve([[2, 1], [1, 3]], [3, 5]).map((x) => Math.round(x * 1e9) / 1e9), [0.8, 1.4]);
    const rows = [[0, 5], [1, 5], [2, 5], [3, 5], [4, 5], [5, 5], [6, 5], [7, 5]];
    const labels = [false, false, true, false, true, false, true, true];
    const fit = fitLogistic(rows, labels, 0);
    assert.ok(fit.columns[0]!.weight > 0.5, `${fit.columns[0]!.weight}`);
    assert.equal(fit.columns[1]!.weight, 0, 'a constant column gets no weight');
    close(fit.columns[0]!.mean, 3.5);
    // At the optimum the predicted and observed counts of positives agree (the intercept's score equation).
    const p = rows.map((r) => 1 / (1 + Math.exp(-(fit.intercept + (fit.columns[0]!.weight * (r[0]! - 3.5)) / fit.columns[0]!.std))));
    close(p.reduce((a, x) => a + x, 0), 4);
  });
});

describe('gate predictor', () => {
  const none: Signals = { meanProb: null, minProb: null, firstEntropy: null, maxEntropy: null, sumLogprob: null, tokens: null, margin: null, visitShare: null, value: null, greedyAgrees: null, naturalEnd: null, lineLogprob: null, lineMinProb: null, typedOnLine: null, midWord: null, restOfLine: null, seenInWindow: null };
  const predictor = { intercept: 0, features: [{ name: 'meanProb', mean: 0.5, std: 0.1, weight: 2 }, { name: 'maxEntropy', mean: 1, std: 0.5, weight: -1 }] } as const;
  it('predicts with standardised signals and names the one that weighed most against', () => {
    const v = predict(predictor, { ...none, meanProb: 0.4, maxEntropy: 1.5 });
    close(v.probability, 1 / (1 + Math.exp(3))); // 2·(−1) − 1·(1) = −3
    assert.equal(v.weighedMost, 'meanProb');
    const up = predict(predictor, { ...none, meanProb: 0.6, maxEntropy: 1 });
    assert.equal(up.weighedMost, 'meanProb');
    close(predict(predictor, none).probability, 0.5); // missing signals move nothing
  });
  it('rejects a malformed calibration', () => {
    assert.throws(() => parseCalibration({ version: 2 }), /version/);
    assert.throws(() => parseCalibration({ version: 1, strategies: { greedy: { intercept: 0, threshold: 0.1, enabled: true, features: [{ name: 'nope', mean: 0, std: 1, weight: 1 }] } } }), /feature/);
  });
  it('chooses the threshold within the fit half from out-of-fold predictions', () => {
    // One file per position; useful exactly when meanProb > 0.6, so out-of-fold predictions rank
    // perfectly; `tokens` is noise, which forward selection leaves out.
    const records: GatingRecord[] = Array.from({ length: 50 }, (_, i) => ({ file: `g${i}.ts`, signals: { ...none, meanProb: i / 50, tokens: (i * 7919) % 13 }, exactLine: i / 50 > 0.6, editSimilarity: 0 }));
    const cv = crossValidate(records, (r) => r.exactLine);
    close(cv.auroc, 1);
    assert.deepEqual(cv.signals, ['meanProb']);
    // 19 useful (0.62 … 0.98): keeping 80% needs the 16th highest useful, meanProb 0.68; the threshold is its predicted probability.
    const kept = records.filter((r) => r.exactLine && r.signals.meanProb! >= 0.68).length;
    assert.equal(kept, 16);
    assert.ok(cv.threshold > 0 && cv.threshold < 1);
    assert.ok([100, 30, 10, 3, 1, 0.3].includes(cv.ridge));
  });
  it('fits on one half of the files and measures on the other', () => {
    const records: GatingRecord[] = [];
    for (let i = 0; i < 80; i++) {
      const good = i % 3 === 0;
      records.push({ file: `f${i}.ts`, signals: { ...none, meanProb: good ? 0.7 + (i % 5) / 50 : 0.4 + (i % 7) / 20 }, exactLine: good, editSimilarity: good ? 1 : 0.2 });
    }
    const { figures, predictor: p } = gatingFigures(records);
    assert.equal(figures.predictor.fitPositions + figures.predictor.testPositions, 80);
    assert.ok(figures.predictor.fitPositions > 20 && figures.predictor.testPositions > 20);
    assert.ok(figures.predictor.auroc! > 0.9, `${figures.predictor.auroc}`);
    assert.ok(figures.auroc.meanProb! > 0.9);
    assert.equal(figures.auroc.tokens, null);
    assert.equal(figures.bestSignal?.name, 'meanProb');
    assert.ok(p.enabled && p.features.length === 1);
    assert.ok(figures.predictor.precision > figures.predictor.baselinePrecision);
  });
});
