import * as assert from 'node:assert/strict';
import { InvalidLogitsError } from '../../src/decoding/distribution';
import { SamplerChain } from '../../src/decoding/samplers/chain';
import { parseSamplerSpec } from '../../src/decoding/samplers/spec-parse';
import { createRng } from '../../src/decoding/rng';
import { ids, survivors } from '../support/sampler-helpers';

const P = [0.1, 0.2, 0.3, 0.4];
const close = (a: number, b: number, eps = 1e-6) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);

describe('samplers (llama.cpp semantics, hand-computed)', () => {
  it('top-k keeps the k most likely and renormalises', () => {
    const s = survivors([{ type: 'top_k', k: 2 }], P);
    assert.deepEqual(ids(s), [3, 2]);
    close(s[0].p, 0.4 / 0.7);
    close(s[1].p, 0.3 / 0.7);
  });
  it('top-k: k ≤ 0 is a no-op, k ≥ n keeps all', () => {
    assert.deepEqual(ids(survivors([{ type: 'top_k', k: 0 }], P)), [3, 2, 1, 0]);
    assert.deepEqual(ids(survivors([{ type: 'top_k', k: -3 }], P)), [3, 2, 1, 0]);
    assert.deepEqual(ids(survivors([{ type: 'top_k', k: 10 }], P)), [3, 2, 1, 0]);
  });
  it('top-p keeps the crossing token', () => {
    assert.deepEqual(ids(survivors([{ type: 'top_p', p: 0.5 }], P)), [3, 2]);
    assert.deepEqual(ids(survivors([{ type: 'top_p', p: 0.75 }], P)), [3, 2, 1]);
  });
  it('top-p: p = 0 keeps one token (or minKeep), p = 1 is a no-op', () => {
    assert.deepEqual(ids(survivors([{ type: 'top_p', p: 0 }], P)), [3]);
    assert.deepEqual(ids(survivors([{ type: 'top_p', p: 0, minKeep: 2 }], P)), [3, 2]);
    assert.deepEqual(ids(survivors([{ type: 'top_p', p: 1 }], P)), [3, 2, 1, 0]);
  });
  it('min-p keeps tokens at least p times as likely as the top one', () => {
    const s = survivors([{ type: 'min_p', p: 0.6 }], P); // threshold 0.24
    assert.deepEqual(ids(s), [3, 2]);
    close(s[0].p, 4 / 7);
    assert.deepEqual(ids(survivors([{ type: 'min_p', p: 0.3 }], P)), [3, 2, 1]); // threshold 0.12
  });
  it('min-p: p ≤ 0 is a no-op, p above 1 keeps only the top (or minKeep)', () => {
    assert.deepEqual(ids(survivors([{ type: 'min_p', p: 0 }], P)), [3, 2, 1, 0]);
    assert.deepEqual(ids(survivors([{ type: 'min_p', p: 1.5 }], P)), [3]);
    assert.deepEqual(ids(survivors([{ type: 'min_p', p: 1.5, minKeep: 3 }], P)), [3, 2, 1]);
    assert.deepEqual(ids(survivors([{ type: 'min_p', p: 0.9, minKeep: 2 }], P)), [3, 2]);
  });
  it('typical keeps tokens whose surprisal is closest to the entropy until mass exceeds p', () => {
    // H = 1.2799 nats; |−ln p − H| = 1.0227, 0.3295, 0.0759, 0.3636 for ids 0..3.
    const s = survivors([{ type: 'typical', p: 0.45 }], P);
    assert.deepEqual(ids(s), [2, 1]);
    close(s[0].p, 0.6);
    assert.deepEqual(ids(survivors([{ type: 'typical', p: 0.55 }], P)), [3, 2, 1]);
    assert.deepEqual(ids(survivors([{ type: 'typical', p: 0.1, minKeep: 3 }], P)), [3, 2, 1]);
    assert.deepEqual(ids(survivors([{ type: 'typical', p: 1 }], P)), [3, 2, 1, 0]);
  });
  it('temperature divides logits; 0 is greedy', () => {
    const s = survivors([{ type: 'temperature', t: 2 }], [0, 2], { logits: true });
    close(s[0].p, Math.E / (1 + Math.E));
    close(s[1].p, 1 / (1 + Math.E));
    assert.deepEqual(survivors([{ type: 'temperature', t: 0 }], P), [{ token: 3, p: 1 }]);
  });
  it('penalties: repeat divides positive and multiplies negative logits, then frequency and presence', () => {
    const logits = [1.0, -1.0, 2.0, 0.5];
    const s = survivors([{ type: 'penalties', lastN: 64, repeat: 2, frequency: 0.5, presence: 0.25 }], logits, { logits: true, history: [0, 1, 0] });
    // token 0 (seen twice): 1/2 − 2·0.5 − 0.25 = −0.75; token 1 (once): −1·2 − 0.5 − 0.25 = −2.75.
    const expected = [-0.75, -2.75, 2.0, 0.5];
    const z = expected.reduce((a, l) => a + Math.exp(l), 0);
    for (const { token, p } of s) close(p, Math.exp(expected[token]) / z);
  });
  it('penalties count only the last N tokens, and neutral penalties do nothing', () => {
    const s = survivors([{ type: 'penalties', lastN: 1, repeat: 2, frequency: 0.5, presence: 0.25 }], [1, -1], { logits: true, history: [1, 1, 0] });
    const expected = [0.5 - 0.5 - 0.25, -1];
    const z = Math.exp(expected[0]) + Math.exp(expected[1]);
    close(s.find((x) => x.token === 0)!.p, Math.exp(expected[0]) / z);
    const neutral = survivors([{ type: 'penalties', lastN: 64, repeat: 1, frequency: 0, presence: 0 }], P, { history: [3, 3, 3] });
    close(neutral[0].p, 0.4);
  });
  it('penalties apply after a narrowing sampler too (ids are looked up, not positions)', () => {
    const s = survivors([{ type: 'top_k', k: 2 }, { type: 'penalties', lastN: 8, repeat: 1, frequency: 0, presence: 10 }], P, { history: [3] });
    assert.deepEqual(ids(s), [2, 3]);
  });
  it('order matters where llama.cpp says it does: min-p before and after temperature', () => {
    const logits = [0, -1, -2, -3];
    assert.deepEqual(ids(survivors([{ type: 'min_p', p: 0.3 }, { type: 'temperature', t: 3 }], logits, { logits: true })), [0, 1]);
    assert.deepEqual(ids(survivors([{ type: 'temperature', t: 3 }, { type: 'min_p', p: 0.3 }], logits, { logits: true })), [0, 1, 2, 3]);
  });
  it('rejects NaN and +Infinity logits with a clear error, accepts -Infinity', () => {
    for (const bad of [NaN, Infinity]) {
      for (const specs of [[{ type: 'top_k' as const, k: 2 }], [{ type: 'top_p' as const, p: 0.5 }], [{ type: 'min_p' as const, p: 0.1 }], [], [{ type: 'temperature' as const, t: 0.5 }]]) {
        const chain = new SamplerChain(specs);
        assert.throws(() => {
          chain.apply(Float32Array.from([0.5, bad, 0.1]));
          chain.sample(createRng(1));
        }, InvalidLogitsError);
      }
    }
    assert.deepEqual(ids(survivors([{ type: 'top_k', k: 3 }], [1, -Infinity, 0], { logits: true })), [0, 2, 1]);
  });
  it('the SIMD paths reject NaN and +Infinity on a large vocabulary too', () => {
    for (const bad of [NaN, Infinity]) {
      for (const specs of [[{ type: 'top_k' as const, k: 40 }], [{ type: 'min_p' as const, p: 0.1 }]]) {
        const logits = new Float32Array(10000).fill(0.5);
        logits[7777] = bad;
        assert.throws(() => {
          const chain = new SamplerChain(specs);
          chain.apply(logits);
          chain.sample(createRng(1));
        }, /token 7777/);
      }
    }
  });

  it('draws the same tokens for the same seed', () => {
    const chain = new SamplerChain([{ type: 'temperature', t: 1 }]);
    const logits = Float32Array.from([0, 0.5, 1, 1.5, 2]);
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 20 }, () => (chain.apply(logits), chain.sample(rng)));
    };
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));
    // The stream is fixed by the algorithm, not by the machine: pin its first values.
    const rng = createRng(42);
    assert.deepEqual([rng(), rng(), rng()].map((x) => x.toFixed(10)), ['0.6011037519', '0.4482905590', '0.8524657935']);
  });
  it('samples in proportion to probability', () => {
    const chain = new SamplerChain([]);
    const logits = Float32Array.from([Math.log(0.2), Math.log(0.8)]);
    const rng = createRng(3);
    let ones = 0;
    for (let i = 0; i < 4000; i++) if ((chain.apply(logits), chain.sample(rng)) === 1) ones++;
    assert.ok(Math.abs(ones / 4000 - 0.8) < 0.03, `${ones / 4000}`);
  });
});

describe('sampler spec validation', () => {
  it('accepts each documented sampler', () => {
    assert.deepEqual(parseSamplerSpec({ type: 'top_p', p: 0.9, minKeep: 2 }), { type: 'top_p', p: 0.9, minKeep: 2 });
    assert.deepEqual(parseSamplerSpec({ type: 'penalties', lastN: -1, repeat: 1.1, frequency: 0, presence: 0 }).type, 'penalties');
  });
  it('rejects bad parameters with a one-line reason', () => {
    for (const bad of [null, [], { type: 'nope' }, { type: 'top_k', k: 1.5 }, { type: 'top_p' }, { type: 'top_p', p: 'x' }, { type: 'min_p', p: 0.1, minKeep: -1 }, { type: 'temperature', t: NaN }, { type: 'penalties', lastN: 1, repeat: 0, frequency: 0, presence: 0 }, { type: 'top_k', k: 2, extra: 1 }]) {
      assert.throws(() => parseSamplerSpec(bad), (e: Error) => e.name === 'SamplerSpecError' && !e.message.includes('\n'));
    }
  });
});
