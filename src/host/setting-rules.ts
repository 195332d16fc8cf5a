import type { NumberRule } from '../decoding/option-rules';
import { STRATEGY_NAMES, strategyOf, type StrategyCall } from '../decoding/strategies';
import type { StrategyName } from '../decoding/strategy';
import type { GateSetting } from '../providers/gate-policy';
import type { ControllerSettings } from '../providers/controller-settings';
import type { RefineMode } from '../providers/refinement';

/**
 * Every `tokentree.*` setting's type, default and range, and the one place values are checked:
 * a value of the wrong type falls back to the default, a number outside its range is clamped, and
 * each correction is reported (the editor warns once per setting and value). Free of VS Code, so
 * a unit test holds the table against package.json.
 */

export type SettingRule =
  | { readonly kind: 'boolean'; readonly default: boolean }
  | { readonly kind: 'integer' | 'number'; readonly default: number; readonly min: number; readonly max: number }
  | { readonly kind: 'enum'; readonly default: string; readonly values: readonly string[] }
  | { readonly kind: 'string'; readonly default: string }
  | { readonly kind: 'strings'; readonly default: readonly string[] }
  /** A positive integer or "auto". */
  | { readonly kind: 'count-or-auto'; readonly default: 'auto'; readonly min: number; readonly max: number }
  /** A count of layers, "auto" (as many as fit) or "max" (all). */
  | { readonly kind: 'layers'; readonly default: 'auto'; readonly min: number; readonly max: number }
  /** "auto", "off", or a probability. */
  | { readonly kind: 'gate'; readonly default: 'auto'; readonly min: 0; readonly max: 1 };

const int = (def: number, min: number, max: number) => ({ kind: 'integer', default: def, min, max }) as const;
const num = (def: number, min: number, max: number) => ({ kind: 'number', default: def, min, max }) as const;

/**
 * The settings of the editor, the model and the options every strategy shares. Each strategy's
 * own settings come from its schema (`settings` beside its code): strategySettingRules().
 */
export const SETTING_RULES = {
  enabled: { kind: 'boolean', default: true },
  modelPath: { kind: 'string', default: '' },
  'server.url': { kind: 'string', default: '' },
  'server.timeoutMs': int(30000, 1000, 600000),
  gpu: { kind: 'enum', default: 'auto', values: ['auto', 'off'] },
  threads: { kind: 'count-or-auto', default: 'auto', min: 1, max: 256 },
  gpuLayers: { kind: 'layers', default: 'auto', min: 0, max: 1000 },
  contextSize: int(0, 0, 32768),
  strategy: { kind: 'enum', default: 'greedy', values: STRATEGY_NAMES },
  maxTokens: int(48, 1, 512),
  candidates: int(3, 1, 10),
  debounceMs: int(120, 0, 2000),
  timeBudgetMs: int(3000, 100, 60000),
  refine: { kind: 'enum', default: 'replace', values: ['replace', 'panel-only', 'off'] },
  firstSuggestionMs: int(500, 50, 60000),
  languages: {
    kind: 'strings',
    default: ['typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'python', 'go', 'rust', 'java', 'c', 'cpp', 'csharp', 'php', 'ruby', 'shellscript', 'json', 'css', 'html'],
  },
  autoTriggerMaxLineSuffix: int(8, 0, 1000),
  'context.otherFiles': { kind: 'boolean', default: true },
  'context.definitions': { kind: 'boolean', default: true },
  'context.budgetChars': int(3000, 0, 100000),
  'context.prefixChars': int(6000, 100, 200000),
  'context.suffixChars': int(2000, 0, 100000),
  gate: { kind: 'gate', default: 'auto', min: 0, max: 1 },
  cutAtUncertain: num(0, 0, 1),
  'acceptUntilUncertain.entropy': num(1.5, 0, 20),
  seed: int(0, 0, 2147483647),
  'codeAwareValue.weight': num(0, 0, 10),
  tokenHealing: { kind: 'boolean', default: true },
} as const satisfies Record<string, SettingRule>;

export type SettingKey = keyof typeof SETTING_RULES;

/** The strategies' settings (from their schemas) as setting rules. */
export function strategySettingRules(): Map<string, SettingRule> {
  return new Map([...strategySettings()].map(([key, s]) => [key, { kind: s.rule.kind, default: s.default, min: s.rule.min, max: s.rule.max }]));
}

/** Every `tokentree.*` setting's rule: the table above and the strategies'. */
export function allSettingRules(): Map<string, SettingRule> {
  return new Map([...Object.entries(SETTING_RULES), ...strategySettingRules()]);
}

/** A setting whose value could not be used as it was, and what was used instead. */
export interface SettingProblem {
  readonly key: string;
  readonly given: unknown;
  readonly used: unknown;
  readonly why: string;
}

type Value<R> = R extends { kind: 'boolean' } ? boolean
  : R extends { kind: 'integer' | 'number' } ? number
  : R extends { kind: 'strings' } ? readonly string[]
  : R extends { kind: 'count-or-auto' } ? number | 'auto'
  : R extends { kind: 'layers' } ? number | 'auto' | 'max'
  : R extends { kind: 'gate' } ? GateSetting
  : string;

/** The setting's value checked against its rule; `report` hears of every correction. */
export function checkSetting<K extends SettingKey>(key: K, given: unknown, report: (p: SettingProblem) => void): Value<(typeof SETTING_RULES)[K]> {
  return checkRule(key, SETTING_RULES[key], given, report) as Value<(typeof SETTING_RULES)[K]>;
}

function checkRule(key: string, rule: SettingRule, given: unknown, report: (p: SettingProblem) => void): unknown {
  const { value, why } = check(rule, given);
  if (why !== undefined) report({ key: `tokentree.${key}`, given, used: value, why });
  return value;
}

/**
 * The options of `strategy` from its settings, checked like every setting, with the options all
 * strategies share (maxTokens, seed). The schema beside the strategy says which settings and how
 * they become options.
 */
export function strategyCallFromSettings(source: SettingsSource, strategy: StrategyName, report: (p: SettingProblem) => void = () => undefined): StrategyCall {
  const values: Record<string, number> = {};
  for (const [key, s] of settingsOf(strategy)) {
    values[key] = checkRule(key, { kind: s.rule.kind, default: s.default, min: s.rule.min, max: s.rule.max }, source.get(key), report) as number;
  }
  const common = { maxTokens: checkSetting('maxTokens', source.get('maxTokens'), report), seed: checkSetting('seed', source.get('seed'), report) };
  const call = optionsFromSettings(strategy, values);
  return { ...call, options: { ...common, ...call.options } } as StrategyCall;
}

function check(rule: SettingRule, x: unknown): { value: unknown; why?: string } {
  if (x === undefined) return { value: rule.default };
  switch (rule.kind) {
    case 'boolean':
      return typeof x === 'boolean' ? { value: x } : { value: rule.default, why: 'it is not true or false' };
    case 'string':
      return typeof x === 'string' ? { value: x } : { value: rule.default, why: 'it is not text' };
    case 'enum':
      return typeof x === 'string' && rule.values.includes(x) ? { value: x } : { value: rule.default, why: `it is not one of ${rule.values.join(', ')}` };
    case 'strings':
      if (!Array.isArray(x)) return { value: rule.default, why: 'it is not a list' };
      if (!x.every((s) => typeof s === 'string')) return { value: x.filter((s): s is string => typeof s === 'string'), why: 'some entries are not text' };
      return { value: x };
    case 'layers':
      if (x === 'auto' || x === 'max') return { value: x };
      return typeof x === 'number' && Number.isFinite(x) ? clamp(Math.round(x), rule.min, rule.max, x) : { value: rule.default, why: 'it is neither a number nor "auto" or "max"' };
    case 'gate':
      if (x === 'auto' || x === 'off') return { value: x };
      return typeof x === 'number' && Number.isFinite(x) ? clamp(x, rule.min, rule.max, x) : { value: rule.default, why: 'it is neither a probability nor "auto" or "off"' };
    case 'count-or-auto':
      if (x === 'auto') return { value: x };
      return typeof x === 'number' && Number.isFinite(x) ? clamp(Math.round(x), rule.min, rule.max, x) : { value: rule.default, why: 'it is neither a number nor "auto"' };
    case 'integer':
    case 'number':
      if (typeof x !== 'number' || !Number.isFinite(x)) return { value: rule.default, why: 'it is not a number' };
      return clamp(rule.kind === 'integer' ? Math.round(x) : x, rule.min, rule.max, x);
  }
}

function clamp(v: number, min: number, max: number, given: number): { value: number; why?: string } {
  const value = Math.min(max, Math.max(min, v));
  if (value === given) return { value };
  return { value, why: value !== v ? `it is outside ${min}..${max}` : 'it is not a whole number' };
}

/** The warning a person sees, once per setting and value. */
export function describeProblem(p: SettingProblem): string {
  return `TokenTree: the setting ${p.key} is ${JSON.stringify(p.given)?.slice(0, 60) ?? String(p.given)}, but ${p.why}; using ${JSON.stringify(p.used)} instead.`;
}

/** Passes each problem on once per setting and value: a wrong setting is read on every keystroke. */
export function onceEach(show: (p: SettingProblem) => void): (p: SettingProblem) => void {
  const seen = new Set<string>();
  return (p) => {
    const key = `${p.key}=${JSON.stringify(p.given)}`;
    if (seen.has(key)) return;
    seen.add(key);
    show(p);
  };
}

/** Where settings come from: the effective value, and the user's own for settings that load files or pick hardware. */
export interface SettingsSource {
  get(key: string): unknown;
  /** The value from the user's settings alone (never a workspace's). */
  user(key: string): unknown;
}

/** No settings at all: every default (the CLI). */
export const DEFAULTS_ONLY: SettingsSource = { get: () => undefined, user: () => undefined };

/** The completion controller's settings, checked. */
export function controllerSettings(source: SettingsSource, report: (p: SettingProblem) => void = () => undefined): ControllerSettings {
  const v = <K extends SettingKey>(key: K) => checkSetting(key, source.get(key), report);
  return {
    enabled: v('enabled'),
    languages: v('languages'),
    candidates: v('candidates'),
    autoTriggerMaxLineSuffix: v('autoTriggerMaxLineSuffix'),
    timeBudgetMs: v('timeBudgetMs'),
    refine: v('refine') as RefineMode,
    firstSuggestionMs: v('firstSuggestionMs'),
    otherFiles: v('context.otherFiles'),
    contextBudgetChars: v('context.budgetChars'),
    definitions: v('context.definitions'),
    prefixChars: v('context.prefixChars'),
    suffixChars: v('context.suffixChars'),
    cutAtUncertain: v('cutAtUncertain'),
    gate: v('gate'),
  };
}

/**
 * What the removed `tokentree.confidence.threshold` / `.mode` become at one settings level: a
 * threshold with mode `cut` (its default) becomes `cutAtUncertain` unless that is set there
 * already; mode `suppress` gives way to `tokentree.gate`, which only needs saying.
 */
export function confidenceMigration(threshold: unknown, mode: unknown, cutAtUncertain: unknown): { cutAtUncertain?: number; note?: string } {
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) return {};
  if (mode === 'suppress') return { note: 'tokentree.confidence.mode "suppress" is replaced by tokentree.gate ("auto" by default): a predictor calibrated for the model decides which suggestions to show' };
  if (cutAtUncertain !== undefined) return {};
  return { cutAtUncertain: threshold, note: `tokentree.confidence.threshold ${threshold} (mode cut) is now tokentree.cutAtUncertain` };
}

/** A strategy setting's rule and default, resolved (an option's setting takes the option's rule and default). */
export interface ResolvedSetting {
  readonly rule: NumberRule;
  readonly default: number;
}

/** Every `tokentree.*` setting the strategies read (without the prefix), resolved; shared keys resolve once. */
function strategySettings(): Map<string, ResolvedSetting> {
  const out = new Map<string, ResolvedSetting>();
  for (const name of STRATEGY_NAMES) {
    for (const [key, resolved] of settingsOf(name)) out.set(key, resolved);
  }
  return out;
}

export function settingsOf(name: StrategyName): Map<string, ResolvedSetting> {
  const strategy = strategyOf(name);
  const rules = strategy.rules as Record<string, { kind: string } | undefined>;
  const defaults = strategy.defaults as Record<string, unknown>;
  const out = new Map<string, ResolvedSetting>();
  for (const [key, setting] of Object.entries(strategy.settings.keys)) {
    if (typeof setting !== 'string') {
      out.set(key, setting);
      continue;
    }
    const rule = rules[setting];
    if (!rule || (rule.kind !== 'integer' && rule.kind !== 'number') || typeof defaults[setting] !== 'number') {
      throw new Error(`${name}: setting ${key} names option ${setting}, which is not a number option with a default`);
    }
    out.set(key, { rule: rule as NumberRule, default: defaults[setting] as number });
  }
  return out;
}

/** The strategy's options from its settings' values (checked by the caller). */
export function optionsFromSettings(name: StrategyName, values: Readonly<Record<string, number>>): StrategyCall {
  const { settings } = strategyOf(name);
  const options = settings.toOptions
    ? settings.toOptions(values)
    : Object.fromEntries(Object.entries(settings.keys).map(([key, option]) => [String(option), values[key]]));
  return { name, options } as StrategyCall;
}
