import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_WINDOW } from '../../src/decoding/prompt-parts';
import { STRATEGY_NAMES, strategyOf } from '../../src/decoding/strategies';
import { MAX_BEAM_WIDTH } from '../../src/decoding/strategies/beam';
import {
  allSettingRules, checkSetting, confidenceMigration, controllerSettings, DEFAULTS_ONLY, describeProblem, onceEach, SETTING_RULES, strategyCallFromSettings,
  type SettingKey, type SettingProblem, type SettingsSource,
} from '../../src/host/setting-rules';

const source = (values: Record<string, unknown>): SettingsSource => ({ get: (k) => values[k], user: () => undefined });

interface ManifestProperty {
  type: string | string[]; default: unknown; minimum?: number; maximum?: number; enum?: string[]; scope?: string;
}
const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, ManifestProperty> } };
};
const properties = manifest.contributes.configuration.properties;

function problems<K extends SettingKey>(key: K, given: unknown): { value: unknown; seen: SettingProblem[] } {
  const seen: SettingProblem[] = [];
  const value = checkSetting(key, given, (p) => seen.push(p));
  return { value, seen };
}

describe('setting rules', () => {
  it('cover every setting of package.json, with its type, default and range', () => {
    const rules = allSettingRules();
    assert.deepEqual([...rules.keys()].map((k) => `tokentree.${k}`).sort(), Object.keys(properties).sort());
    for (const [key, r] of rules) {
      const p = properties[`tokentree.${key}`]!;
      assert.deepEqual(p.default, r.default, `${key} default`);
      const types = Array.isArray(p.type) ? p.type : [p.type];
      const expected = { boolean: ['boolean'], integer: ['integer'], number: ['number'], enum: ['string'], string: ['string'], strings: ['array'], 'count-or-auto': ['integer', 'string'], layers: ['integer', 'string'], gate: ['string', 'number'] }[r.kind];
      assert.deepEqual(types, expected, `${key} type`);
      if ('min' in r) assert.deepEqual([p.minimum, p.maximum], [r.min, r.max], `${key} range`);
      if (r.kind === 'enum') assert.deepEqual(p.enum, r.values, `${key} values`);
    }
  });

  it('beam width stops where the model’s branches run out', () => {
    assert.equal(properties['tokentree.beam.width']!.maximum, MAX_BEAM_WIDTH);
    const seen: SettingProblem[] = [];
    const call = strategyCallFromSettings(source({ 'beam.width': 12 }), 'beam', (p) => seen.push(p));
    assert.deepEqual(call, { name: 'beam', options: { maxTokens: 48, seed: 0, width: 8, lengthPenalty: 1 } });
    assert.deepEqual(seen, [{ key: 'tokentree.beam.width', given: 12, used: 8, why: 'it is outside 1..8' }]);
  });

  it('each strategy’s options come from its settings through its schema, checked like every setting', () => {
    const seen: SettingProblem[] = [];
    const { options } = strategyCallFromSettings(source({ 'topP.p': 1.5, 'topP.temperature': Number.NaN, 'sampling.samples': 2, maxTokens: 30 }), 'top-p', (p) => seen.push(p));
    assert.deepEqual(options, { maxTokens: 30, seed: 0, samples: 2, chain: [{ type: 'top_k', k: 40 }, { type: 'top_p', p: 1 }, { type: 'temperature', t: 0.7 }] });
    assert.deepEqual(seen.map((p) => [p.key, p.used, p.why]), [['tokentree.topP.p', 1, 'it is outside 0..1'], ['tokentree.topP.temperature', 0.7, 'it is not a number']]);
    assert.deepEqual(strategyCallFromSettings(DEFAULTS_ONLY, 'mcts').options, { maxTokens: 48, seed: 0, simulations: 6, cPuct: 1.5, rolloutDepth: 1, maxModelCalls: 400 });
    assert.deepEqual(strategyCallFromSettings(DEFAULTS_ONLY, 'greedy').options, { maxTokens: 48, seed: 0 });
  });

  it('a strategy’s setting defaults are its own defaults: settings at their defaults give the strategy’s defaults', () => {
    for (const name of STRATEGY_NAMES) {
      const fromSettings = strategyCallFromSettings(DEFAULTS_ONLY, name).options ?? {};
      const defaults = strategyOf(name).defaults as Record<string, unknown>;
      for (const [key, value] of Object.entries(fromSettings)) {
        if (key === 'maxTokens' || key === 'seed') continue;
        assert.deepEqual(value, defaults[key], `${name}.${key}`);
      }
    }
  });

  it('clamps numbers, rounds integers, and reports each correction', () => {
    assert.deepEqual(problems('maxTokens', 48), { value: 48, seen: [] });
    assert.equal(problems('maxTokens', 100000).value, 512);
    assert.equal(problems('maxTokens', 0).value, 1);
    assert.deepEqual(problems('maxTokens', 7.6).seen.map((p) => [p.used, p.why]), [[8, 'it is not a whole number']]);
    assert.deepEqual(problems('cutAtUncertain', 1.5).seen.map((p) => [p.used, p.why]), [[1, 'it is outside 0..1']]);
    assert.deepEqual(problems('cutAtUncertain', Number.NaN).seen.map((p) => [p.used, p.why]), [[0, 'it is not a number']]);
    assert.deepEqual([problems('gate', 'off').value, problems('gate', 0.3).value, problems('gate', 'auto').value], ['off', 0.3, 'auto']);
    assert.deepEqual(problems('gate', 2).seen.map((p) => [p.used, p.why]), [[1, 'it is outside 0..1']]);
    assert.deepEqual(problems('gate', 'sometimes').seen.map((p) => [p.used, p.why]), [['auto', 'it is neither a probability nor "auto" or "off"']]);
    assert.deepEqual(problems('debounceMs', '50').seen.map((p) => p.used), [120]);
  });

  it('threads: "auto" or a count from 1 to 256', () => {
    assert.deepEqual(problems('threads', 'auto'), { value: 'auto', seen: [] });
    assert.equal(problems('threads', 4).value, 4);
    assert.equal(problems('threads', 100000).value, 256);
    assert.equal(problems('threads', -1).value, 1);
    assert.deepEqual(problems('threads', 'many').seen.map((p) => p.used), ['auto']);
  });

  it('gpuLayers: "auto", "max" or a count of layers', () => {
    assert.deepEqual(problems('gpuLayers', 'max'), { value: 'max', seen: [] });
    assert.equal(problems('gpuLayers', 20).value, 20);
    assert.equal(problems('gpuLayers', -3).value, 0);
    assert.deepEqual(problems('gpuLayers', 'all').seen.map((p) => p.used), ['auto']);
  });

  it('lists, enums and booleans of the wrong kind fall back to their defaults', () => {
    assert.deepEqual(problems('languages', 'python').value, SETTING_RULES.languages.default);
    assert.deepEqual(problems('languages', ['python', 3, 'go']), {
      value: ['python', 'go'], seen: [{ key: 'tokentree.languages', given: ['python', 3, 'go'], used: ['python', 'go'], why: 'some entries are not text' }],
    });
    assert.equal(problems('strategy', 'sideways').value, 'greedy');
    assert.equal(problems('enabled', 'yes').value, true);
    assert.equal(problems('modelPath', 42).value, '');
  });

  it('describes a correction in one line, naming the setting and the value used', () => {
    const [p] = problems('maxTokens', 100000).seen;
    assert.equal(describeProblem(p!), 'TokenTree: the setting tokentree.maxTokens is 100000, but it is outside 1..512; using 512 instead.');
    const [long] = problems('strategy', 'x'.repeat(500)).seen;
    assert.ok(describeProblem(long!).length < 200);
  });

  it('a wrong setting read on every keystroke is reported once per value', () => {
    const shown: unknown[] = [];
    const report = onceEach((p) => shown.push(p.given));
    for (let i = 0; i < 5; i++) controllerSettings({ get: (k) => (k === 'candidates' ? 50 : k === 'languages' ? 'python' : undefined), user: () => undefined }, report);
    assert.deepEqual(shown, ['python', 50]);
    checkSetting('candidates', 60, report);
    assert.deepEqual(shown, ['python', 50, 60]);
  });

  it('the controller’s defaults (the CLI’s settings) are package.json’s', () => {
    const d = controllerSettings(DEFAULTS_ONLY);
    assert.equal(d.candidates, properties['tokentree.candidates']!.default);
    assert.deepEqual(d.languages, properties['tokentree.languages']!.default);
    assert.equal(d.prefixChars, properties['tokentree.context.prefixChars']!.default);
    assert.equal(d.gate, properties['tokentree.gate']!.default);
    assert.equal(DEFAULT_WINDOW.prefixChars, properties['tokentree.context.prefixChars']!.default);
    assert.equal(DEFAULT_WINDOW.suffixChars, properties['tokentree.context.suffixChars']!.default);
  });

  it('the removed confidence settings migrate: cut → cutAtUncertain, suppress → the gate', () => {
    assert.deepEqual(confidenceMigration(0.3, undefined, undefined), { cutAtUncertain: 0.3, note: 'tokentree.confidence.threshold 0.3 (mode cut) is now tokentree.cutAtUncertain' });
    assert.deepEqual(confidenceMigration(0.3, 'cut', 0.1), {}, 'an explicit cutAtUncertain wins');
    assert.match(confidenceMigration(0.3, 'suppress', undefined).note ?? '', /replaced by tokentree.gate/);
    assert.equal(confidenceMigration(0.3, 'suppress', undefined).cutAtUncertain, undefined);
    assert.deepEqual(confidenceMigration(0, 'cut', undefined), {}, 'threshold 0 was off');
    assert.deepEqual(confidenceMigration('x', 'cut', undefined), {});
  });

  it('a workspace value never reaches settings that load files or pick hardware', () => {
    for (const key of ['modelPath', 'gpu', 'gpuLayers', 'threads', 'contextSize']) assert.equal(properties[`tokentree.${key}`]!.scope, 'machine', key);
  });
});
