/** The panel's step entropy where only the top N tokens were read: a true lower bound, tighter than the slice's. */
import * as assert from 'node:assert/strict';
import { Distribution, logSoftmax, topIndices } from '../../src/decoding/distribution';
import { entropyLowerBound } from '../../src/decoding/entropy-bound';
import { createRng } from '../../src/decoding/rng';

describe('entropy lower bound for top-N slices', () => {
  it('lies between the slice\'s entropy and the whole distribution\'s', () => {
    const rng = createRng(7);
    for (let trial = 0; trial < 200; trial++) {
      const vocab = 50 + Math.floor(rng() * 500);
      const spread = 0.5 + 4 * rng();
      const logits = Float64Array.from({ length: vocab }, () => spread * (rng() * 2 - 1) ** 3 * 4);
      const full = Distribution.fromLogits(logits);
      const n = 1 + Math.floor(rng() * 20);
      const ids = topIndices(logits, n);
      const lse = Math.log(logits.reduce((s, x) => s + Math.exp(x), 0));
      const slice = Distribution.fromTop(ids, Float64Array.from(ids, (id) => logits[id]!), lse);
      const bound = entropyLowerBound(slice);
      assert.ok(bound !== undefined);
      assert.ok(bound >= slice.entropy - 1e-12, `${bound} < slice ${slice.entropy}`);
      assert.ok(bound <= full.entropy + 1e-9, `${bound} > true ${full.entropy} (vocab ${vocab}, top ${n})`);
    }
  });

  it('is undefined where the entropy is exact', () => {
    assert.equal(entropyLowerBound(Distribution.fromLogits([1, 2, 3], 2)), undefined);
    const all = Float64Array.from(logSoftmax([0, 0]));
    assert.equal(entropyLowerBound(Distribution.fromTop(Int32Array.of(0, 1), all, 0)), undefined);
  });
});
