/**
 * Definitions on the typing path, on a real model: a pause folds them into the prompt and the
 * model's cache, and the keys typed after it still evaluate only what was typed.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { replayTyping } from '../../src/cli/type';
import { cliDefinitionSource } from '../../src/context/cli-definitions';
import type { DefinitionContext } from '../../src/context/definition-context';
import { loadModel } from '../../src/model/load';
import { modelsPath, FIXTURE_MODEL_FILE } from '../../src/model/builtin';

describe('definitions while typing (fixture model)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tt-defs-typing-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'tsconfig.json'), '{"compilerOptions":{"strict":true}}');
    writeFileSync(join(dir, 'src', 'types.ts'), '/** A customer order. */\nexport interface Order {\n  id: string;\n  quantity: number;\n  unitPrice: number;\n}\n');
    writeFileSync(join(dir, 'src', 'main.ts'), "import type { Order } from './types';\n\nexport function cost(order: Order): number {\n  return 0;\n}\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a pause puts the signature\'s interface in the prompt; later keys evaluate a token or two', async () => {
    const model = await loadModel({ modelPath: modelsPath(FIXTURE_MODEL_FILE) });
    const file = join(dir, 'src', 'main.ts');
    const inner = cliDefinitionSource(file);
    const found: DefinitionContext[] = [];
    const definitions = { resolve: async (...args: Parameters<typeof inner.resolve>) => {
      const d = await inner.resolve(...args);
      found.push(d);
      return d;
    } };
    try {
      const typed = '\n  const total = order.unitPrice * order.quantity;';
      const report = await replayTyping(model, {
        text: "import type { Order } from './types';\n\nexport function cost(order: Order): number {\n  return 0;\n}\n",
        path: relative(process.cwd(), file), languageId: 'typescript', segments: [{ line: 2, character: 44, typed }],
        strategy: 'greedy', maxTokens: 8, seed: 1, definitions, idleMs: 50, pauseAfterFirstKeyMs: 400,
      });
      assert.ok(found.some((d) => d.chunks.some((c) => c.path === 'src/types.ts' && c.text.includes('export interface Order'))), JSON.stringify(found));
      const keys = report.keystrokes;
      const before = keys[0]!.promptTokens;
      const after = keys.slice(1).filter((k) => !k.cached);
      assert.ok(after.length > 5);
      // The interface and its file label are in every prompt after the pause.
      assert.ok(after.every((k) => k.promptTokens > before + 10), keys.map((k) => k.promptTokens).join(' '));
      // Typing on evaluates what was typed: the prompt with the definitions was evaluated while idle.
      const evaluated = after.map((k) => k.promptTokensEvaluated).sort((a, b) => a - b);
      assert.ok(evaluated[Math.floor(evaluated.length / 2)]! <= 2, evaluated.join(' '));
    } finally {
      inner.dispose();
      await model.dispose();
    }
  });
});
