/**
 * The stop rule's per-step text and scan (src/decoding/path-stop.ts) against the whole path
 * detokenized and scanned from the start, through real tokenizers: byte-level BPE (Qwen2.5-Coder,
 * DeepSeek-Coder), SentencePiece with byte fallback and a leading-space prefix (Llama), and the
 * built-in model's. Paths are real code and random tokens (unfinished UTF-8 characters, spaces
 * a tokenizer cleans up), each token a new step as a strategy makes them.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LlamaModel } from 'node-llama-cpp';
import { extendText, pathStopped } from '../../src/decoding/path-stop';
import { isCompleteFor, stopContextAt } from '../../src/decoding/stop-rules';
import type { TokenStep } from '../../src/decoding/strategy';
import type { LanguageModel } from '../../src/decoding/language-model';
import { createRng } from '../../src/decoding/rng';
import { getRuntime } from '../../src/model/llama-runtime';
import { llamaVocabFile } from '../../tools/model/real-shape';
import { TEST_MODEL } from './backend-fixtures';

const CODE = readFileSync(join(__dirname, '..', '..', 'examples', 'stack.ts'), 'utf8') + '\n// naïve “quotes” — 日本語のコメント 🙂 and ü\n';

const step = (token: number): TokenStep => ({ token, text: '', logprob: 0, entropy: 0, varentropy: 0, alternatives: [] });

for (const [name, file] of [
  ['Qwen2.5-Coder (byte-level BPE)', () => llamaVocabFile('qwen2')],
  ['DeepSeek-Coder (byte-level BPE)', () => llamaVocabFile('deepseek-coder')],
  ['Llama (SentencePiece, byte fallback)', () => llamaVocabFile('llama-spm')],
  ['the built-in model', () => TEST_MODEL],
] as const) {
  describe(`the stop rule's per-step text and scan equal the whole path's (${name})`, function () {
    this.timeout(300_000);
    let model: LlamaModel;
    let lm: Pick<LanguageModel, 'detokenize'>;
    before(async () => {
      const { llama } = await getRuntime(false);
      model = await llama.loadModel({ modelPath: file(), vocabOnly: true });
      lm = { detokenize: (tokens) => model.detokenize(tokens as never[], false) };
    });
    after(async () => model?.dispose());

    const paths = (): number[][] => {
      const code = model.tokenize(CODE) as number[];
      const rng = createRng(7);
      const vocab = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
      const random = Array.from({ length: 200 }, () => Math.floor(rng() * vocab));
      // Byte tokens next to each other, as a model emits an unfinished character's pieces.
      const bytes = model.tokenize('日本語 🙂 ü “x”') as number[];
      return [code.slice(0, 400), random, [...bytes, ...random.slice(0, 20), ...bytes]];
    };

    it('text: each step from the one before equals detokenize of the whole path', () => {
      for (const tokens of paths()) {
        const steps = tokens.map(step);
        let entry: ReturnType<typeof extendText> | undefined;
        for (let n = 1; n <= steps.length; n++) {
          entry = extendText(lm as LanguageModel, steps, n, entry);
          assert.equal(entry.text, lm.detokenize(tokens.slice(0, n)), `after ${n} tokens`);
        }
      }
    });

    it('stop rule: resumed per step, it decides as a scan of the whole text does', () => {
      for (const [prefix, suffix] of [['  const x = ', '\n'], ['export class A {\n  ', '\n}\n'], ['    if (', ') {\n'], ['', '']]) {
        const stop = stopContextAt(prefix!, suffix!, suffix!);
        for (const tokens of paths()) {
          const rule = isCompleteFor(stop);
          const steps = tokens.map(step);
          for (let n = 1; n <= Math.min(steps.length, 150); n++) {
            const whole = rule(lm.detokenize(tokens.slice(0, n)));
            assert.equal(pathStopped(lm as LanguageModel, rule, steps.slice(0, n)), whole, `${JSON.stringify(prefix)}: after ${n} tokens`);
          }
        }
      }
    });
  });
}
