import { SamplerChain } from '../decoding/samplers/chain';
import { parseSamplerSpec } from '../decoding/samplers/spec-parse';
import { describeValue, quoteText } from '../decoding/describe-value';
import { CliUsageError } from './errors';

/**
 * `tokentree sample`: one JSON object in, the chain's survivors out. The contract is
 * relied on by other tools:
 *   in:  {"logits": number[]} | {"probs": number[]}, "samplers": [...], "history"?: number[]
 *   out: {"candidates": [{"token": id, "p": prob}, ...]}, renormalised over the survivors,
 *        sorted by p descending (ties: lower id first).
 */
/** Deeper JSON is refused before parsing: no sampler input nests more than a few levels. */
const MAX_JSON_DEPTH = 32;

export function runSample(inputText: string): string {
  const depth = jsonDepth(inputText);
  if (depth > MAX_JSON_DEPTH) throw new CliUsageError(`input nests ${depth > 1000 ? 'more than 1000' : depth} levels deep; at most ${MAX_JSON_DEPTH} are accepted`);
  let input: unknown;
  try {
    input = JSON.parse(inputText);
  } catch (e) {
    throw new CliUsageError(`input is not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new CliUsageError('input must be a JSON object');
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['logits', 'probs', 'samplers', 'history'].includes(key)) throw new CliUsageError(`unknown field ${quoteText(key)}`);
  }
  const logits = readScores(o);
  const samplersRaw = o.samplers ?? [];
  if (!Array.isArray(samplersRaw)) throw new CliUsageError('"samplers" must be an array');
  const specs = samplersRaw.map((s, i) => parseSamplerSpec(s, `samplers[${i}]`));
  const history = o.history ?? [];
  if (!Array.isArray(history) || !history.every((t) => Number.isInteger(t) && t >= 0)) {
    throw new CliUsageError('"history" must be an array of non-negative integer token ids');
  }
  const chain = new SamplerChain(specs);
  const set = chain.apply(logits, { history: history as number[] });
  set.softmax();
  const candidates: { token: number; p: number }[] = [];
  for (let i = 0; i < set.size; i++) candidates.push({ token: set.idAt(i), p: set.probs[i] });
  candidates.sort((a, b) => b.p - a.p || a.token - b.token);
  return JSON.stringify({ candidates });
}

function readScores(o: Record<string, unknown>): Float32Array {
  if ((o.logits === undefined) === (o.probs === undefined)) throw new CliUsageError('give exactly one of "logits" or "probs"');
  const key = o.logits !== undefined ? 'logits' : 'probs';
  const values = o[key];
  if (!Array.isArray(values) || values.length === 0) throw new CliUsageError(`"${key}" must be a non-empty array of numbers`);
  return Float32Array.from(values, (x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new CliUsageError(`${key}[${i}] must be a finite number (got ${describeValue(x)})`);
    if (key === 'logits') return x;
    if (x < 0) throw new CliUsageError(`probs[${i}] is negative`);
    return Math.log(x);
  });
}

/** How deep arrays and objects nest in a JSON text (brackets inside strings do not count), up to 1001. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let most = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > most && (most = depth) > 1000) return most;
    } else if (c === 93 || c === 125) depth--;
  }
  return most;
}
