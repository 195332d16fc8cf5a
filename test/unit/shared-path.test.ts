/**
 * The first pass of an anytime completion reads a backend's stream through PathMemo: when it stops
 * early (the stop rules, the deadline), the backend's stream must end too, since a llama-server
 * stream holds one of the server's slots until it is closed.
 */
import * as assert from 'node:assert/strict';
import type { GeneratedToken, GenerationEnd, LanguageModel } from '../../src/decoding/language-model';
import { PathMemo } from '../../src/decoding/shared-path';

describe('PathMemo', () => {
  it('ends the backend\'s stream when the first pass stops reading early', async () => {
    let closed = false;
    const scores = { ids: Int32Array.from([7]), logits: Float32Array.from([0]), logNormalizer: 0 };
    const inner = {
      vocabSize: 10,
      isEndOfGeneration: () => false,
      tokenText: () => 'x',
      detokenize: (t: readonly number[]) => 'x'.repeat(t.length),
      start: async () => ({ branch: { id: 1 }, tokens: [], next: scores }),
      fork: () => ({ id: 2 }),
      release: () => undefined,
      evaluate: async () => [scores],
      generate: () => (async function* (): AsyncGenerator<GeneratedToken, GenerationEnd> {
        try {
          for (;;) yield { token: 7, scores };
        } finally {
          closed = true;
        }
      })(),
    } as unknown as LanguageModel;
    const state = await inner.start([1], 1);
    const stream = new PathMemo(inner, state).recording().generate!({ branch: state.branch, tokens: [], topN: 1, maxTokens: 100 })!;
    await stream.next();
    await stream.next();
    assert.equal(closed, false);
    await stream.return(undefined as never);
    assert.equal(closed, true, 'the backend\'s stream was left open');
  });
});
