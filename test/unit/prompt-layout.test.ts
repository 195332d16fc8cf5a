import * as assert from 'node:assert/strict';
import { cursorWindow, partsFromText, textBeforeCursor, textLines, withInsertion, type PromptParts } from '../../src/decoding/prompt-parts';
import { detectFim, type VocabView } from '../../src/model/fim';
import { PromptLayout } from '../../src/model/prompt-layout';

/** Character-level vocabulary with named specials first (one token per character). */
function charVocab(specials: readonly string[]): VocabView {
  const ids = new Map<string, number>();
  const texts = [...specials];
  const id = (c: string) => {
    if (!ids.has(c)) {
      ids.set(c, texts.length);
      texts.push(c);
    }
    return ids.get(c)!;
  };
  return {
    llamaFim: { prefix: null, suffix: null, middle: null },
    bos: null,
    addBos: false,
    findTokens: (spellings) => new Map(spellings.filter((s) => specials.includes(s)).map((s) => [s, specials.indexOf(s)])),
    tokenPiece: (t) => texts[t] ?? '',
    tokenText: (t) => texts[t] ?? '',
    tokenize: (text) => [...text].map(id),
  };
}

const QWEN = ['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', '<|endoftext|>', '<|repo_name|>', '<|file_sep|>'];
const commonPrefix = (a: readonly number[], b: readonly number[]) => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

/** 60 numbered lines of code-like text. */
const FILE = Array.from({ length: 60 }, (_, i) => `  const value${i} = compute(${i}, "${'x'.repeat(i % 7)}");`).join('\n');

describe('prompt window (cursorWindow)', () => {
  it('puts the cursor block in the middle, whole blocks above it and whole lines after it', () => {
    const doc = textLines(FILE);
    const line = 21;
    const w = cursorWindow(doc, line, 10, { prefixChars: 400, suffixChars: 130, blockLines: 8 });
    assert.equal(w.middle, [doc.lineAt(16), doc.lineAt(17), doc.lineAt(18), doc.lineAt(19), doc.lineAt(20), doc.lineAt(21).slice(0, 10)].join('\n'));
    assert.deepEqual(w.blocks.map((b) => b.line), [8], 'blocks start at multiples of 8; the next older one would pass 400 characters');
    assert.equal(w.blocks[0]!.text, Array.from({ length: 8 }, (_, i) => doc.lineAt(8 + i) + '\n').join(''));
    assert.equal(w.suffix, [doc.lineAt(21).slice(10), doc.lineAt(22), doc.lineAt(23)].join('\n'));
    assert.ok(w.suffix.length <= 130);
  });

  it('cuts an oversized newest block at a line start, or at a character when one line is too long', () => {
    const doc = textLines(['a'.repeat(50), 'b'.repeat(50), 'c'.repeat(50), 'cursor'].join('\n'));
    const w = cursorWindow(doc, 3, 3, { prefixChars: 120, suffixChars: 10, blockLines: 3 });
    assert.deepEqual(w.blocks, [{ line: 1, text: `${'b'.repeat(50)}\n${'c'.repeat(50)}\n` }]);
    const long = textLines(['z'.repeat(500), 'x'].join('\n'));
    const l = cursorWindow(long, 1, 1, { prefixChars: 100, suffixChars: 10, blockLines: 1 });
    assert.equal(l.blocks[0]!.text, `${'z'.repeat(99)}\n`);
    assert.equal(l.blocks[0]!.line, 0);
  });

  it('partsFromText cuts a text as the editor cuts its document', () => {
    const prefix = FILE.slice(0, FILE.indexOf('value30') + 3);
    const parts = partsFromText(prefix, FILE.slice(prefix.length));
    assert.ok(prefix.endsWith(textBeforeCursor(parts)));
    assert.equal(parts.middle.split('\n').length, 30 % 8 + 1);
  });

  it('withInsertion gives the document after accepting a multi-line suggestion, and the cursor after it', () => {
    const doc = textLines('function f() {\n  return x;\n}');
    const after = withInsertion(doc, 1, 10, ' + 1;\n  // done');
    assert.deepEqual(Array.from({ length: after.document.lineCount }, (_, i) => after.document.lineAt(i)), ['function f() {', '  return x + 1;', '  // done;', '}']);
    assert.deepEqual([after.line, after.character], [2, 9]);
  });
});

describe('stable prompt layout (PromptLayout over a character vocabulary)', () => {
  const vocab = charVocab(QWEN);
  const fim = detectFim(vocab)!;
  const sizes = { contextSize: 512, maxNewTokens: 32 };

  /** Types `typed` at the end of `line` of FILE through the editor's window; the prompt after each key. */
  function typeAt(layout: PromptLayout, line: number, typed: string, blockLines = 8, prefixChars = 6000) {
    const lines = FILE.split('\n');
    let row = line;
    let col = lines[row]!.length;
    const out: { tokens: readonly number[]; topLine: number | undefined; block: number; key: string }[] = [];
    let hint: number | undefined;
    for (const key of typed) {
      if (key === '\n') {
        lines.splice(row + 1, 0, lines[row]!.slice(col));
        lines[row] = lines[row]!.slice(0, col);
        row++;
        col = 0;
      } else {
        lines[row] = lines[row]!.slice(0, col) + key + lines[row]!.slice(col);
        col++;
      }
      const parts: PromptParts = { ...cursorWindow(textLines(lines.join('\n')), row, col, { prefixChars, suffixChars: 300, blockLines }), topHint: hint };
      const prompt = layout.build(parts, sizes);
      hint = prompt.topLine;
      out.push({ tokens: prompt.tokens, topLine: prompt.topLine, block: Math.floor(row / blockLines), key });
    }
    return out;
  }

  it('typing on a line, and Enter inside a block, only appends tokens', () => {
    const prompts = typeAt(new PromptLayout(vocab, fim), 33, 'res\n  x = 1');
    for (let k = 1; k < prompts.length; k++) {
      const [a, b] = [prompts[k - 1]!.tokens, prompts[k]!.tokens];
      assert.equal(commonPrefix(a, b), a.length, `key ${k} (${JSON.stringify(prompts[k]!.key)}) rewrote the prompt`);
      assert.equal(b.length, a.length + 1);
    }
  });

  it('keeps the prompt within the context, the suffix within its share, and the markers in order', () => {
    const [p] = typeAt(new PromptLayout(vocab, fim), 40, 'r');
    assert.ok(p!.tokens.length <= sizes.contextSize - 1 - sizes.maxNewTokens);
    const at = (t: number) => p!.tokens.indexOf(t);
    assert.ok(at(fim.prefix) === 0 && at(fim.prefix) < at(fim.suffix) && at(fim.suffix) < at(fim.middle!));
    assert.ok(at(fim.middle!) - at(fim.suffix) - 1 <= Math.floor((sizes.contextSize - 1 - sizes.maxNewTokens - 3) * 0.25));
  });

  it('moves the window top only when the cursor changes block or the middle outgrows its reserved step, to a line start', () => {
    // A context that holds about 5 lines of prefix: typing 20 lines crosses blocks of 4 lines.
    const layout = new PromptLayout(vocab, fim);
    const small = { contextSize: 360, maxNewTokens: 16 };
    const step = Math.max(16, Math.floor((small.contextSize - 1 - small.maxNewTokens - 3) / 8));
    const lines: string[] = FILE.split('\n');
    let row = 30;
    let previous: { top: number | undefined; block: number; steps: number } | undefined;
    let moves = 0;
    let hint: number | undefined;
    for (let n = 0; n < 20; n++) {
      for (const key of `\n  let v${n} = ${n};`) {
        if (key === '\n') {
          lines.splice(++row, 0, '');
        } else lines[row] += key;
        const parts = { ...cursorWindow(textLines(lines.join('\n')), row, lines[row]!.length, { prefixChars: 6000, suffixChars: 100, blockLines: 4 }), topHint: hint };
        const prompt = layout.build(parts, small);
        hint = prompt.topLine;
        const block = Math.floor(row / 4);
        const steps = Math.ceil(parts.middle.length / step);
        assert.notEqual(prompt.topLine, undefined, 'the prefix starts at a line');
        if (previous && prompt.topLine !== previous.top) {
          moves++;
          assert.ok(block !== previous.block || steps > previous.steps, `the top moved from ${previous.top} to ${prompt.topLine} inside block ${block} on ${JSON.stringify(key)}`);
        }
        previous = { top: prompt.topLine, block, steps };
      }
    }
    assert.ok(moves >= 3, `the top moved ${moves} times`);
  });

  it('keeps the previous top (hysteresis) when the cursor moves up a block, while the prefix still fits', () => {
    const layout = new PromptLayout(vocab, fim);
    const small = { contextSize: 800, maxNewTokens: 16 };
    const doc = textLines(FILE);
    const below = layout.build(cursorWindow(doc, 40, 5, { prefixChars: 6000, suffixChars: 100, blockLines: 4 }), small);
    const up = cursorWindow(doc, 36, 5, { prefixChars: 6000, suffixChars: 100, blockLines: 4 });
    const fresh = layout.build(up, small);
    const hinted = layout.build({ ...up, topHint: below.topLine }, small);
    assert.ok(fresh.topLine! < below.topLine!, 'without the hint the top moves up');
    assert.equal(hinted.topLine, below.topLine, 'with it the top stays');
    assert.equal(commonPrefix(below.tokens, hinted.tokens), hinted.tokens.indexOf(fim.suffix), 'so the prefix up to the new middle is reused');
  });

  it('puts other files in the repository format where the model has it, else as labelled comments', () => {
    const extra = [{ path: 'src/b.ts', text: 'export const b = 1;' }];
    const parts: PromptParts = { ...partsFromText('const a = ', ';\n'), extra, path: 'src/a.ts', repo: 'demo', comment: '//' };
    const repo = new PromptLayout(vocab, fim).build(parts, sizes);
    const text = repo.tokens.map((t) => vocab.tokenText(t)).join('');
    assert.equal(text, '<|repo_name|>demo\n<|file_sep|>src/b.ts\nexport const b = 1;\n<|file_sep|>src/a.ts\n<|fim_prefix|><|fim_suffix|>;\n<|fim_middle|>const a = ');
    const plain = charVocab(QWEN.slice(0, 4));
    const comments = new PromptLayout(plain, detectFim(plain)).build(parts, sizes);
    assert.equal(comments.tokens.map((t) => plain.tokenText(t)).join(''), '<|fim_prefix|>// src/b.ts\nexport const b = 1;\n<|fim_suffix|>;\n<|fim_middle|>const a = ');
    const none = new PromptLayout(plain, detectFim(plain)).build({ ...parts, comment: '' }, sizes);
    assert.ok(!none.tokens.map((t) => plain.tokenText(t)).join('').includes('src/b.ts'), 'no comment syntax: no other files');
  });

  it('spm and prefix-only prompts also end with the middle', () => {
    const codestral = charVocab(['[PREFIX]', '[SUFFIX]', '</s>']);
    const parts = partsFromText('line one\nlet a = ', ';\n');
    const spm = new PromptLayout(codestral, detectFim(codestral)).build(parts, sizes);
    assert.equal(spm.tokens.map((t) => codestral.tokenText(t)).join(''), '[SUFFIX];\n[PREFIX]line one\nlet a = ');
    const bare = charVocab(['<|endoftext|>']);
    const plain = new PromptLayout(bare, null).build(parts, sizes);
    assert.equal(plain.tokens.map((t) => bare.tokenText(t)).join(''), 'line one\nlet a = ');
  });
});
