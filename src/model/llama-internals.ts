/**
 * Every use of node-llama-cpp internals (pinned at 3.22.1) is in this file, each feature-detected
 * with a public-API fallback:
 *
 * - `_copyStateFromOtherSequence`: llama.cpp's sequence copy, so a fork shares the evaluated prefix.
 *   Fallback: replay the source's tokens into the target (after what the target already shares).
 * - `_decodeTokens` + the context's `sampleToken`: decode through node-llama-cpp's batching
 *   dispatcher, then read the logits with native samplers: a greedy one that also returns
 *   Σ exp(logit - max) over the whole vocabulary (O(V), no sort), which alone answers a top-1,
 *   and for a top-N a top-k one whose partial sort returns the top N (O(V log N)).
 *   The public `controlledEvaluate` reads each position once, and its top list sorts the whole
 *   vocabulary at every step. Fallback: `controlledEvaluate` with that full sort (correct, slower).
 *   The same pair reads the positions of a drafted continuation one after another in node-llama-cpp's
 *   mapper chain, stopping at the first refused draft (decodeEach); the fallback reads them all.
 *   See bench/branch.ts and tools/bench-backend.ts for the measured costs.
 */

import type { ControlledEvaluateInputItem, LlamaContext, LlamaContextSequence, Token } from 'node-llama-cpp';
import type { NextTokenScores } from '../decoding/language-model';
import { ContextOverflowError, ModelError, NoGenerationHeadError } from './errors';
import { scoresFromFull, scoresFromTop } from './scores';

type LogitsFilter = boolean | [tokens: number[], includeMax: boolean, includeMin: boolean, includeSelected: boolean, includeTop: number];
type SampleResult = [token: number, probabilities: unknown, confidence: unknown, logits: number[] | undefined, totalLogitWeight: number | undefined];

export interface AddonSampler {
  applyConfig(config: Record<string, number>): void;
  dispose(): void;
}
export interface AddonContext {
  sampleToken(index: number, sampler: AddonSampler, probabilities: boolean, confidence: boolean, logits: LogitsFilter, totalLogitWeight: boolean): Promise<SampleResult>;
}
/** The internals as declared here, for the benchmark that takes a step apart (bench/branch-step.ts). */
export interface ContextInternals {
  _ctx?: AddonContext;
  _llama?: { _bindings?: { AddonSampler?: new (model: unknown) => AddonSampler } };
  _model?: { _model?: unknown };
}
type ContextShift = { size: number; strategy: () => never };
export interface SequenceInternals {
  _decodeTokens?(tokens: number[], logits: boolean[], priority: number, meter: unknown, shift: ContextShift, mapper: (batchLogitIndex: number) => Promise<unknown>): Promise<unknown[]>;
  _tokenMeter?: unknown;
  _copyStateFromOtherSequence?(other: LlamaContextSequence, upToTokenIndex: number): Promise<boolean | undefined>;
}

/** A branch must never be shifted silently: that would change its meaning under the engine's feet. */
const noContextShift: ContextShift = {
  size: 1,
  strategy: () => {
    throw new ContextOverflowError('A branch reached the end of the context; use a larger context or fewer tokens.');
  },
};

/** What SequenceDriver.decodeEach read, and how long the decode itself took. */
export interface DecodedEach {
  readonly read: NextTokenScores[];
  readonly decodeMs: number;
}

export interface SequenceDriver {
  /** 'direct': two native samplers per position; 'public': controlledEvaluate. */
  readonly scoring: 'direct' | 'public';
  /** 'native': llama.cpp sequence copy; 'replay': re-evaluate tokens. */
  readonly copying: 'native' | 'replay';
  /** Appends tokens; scores for the next token when topN > 0 (Infinity or ≥ vocabulary: all logits). */
  decode(seq: LlamaContextSequence, tokens: readonly number[], topN: number): Promise<NextTokenScores | undefined>;
  /**
   * Appends tokens in one decode and reads the scores after each of them from index `from` on, in
   * order, while `more` answers true for what was read (a drafted continuation checked against the
   * model's own picks): the scores read, at least one. The direct path reads no position after the
   * first refused; the public one reads them all and returns the same. `decodeMs`: the decode's own
   * time, reads excluded where the path can tell them apart (the direct one).
   */
  decodeEach(seq: LlamaContextSequence, tokens: readonly number[], topN: number, from: number, more: (scores: NextTokenScores) => boolean): Promise<DecodedEach>;
  /** Makes `target` hold `source`'s state; returns how many tokens were re-evaluated (0 when copied). */
  copy(target: LlamaContextSequence, source: LlamaContextSequence): Promise<number>;
  dispose(): void;
}

/** `sample` is any sequence of `context`; it is only inspected for the internals. */
export function createDriver(
  context: LlamaContext, sample: LlamaContextSequence, vocabSize: number,
  prefer: { scoring: 'direct' | 'public'; copying: 'native' | 'replay' },
): SequenceDriver {
  const internals = context as unknown as ContextInternals;
  const probe = sample as unknown as SequenceInternals;
  const canCopy = prefer.copying === 'native' && typeof probe._copyStateFromOtherSequence === 'function';
  const AddonSampler = internals._llama?._bindings?.AddonSampler;
  const canScore = prefer.scoring === 'direct' && typeof probe._decodeTokens === 'function' && internals._ctx !== undefined
    && typeof internals._ctx.sampleToken === 'function' && AddonSampler !== undefined && internals._model?._model !== undefined;
  const pool = canScore ? new SamplerPool(() => new AddonSampler!(internals._model!._model)) : undefined;
  const decodeEach: SequenceDriver['decodeEach'] = (seq, tokens, topN, from, more) => (pool
    ? decodeEachDirect(seq, internals._ctx!, pool, tokens, topN, from, more, vocabSize)
    : decodeEachPublic(seq, tokens, topN, from, more, vocabSize));
  return {
    scoring: pool ? 'direct' : 'public',
    copying: canCopy ? 'native' : 'replay',
    decode: async (seq, tokens, topN) => {
      // One decode that reads the last position only (none for topN ≤ 0).
      const { read } = await decodeEach(seq, tokens, Math.max(1, topN), topN > 0 ? tokens.length - 1 : tokens.length, () => false);
      return read[0];
    },
    decodeEach,
    copy: (target, source) => copyState(target, source, canCopy),
    dispose: () => pool?.dispose(),
  };
}

async function copyState(target: LlamaContextSequence, source: LlamaContextSequence, native: boolean): Promise<number> {
  const length = source.nextTokenIndex;
  if (native) {
    const ok = await (target as unknown as SequenceInternals)._copyStateFromOtherSequence!(source, length);
    if (ok === true && target.nextTokenIndex === length) return 0;
    // A refused copy (e.g. a sliding-window cache that no longer holds the start) may leave the
    // token record claiming the source's tokens over a partial KV state: start from empty.
    if (target.nextTokenIndex > 0) await target.eraseContextTokenRanges([{ start: 0, end: target.nextTokenIndex }]);
  }
  // Replay: keep what the target already shares with the source, evaluate the rest.
  const tokens = source.contextTokens;
  const shared = target.compareContextTokens(tokens).firstDifferentIndex;
  if (shared < target.nextTokenIndex) await target.eraseContextTokenRanges([{ start: shared, end: target.nextTokenIndex }]);
  const rest = tokens.slice(shared);
  if (rest.length > 0) await target.evaluateWithoutGeneratingNewTokens(rest, { contextShift: noContextShift });
  return rest.length;
}

/** Native samplers hold a vocabulary-sized buffer each and must not run two samples at once. */
class SamplerPool {
  private readonly idle: { sampler: AddonSampler; config: string }[] = [];
  private readonly waiting: (() => void)[] = [];
  private created = 0;
  constructor(private readonly create: () => AddonSampler, private readonly max = 8) {}

  async use<T>({ config, key }: SamplerConfig, run: (s: AddonSampler) => Promise<T>): Promise<T> {
    let entry = this.take(key);
    while (entry === undefined) {
      if (this.created < this.max) {
        this.created++;
        entry = { sampler: this.create(), config: '' };
      } else {
        await new Promise<void>((resolve) => this.waiting.push(resolve));
        entry = this.take(key);
      }
    }
    try {
      // Reconfiguring rebuilds the native chain, so samplers are matched to configs where possible.
      if (entry.config !== key) {
        entry.sampler.applyConfig(config);
        entry.config = key;
      }
      return await run(entry.sampler);
    } finally {
      this.idle.push(entry);
      this.waiting.shift()?.();
    }
  }

  private take(key: string): { sampler: AddonSampler; config: string } | undefined {
    const i = this.idle.findIndex((e) => e.config === key);
    if (i >= 0) return this.idle.splice(i, 1)[0];
    return this.created >= this.max ? this.idle.pop() : undefined;
  }

  dispose(): void {
    for (const e of this.idle.splice(0)) e.sampler.dispose();
  }
}

/** A sampler chain's settings with the key the pool matches samplers by, made once per chain. */
interface SamplerConfig {
  readonly config: Record<string, number>;
  readonly key: string;
}
const samplerConfig = (config: Record<string, number>): SamplerConfig => ({ config, key: JSON.stringify(config) });
const GREEDY = samplerConfig({ temperature: 0 });
const topKConfigs = new Map<number, SamplerConfig>();
/** temperature 1 leaves the logits as they are; the seed only fixes the sampler's unused draw. */
const topK = (n: number) => topKConfigs.get(n) ?? topKConfigs.set(n, samplerConfig({ temperature: 1, topK: n, seed: 1 })).get(n)!;

/**
 * Native reads of one position's logits. A top-1 takes one: the greedy sampler's pick is the
 * largest logit, so with Σ exp(logit - max) (one O(V) pass, no sort) its log-probability is
 * -log Σ, with no second read for the logit itself. A top-N takes two, run side by side on
 * libuv's pool: that greedy read for Σ, and a top-k sampler whose partial sort yields the top N
 * sorted, the max first (node-llama-cpp sums totalLogitWeight after the chain, so a top-k read's
 * own sum covers only the top N). bench:branch times each read at 151,936 tokens.
 */
async function scoreAt(ctx: AddonContext, pool: SamplerPool, index: number, topN: number, vocabSize: number): Promise<NextTokenScores> {
  if (topN >= vocabSize) {
    const [, , , pairs] = await pool.use(GREEDY, (s) => ctx.sampleToken(index, s, false, false, true, false));
    return scoresFromFull(pairs ?? [], vocabSize);
  }
  const n = Math.max(1, Math.floor(topN));
  if (n === 1) {
    const [token, , , , sumExp] = await pool.use(GREEDY, (s) => ctx.sampleToken(index, s, false, false, false, true));
    if (!(token >= 0)) throw new ModelError('llama.cpp picked no token at this position');
    return scoresFromTop([token, 0], 0, sumExp ?? NaN);
  }
  const norm = pool.use(GREEDY, (s) => ctx.sampleToken(index, s, false, false, false, true));
  const top = pool.use(topK(n), (s) => ctx.sampleToken(index, s, false, false, [[], false, false, false, n], false));
  const [[, , , , sumExp], [, , , pairs]] = await Promise.all([norm, top]);
  const flat = pairs ?? [];
  return scoresFromTop(flat, flat[1] ?? NaN, sumExp ?? NaN);
}

async function decodeEachDirect(
  seq: LlamaContextSequence, ctx: AddonContext, pool: SamplerPool, tokens: readonly number[], topN: number, from: number,
  more: (scores: NextTokenScores) => boolean, vocabSize: number,
): Promise<DecodedEach> {
  const internals = seq as unknown as SequenceInternals;
  const read: NextTokenScores[] = [];
  const began = performance.now();
  let decodeMs = NaN;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  // node-llama-cpp runs one sequence's mappers one after another, in token order, before the next
  // decode: a position after a refused one is skipped without a native read.
  const mapper = async (index: number): Promise<undefined> => {
    if (Number.isNaN(decodeMs)) decodeMs = performance.now() - began;
    if (stopped) return undefined;
    try {
      const scores = await scoreAt(ctx, pool, index, topN, vocabSize);
      read.push(scores);
      stopped = !more(scores);
    } catch (err) {
      // A rejected mapper would leave node-llama-cpp's decode promise pending forever: keep it.
      failure = { error: err };
      stopped = true;
    }
    return undefined;
  };
  await internals._decodeTokens!([...tokens], tokens.map((_, i) => i >= from), 5, internals._tokenMeter, noContextShift, mapper);
  if (failure !== undefined) throw translate(failure.error);
  if (read.length === 0 && from < tokens.length) throw new ModelError('llama.cpp returned no logits for the last token');
  return { read, decodeMs };
}

async function decodeEachPublic(
  seq: LlamaContextSequence, tokens: readonly number[], topN: number, from: number, more: (scores: NextTokenScores) => boolean, vocabSize: number,
): Promise<DecodedEach> {
  const generateNext = publicRead(topN, vocabSize);
  const began = performance.now();
  const input = tokens.map((t, i): ControlledEvaluateInputItem => (i >= from ? [t as Token, { generateNext }] : t as Token));
  let out;
  try {
    out = await seq.controlledEvaluate(input, { contextShift: noContextShift });
  } catch (err) {
    throw translate(err);
  }
  const read: NextTokenScores[] = [];
  for (let i = from; i < tokens.length; i++) {
    const scores = publicScores(out[i]?.next, topN, vocabSize);
    read.push(scores);
    if (!more(scores)) break;
  }
  return { read, decodeMs: performance.now() - began };
}

/** What controlledEvaluate reads at a position for a top N. */
function publicRead(topN: number, vocabSize: number) {
  const n = Math.max(1, Math.floor(topN));
  // With the default greedy sampler a top list sorts the whole vocabulary; a top-1 can avoid it.
  const filter = n === 1 ? { tokens: [] as Token[], includeSelected: true } : { tokens: [] as Token[], includeTop: n };
  return { token: true, totalLogitWeight: true, options: { temperature: 0 }, logits: topN >= vocabSize ? true : { filter } } as const;
}

function publicScores(next: { logits?: Iterable<[Token, number]>; totalLogitWeight?: number } | undefined, topN: number, vocabSize: number): NextTokenScores {
  if (next?.logits === undefined) throw new ModelError('llama.cpp returned no logits for the last token');
  const flat: number[] = [];
  for (const [id, logit] of next.logits) flat.push(id, logit);
  if (topN >= vocabSize) return scoresFromFull(flat, vocabSize);
  return scoresFromTop(flat, flat[1] ?? NaN, next.totalLogitWeight ?? NaN);
}

function translate(err: unknown): unknown {
  if (err instanceof Error && /does not support token generation/.test(err.message)) {
    return new NoGenerationHeadError('the loaded model', 'llama.cpp produced no logits for it');
  }
  return err;
}
