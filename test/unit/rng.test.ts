import { strict as assert } from 'node:assert';
import { createRng, shuffle } from '../../src/decoding/rng';

describe('seeded shuffle (src/decoding/rng.ts)', () => {
  it('permutes in place, the same order for a seed on every machine', () => {
    const xs = [0, 1, 2, 3, 4, 5];
    assert.equal(shuffle(xs, createRng(1)), xs);
    assert.deepEqual(xs, [4, 1, 5, 2, 0, 3]);
    assert.deepEqual(shuffle([0, 1, 2, 3, 4, 5], createRng(2)), [0, 2, 3, 5, 1, 4]);
    assert.deepEqual(shuffle([], createRng(1)), []);
  });
});
