import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NextTokenScores } from '../../src/decoding/language-model';
import { loadModel, type LoadedModel, type LoadModelOptions } from '../../src/model/load';

/** The built-in model; TOKENTREE_TEST_MODEL runs the backend suite against another GGUF. */
export const TEST_MODEL = process.env.TOKENTREE_TEST_MODEL ?? join(__dirname, '..', '..', 'models', 'tokentree-builtin.gguf');

export function requireTestModel(): void {
  if (!existsSync(TEST_MODEL)) {
    throw new Error(`The backend tests need ${TEST_MODEL}; build it with the model tools (see README) or set TOKENTREE_TEST_MODEL.`);
  }
}

/** Small and single-threaded so the suite stays fast on 2 shared cores. */
export function loadTestModel(options: Partial<LoadModelOptions> = {}): Promise<LoadedModel> {
  return loadModel({ modelPath: TEST_MODEL, threads: 1, contextSize: 256, maxBranches: 6, ...options });
}

export const logProbs = (s: NextTokenScores): number[] => [...s.logits].map((l) => l - s.logNormalizer);

export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Infinity;
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
}

/** An AbortSignal that reports "aborted" from its n-th look on: cancellation at a chosen point. */
export function abortAfterChecks(n: number): AbortSignal {
  let looks = 0;
  return { get aborted() { return ++looks > n; }, reason: undefined } as unknown as AbortSignal;
}
