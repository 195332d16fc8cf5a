/** The preset models: FIM-capable GGUFs from repositories llama.cpp's or llama.vscode's lists name. */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_PRESETS } from '../../src/models/presets';

describe('model presets', () => {
  const uris = MODEL_PRESETS.map((p) => p.uri);

  it('offer no Codestral (no FIM tokens llama.cpp finds; non-production licence)', () => {
    assert.ok(!MODEL_PRESETS.some((p) => /codestral/i.test(p.id + p.name + p.uri)), uris.join('\n'));
  });

  it('take StarCoder2 3B from second-state, and offer the 14B and 30B-A3B from ggml-org', () => {
    assert.ok(uris.includes('hf:second-state/StarCoder2-3B-GGUF:Q8_0'));
    assert.ok(uris.includes('hf:ggml-org/Qwen2.5-Coder-14B-Q8_0-GGUF:Q8_0'));
    assert.ok(uris.includes('hf:ggml-org/Qwen3-Coder-30B-A3B-Instruct-Q8_0-GGUF:Q8_0'));
  });

  it('say in the source where each repository was checked', () => {
    const source = readFileSync(join(__dirname, '..', '..', 'src', 'models', 'presets.ts'), 'utf8');
    const header = source.slice(0, source.indexOf('export interface'));
    for (const p of MODEL_PRESETS) {
      const user = p.uri.slice(3, p.uri.indexOf('/'));
      assert.ok(header.includes(user), `${user} (${p.id}) is not in the header comment`);
    }
  });
});
