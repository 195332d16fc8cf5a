import { SamplerSpecError, type SamplerSpec } from './chain';
import { describeValue, quoteText } from '../describe-value';

/** Validates untrusted JSON (CLI input, settings) into a sampler spec, or throws a one-line reason. */
export function parseSamplerSpec(value: unknown, where = 'sampler'): SamplerSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SamplerSpecError(`${where} must be an object with a "type"`);
  }
  const o = value as Record<string, unknown>;
  const num = (key: string, check: (x: number) => boolean, rule: string): number => {
    const x = o[key];
    if (typeof x !== 'number' || !Number.isFinite(x) || !check(x)) {
      throw new SamplerSpecError(`${where}.${key} must be ${rule} (got ${describeValue(x)})`);
    }
    return x;
  };
  const any = () => true;
  const known = (keys: string[]) => {
    for (const key of Object.keys(o)) {
      if (key !== 'type' && !keys.includes(key)) throw new SamplerSpecError(`${where} has an unknown field ${quoteText(key)}`);
    }
  };
  switch (o.type) {
    case 'temperature':
      known(['t']);
      return { type: 'temperature', t: num('t', any, 'a finite number') };
    case 'top_k':
      known(['k']);
      return { type: 'top_k', k: num('k', Number.isInteger, 'an integer') };
    case 'top_p':
    case 'min_p':
    case 'typical': {
      known(['p', 'minKeep']);
      const p = num('p', any, 'a finite number');
      if (o.minKeep === undefined) return { type: o.type, p };
      return { type: o.type, p, minKeep: num('minKeep', (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer') };
    }
    case 'penalties':
      known(['lastN', 'repeat', 'frequency', 'presence']);
      return {
        type: 'penalties',
        lastN: num('lastN', (x) => Number.isInteger(x) && x >= -1, 'an integer ≥ -1 (-1: whole history)'),
        repeat: num('repeat', (x) => x > 0, 'a number > 0'),
        frequency: num('frequency', any, 'a finite number'),
        presence: num('presence', any, 'a finite number'),
      };
    default:
      throw new SamplerSpecError(
        `${where}.type must be one of temperature, top_k, top_p, min_p, typical, penalties (got ${describeValue(o.type)})`,
      );
  }
}
