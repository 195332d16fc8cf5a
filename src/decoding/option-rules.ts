/**
 * Options as checked data: each strategy states what its options may be, and options that arrive
 * as data (settings, the CLI, the model process's messages) are parsed against that before a
 * strategy sees them, with a one-line error, as spec-parse.ts does for samplers.
 */

import { describeValue, quoteText } from './describe-value';
import { parseSamplerSpec } from './samplers/spec-parse';

export type OptionRule =
  | { readonly kind: 'integer' | 'number'; readonly min: number; readonly max: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'choice'; readonly values: readonly (string | boolean)[] }
  /** A sampler chain: an array of sampler specs (spec-parse.ts). */
  | { readonly kind: 'chain' }
  /** A function: given in code (a stop rule, a value function), never as data. */
  | { readonly kind: 'function' };

export type NumberRule = Extract<OptionRule, { kind: 'integer' | 'number' }>;

export const int = (min: number, max: number) => ({ kind: 'integer', min, max }) as const;
export const num = (min: number, max: number) => ({ kind: 'number', min, max }) as const;
export const choice = <const V extends readonly (string | boolean)[]>(...values: V) => ({ kind: 'choice', values }) as const;
export const FUNCTION = { kind: 'function' } as const;
export const BOOLEAN = { kind: 'boolean' } as const;
export const CHAIN = { kind: 'chain' } as const;

export type OptionRules<O> = { readonly [K in keyof O]-?: OptionRule };

export class StrategyOptionsError extends Error {
  override readonly name = 'StrategyOptionsError';
}

/** `value` checked against `rule`; throws StrategyOptionsError naming `where` and what the rule allows. */
export function parseOption(rule: OptionRule, value: unknown, where: string): unknown {
  const check = (fits: boolean, allowed: string) => {
    if (fits) return value;
    throw new StrategyOptionsError(`${where} must be ${allowed} (got ${describeValue(value)})`);
  };
  switch (rule.kind) {
    case 'integer':
    case 'number': {
      const inRange = typeof value === 'number' && Number.isFinite(value) && value >= rule.min && value <= rule.max;
      const whole = rule.kind === 'number' || Number.isInteger(value);
      return check(inRange && whole, `${rule.kind === 'integer' ? 'an integer' : 'a number'} from ${rule.min} to ${rule.max}`);
    }
    case 'boolean':
      return check(typeof value === 'boolean', 'true or false');
    case 'choice':
      return check(rule.values.includes(value as string | boolean), `one of ${rule.values.map((v) => JSON.stringify(v)).join(', ')}`);
    case 'chain':
      check(Array.isArray(value), 'a list of samplers');
      return (value as unknown[]).map((spec, i) => parseSamplerSpec(spec, `${where}[${i}]`));
    case 'function':
      return check(typeof value === 'function', 'a function');
  }
}

/** Options given as data, each checked against its rule; unknown names are refused. */
export function parseOptions<O>(rules: OptionRules<O>, value: unknown, where: string): Partial<O> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StrategyOptionsError(`${where} must be an object of options (got ${describeValue(value)})`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, given] of Object.entries(value)) {
    if (given === undefined) continue;
    const rule = (rules as Record<string, OptionRule | undefined>)[key];
    if (!rule) throw new StrategyOptionsError(`${where} has no option ${quoteText(key)}`);
    out[key] = parseOption(rule, given, `${where}.${key}`);
  }
  return out as Partial<O>;
}
