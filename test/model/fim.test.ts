import * as assert from 'node:assert/strict';
import { buildCompletionPrompt, detectFim, FIM_FAMILIES, type VocabView } from '../../src/model/fim';

/** A vocabulary of single characters plus named special tokens; tokenize = one id per char. */
function fakeVocab(specials: readonly string[], opts: { llamaFim?: [number, number, number]; bos?: number } = {}): VocabView {
  const pieces = [...specials];
  const base = pieces.length;
  const chars = new Map<string, number>();
  return {
    llamaFim: opts.llamaFim
      ? { prefix: opts.llamaFim[0], suffix: opts.llamaFim[1], middle: opts.llamaFim[2] }
      : { prefix: null, suffix: null, middle: null },
    bos: opts.bos ?? null,
    addBos: opts.bos !== undefined,
    findTokens: (spellings) => new Map(spellings.filter((s) => pieces.includes(s)).map((s) => [s, pieces.indexOf(s)])),
    tokenPiece: (id) => pieces[id] ?? '',
    tokenText: (id) => pieces[id] ?? [...chars].find(([, v]) => v === id)?.[0] ?? '',
    tokenize: (text) => [...text].map((c) => {
      if (!chars.has(c)) chars.set(c, base + chars.size);
      return chars.get(c)!;
    }),
  };
}

describe('FIM detection', () => {
  for (const family of FIM_FAMILIES) {
    it(`finds the ${family.family} spellings when llama.cpp reports none`, () => {
      const specials = [family.prefix[0]!, family.suffix[0]!, ...(family.middle ? [family.middle[0]!] : []), family.ends[0]!];
      const fim = detectFim(fakeVocab(specials));
      assert.ok(fim, 'detected');
      assert.equal(fim.family, family.family);
      assert.equal(fim.source, 'spelling');
      assert.equal(fim.prefix, 0);
      assert.equal(fim.suffix, 1);
      assert.equal(fim.middle, family.middle ? 2 : null);
      assert.ok(fim.endTokens.includes(specials.length - 1), 'family end token is an end token');
    });
  }

  it('prefers the ids llama.cpp resolved (GGUF metadata) and names the family from their text', () => {
    const vocab = fakeVocab(['<fim_prefix>', '<fim_suffix>', '<fim_middle>', '<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>'], { llamaFim: [3, 4, 5] });
    const fim = detectFim(vocab)!;
    assert.deepEqual([fim.family, fim.source, fim.prefix, fim.suffix, fim.middle], ['qwen', 'llama.cpp', 3, 4, 5]);
  });

  it('accepts metadata ids with unknown spellings as family "other"', () => {
    const fim = detectFim(fakeVocab(['<a>', '<b>', '<c>'], { llamaFim: [0, 1, 2] }))!;
    assert.equal(fim.family, 'other');
    assert.deepEqual([...fim.endTokens].sort(), [0, 1, 2]);
  });

  it('returns null without FIM tokens, and an incomplete set is not FIM', () => {
    assert.equal(detectFim(fakeVocab(['<|endoftext|>'])), null);
    assert.equal(detectFim(fakeVocab(['<|fim_prefix|>', '<|fim_suffix|>'])), null);
  });
});

describe('completion prompts', () => {
  const qwen = fakeVocab(['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', '<|endoftext|>'], { bos: 3 });
  const fim = detectFim(qwen)!;

  it('PSM: BOS, prefix marker, prefix, suffix marker, suffix, middle marker', () => {
    const p = buildCompletionPrompt(qwen, fim, 'ab', 'c', { contextSize: 64, maxNewTokens: 8 });
    const [a, b, c] = qwen.tokenize('abc');
    assert.deepEqual(p.tokens, [3, 0, a, b, 1, c, 2]);
    assert.equal(p.fim, true);
  });

  it('SPM (Codestral): suffix first and no middle marker', () => {
    const v = fakeVocab(['[PREFIX]', '[SUFFIX]', '</s>']);
    const f = detectFim(v)!;
    const p = buildCompletionPrompt(v, f, 'ab', 'c', { contextSize: 64, maxNewTokens: 8 });
    const [a, b, c] = v.tokenize('abc');
    assert.deepEqual(p.tokens, [1, c, 0, a, b]);
  });

  it('without FIM the prompt is the prefix alone and says fim: false', () => {
    const v = fakeVocab(['<|endoftext|>']);
    const p = buildCompletionPrompt(v, null, 'ab', 'cd', { contextSize: 64, maxNewTokens: 8 });
    assert.deepEqual(p.tokens, v.tokenize('ab'));
    assert.equal(p.fim, false);
  });

  it('cuts the prefix from the top and the suffix from the bottom to fit the context', () => {
    const prefix = 'abcdefghijklmnopqrstuvwxyz';
    const suffix = '0123456789';
    // room = 32 - 1 - 8 - 4 fixed = 19: suffix gets floor(19/4) = 4, the prefix the other 15.
    const p = buildCompletionPrompt(qwen, fim, prefix, suffix, { contextSize: 32, maxNewTokens: 8 });
    assert.equal(p.tokens.length, 19 + 4);
    assert.deepEqual(p.tokens.slice(2, 17), qwen.tokenize(prefix.slice(-15)));
    assert.deepEqual(p.tokens.slice(18, 22), qwen.tokenize(suffix.slice(0, 4)));
    assert.equal(p.droppedPrefixTokens, 11);
    assert.equal(p.droppedSuffixTokens, 6);
  });
});
