import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_WINDOW } from '../../src/decoding/prompt-parts';
import { CONTROLLER_SETTING_KEYS, DEFAULT_CONTROLLER_SETTINGS } from '../../src/providers/controller-settings';

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default: unknown }> } };
};
const defaults = (key: string) => manifest.contributes.configuration.properties[`tokentree.${key}`]?.default;

describe('controller settings', () => {
  it('the defaults the CLI uses are package.json’s', () => {
    for (const [field, key] of Object.entries(CONTROLLER_SETTING_KEYS)) {
      assert.deepEqual(DEFAULT_CONTROLLER_SETTINGS[field as keyof typeof CONTROLLER_SETTING_KEYS], defaults(key), `tokentree.${key}`);
    }
    assert.equal(DEFAULT_WINDOW.prefixChars, defaults('context.prefixChars'));
    assert.equal(DEFAULT_WINDOW.suffixChars, defaults('context.suffixChars'));
  });
});
