import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { SamplerChain, type SamplerSpec } from '../../src/decoding/samplers/chain';
import { ids, survivors } from '../support/sampler-helpers';

/** Logits as float32 values with ties and a wide range, as models produce. */
const logitsArb = fc.array(fc.oneof(fc.integer({ min: -40, max: 40 }).map((x) => x / 4), fc.float({ min: -30, max: 30, noNaN: true })), { minLength: 1, maxLength: 300 });
const f32 = (xs: number[]) => Float32Array.from(xs);

/** Reference probabilities in float64 with Math.exp, over float32-rounded logits. */
function softmax(xs: number[]): number[] {
  const l = Array.from(f32(xs));
  const max = Math.max(...l);
  const e = l.map((x) => Math.exp(x - max));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

/**
 * Checks a "mass prefix" cut semantically instead of token by token (near-ties may be
 * ordered either way by float rounding): survivors are a prefix by key, reach the target
 * mass, and are minimal.
 */
function checkMassPrefix(kept: number[], key: (t: number) => number, p: number[], target: number, strict: boolean, minKeep: number) {
  const keptSet = new Set(kept);
  const maxKeptKey = Math.max(...kept.map(key));
  for (let t = 0; t < p.length; t++) if (!keptSet.has(t) && p[t] > 0) assert.ok(key(t) >= maxKeptKey - 1e-6, `token ${t} with a smaller key was dropped`);
  const mass = kept.reduce((a, t) => a + p[t], 0);
  const eps = 1e-9;
  if (kept.length < p.length) assert.ok(strict ? mass > target - eps : mass >= target - eps, `mass ${mass} below ${target}`);
  if (kept.length > Math.max(1, minKeep)) {
    const withoutLast = mass - Math.min(...kept.filter((t) => key(t) >= maxKeptKey - 1e-9).map((t) => p[t]));
    assert.ok(strict ? withoutLast <= target + eps : withoutLast < target + eps, `not minimal: ${withoutLast} already passes ${target}`);
  }
}

describe('sampler properties (fast-check)', () => {
  it('survivors are non-empty and their probabilities sum to 1', () => {
    const spec = fc.oneof(
      fc.record({ type: fc.constant('top_k' as const), k: fc.integer({ min: -2, max: 50 }) }),
      fc.record({ type: fc.constant('top_p' as const), p: fc.double({ min: 0, max: 1.2, noNaN: true }) }),
      fc.record({ type: fc.constant('min_p' as const), p: fc.double({ min: 0, max: 1.5, noNaN: true }) }),
      fc.record({ type: fc.constant('typical' as const), p: fc.double({ min: 0, max: 1.2, noNaN: true }) }),
      fc.record({ type: fc.constant('temperature' as const), t: fc.double({ min: 0, max: 3, noNaN: true }) }),
    );
    fc.assert(
      fc.property(logitsArb, fc.array(spec, { maxLength: 4 }), (logits, specs) => {
        const s = survivors(specs as SamplerSpec[], logits, { logits: true });
        assert.ok(s.length >= 1);
        assert.ok(Math.abs(s.reduce((a, x) => a + x.p, 0) - 1) < 1e-9);
      }),
    );
  });

  it('top-k keeps exactly min(k, n) of the largest logits', () => {
    fc.assert(
      fc.property(logitsArb, fc.integer({ min: 1, max: 400 }), (logits, k) => {
        const kept = ids(survivors([{ type: 'top_k', k }], logits, { logits: true }));
        assert.equal(kept.length, Math.min(k, logits.length));
        const l = f32(logits);
        const minKept = Math.min(...kept.map((t) => l[t]));
        const keptSet = new Set(kept);
        for (let t = 0; t < l.length; t++) if (!keptSet.has(t)) assert.ok(l[t] <= minKept);
      }),
    );
  });

  it('top-p is the shortest most-likely prefix reaching p (histogram cut matches the sorted definition)', () => {
    fc.assert(
      fc.property(logitsArb, fc.double({ min: 0, max: 0.999, noNaN: true }), fc.integer({ min: 0, max: 5 }), (logits, p, minKeep) => {
        const kept = ids(survivors([{ type: 'top_p', p, minKeep }], logits, { logits: true }));
        const l = f32(logits);
        checkMassPrefix(kept, (t) => -l[t], softmax(logits), p, false, minKeep);
        assert.ok(kept.length >= Math.min(minKeep, logits.length));
      }),
    );
  });

  it('typical keeps tokens by closeness of surprisal to entropy until mass exceeds p', () => {
    fc.assert(
      fc.property(logitsArb, fc.double({ min: 0, max: 0.999, noNaN: true }), fc.integer({ min: 0, max: 5 }), (logits, p, minKeep) => {
        const probs = softmax(logits);
        const h = -probs.reduce((a, q) => a + (q > 0 ? q * Math.log(q) : 0), 0);
        const kept = ids(survivors([{ type: 'typical', p, minKeep }], logits, { logits: true }));
        checkMassPrefix(kept, (t) => (probs[t] > 0 ? Math.abs(-Math.log(probs[t]) - h) : Infinity), probs, p, true, minKeep);
        assert.ok(kept.length >= Math.min(minKeep, logits.length));
      }),
    );
  });

  it('the same cuts hold on a large vocabulary (the histogram path)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2000, max: 20000 }), fc.integer(), fc.double({ min: 0.05, max: 0.99, noNaN: true }), (n, seed, p) => {
        let s = seed >>> 0;
        const logits = Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 20 - 10);
        const l = f32(logits);
        const probs = softmax(logits);
        checkMassPrefix(ids(survivors([{ type: 'top_p', p }], logits, { logits: true })), (t) => -l[t], probs, p, false, 0);
        const h = -probs.reduce((a, q) => a + (q > 0 ? q * Math.log(q) : 0), 0);
        checkMassPrefix(ids(survivors([{ type: 'typical', p }], logits, { logits: true })), (t) => (probs[t] > 0 ? Math.abs(-Math.log(probs[t]) - h) : Infinity), probs, p, true, 0);
      }),
      { numRuns: 30 },
    );
  });

  it('top-k and min-p on a large vocabulary (the SIMD path) keep exactly what the definitions say', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4096, max: 40000 }), fc.integer(), fc.integer({ min: 1, max: 256 }), fc.double({ min: 0.001, max: 1, noNaN: true }), (n, seed, k, pMin) => {
        let s = seed >>> 0;
        // Coarse values (many ties) and a few large outliers, as real logits have.
        const logits = Array.from({ length: n }, () => {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          return s % 97 === 0 ? 8 + (s % 13) : Math.round(((s >>> 8) / 2 ** 24) * 200) / 10 - 10;
        });
        const l = f32(logits);
        const topk = ids(survivors([{ type: 'top_k', k }], logits, { logits: true }));
        assert.equal(topk.length, k);
        const minKept = Math.min(...topk.map((t) => l[t]));
        const keptSet = new Set(topk);
        for (let t = 0; t < n; t++) {
          if (!keptSet.has(t)) {
            assert.ok(l[t] <= minKept);
            // Ties at the boundary keep the lowest ids, as the sorted definition does.
            if (l[t] === minKept) assert.ok(topk.every((u) => l[u] > minKept || u < t));
          }
        }
        const max = Math.max(...l);
        const minp = new Set(ids(survivors([{ type: 'min_p', p: pMin }], logits, { logits: true })));
        for (let t = 0; t < n; t++) assert.equal(minp.has(t), l[t] >= max + Math.log(pMin), `token ${t}`);
      }),
      { numRuns: 40 },
    );
  });

  it('min-p keeps exactly the tokens with p ≥ p_min · p_max (at least one)', () => {
    fc.assert(
      fc.property(logitsArb, fc.double({ min: 0.001, max: 1, noNaN: true }), (logits, pMin) => {
        const l = f32(logits);
        const max = Math.max(...l);
        const kept = new Set(ids(survivors([{ type: 'min_p', p: pMin }], logits, { logits: true })));
        for (let t = 0; t < l.length; t++) {
          const expected = l[t] >= max + Math.log(pMin);
          if (Math.abs(l[t] - (max + Math.log(pMin))) > 1e-5) assert.equal(kept.has(t), expected, `token ${t}`);
        }
      }),
    );
  });

  it('order invariance: top-k and min-p commute; temperature does not change top-k', () => {
    fc.assert(
      fc.property(logitsArb, fc.integer({ min: 1, max: 50 }), fc.double({ min: 0.001, max: 1, noNaN: true }), fc.double({ min: 0.1, max: 3, noNaN: true }), (logits, k, p, t) => {
        const a = survivors([{ type: 'top_k', k }, { type: 'min_p', p }], logits, { logits: true });
        const b = survivors([{ type: 'min_p', p }, { type: 'top_k', k }], logits, { logits: true });
        assert.deepEqual(ids(a).sort(), ids(b).sort());
        const c = survivors([{ type: 'temperature', t }, { type: 'top_k', k }], logits, { logits: true });
        const d = survivors([{ type: 'top_k', k }], logits, { logits: true });
        assert.deepEqual(ids(c).sort(), ids(d).sort());
      }),
    );
  });

  it('a chain reused across steps gives the same result as a fresh one', () => {
    fc.assert(
      fc.property(fc.array(logitsArb, { minLength: 2, maxLength: 5 }), (steps) => {
        const specs: SamplerSpec[] = [{ type: 'top_k', k: 20 }, { type: 'top_p', p: 0.9 }, { type: 'min_p', p: 0.05 }, { type: 'temperature', t: 0.8 }];
        const reused = new SamplerChain(specs);
        for (const logits of steps) {
          const set = reused.apply(f32(logits));
          const got = Array.from({ length: set.size }, (_, i) => set.idAt(i)).sort();
          assert.deepEqual(got, ids(survivors(specs, logits, { logits: true })).sort());
        }
      }),
    );
  });
});
