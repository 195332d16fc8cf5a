import { Distribution } from '../distribution';
import { createRng, deriveSeed, type Rng } from '../rng';
import { SamplerChain, type SamplerSpec } from '../samplers/chain';
import type { Branch, NextTokenScores } from '../language-model';
import { CHAIN, int, num } from '../option-rules';
import type { Candidate, CommonOptions, FinishReason, Strategy, StrategyName, TokenStep } from '../strategy';
import { describeStep, endAfterStep, followGeneration, makeCandidate, meteredDecode, topNFor } from './paths';
import type { MeteredModel } from '../metered-model';

export interface SamplingOptions {
  /** Independent samples; all are stepped together in one model call per token. */
  readonly samples: number;
  /** The sampler chain, applied in order. */
  readonly chain: readonly SamplerSpec[];
}

/**
 * Tokens a chain without a leading top-k sees: the top 256. Backends return a top slice
 * cheaply but the whole vocabulary slowly (node-llama-cpp copies every logit into a JS
 * array: ~7x a greedy step). The cut is exact for min-p whenever fewer than 256 tokens
 * reach p_min · p_max, and for top-p whenever the top 256 hold p of the mass.
 */
export const UNBOUNDED_CHAIN_REACH = 256;

/** How many top tokens a chain needs: a leading top-k bounds it. */
export function chainReach(chain: readonly SamplerSpec[]): number {
  for (const spec of chain) {
    if (spec.type === 'top_k' && spec.k > 0) return spec.k;
    if (spec.type !== 'penalties') break;
  }
  return UNBOUNDED_CHAIN_REACH;
}

interface Sample {
  branch: Branch;
  rng: Rng;
  /** The sample's seed, for a backend that samples on its side. */
  seed: number;
  steps: TokenStep[];
  scores: NextTokenScores;
  finish?: FinishReason;
}

/** A sampling preset: its chain from a p and a temperature, each a setting (`prefix`.p, `prefix`.temperature). */
function samplingStrategy(
  name: StrategyName, description: string, prefix: string, p: number, temperature: number, chain: (p: number, t: number) => SamplerSpec[],
): Strategy<SamplingOptions> {
  return {
    name,
    description,
    defaults: { samples: 4, chain: chain(p, temperature) },
    rules: { samples: int(1, 16), chain: CHAIN },
    settings: {
      keys: {
        'sampling.samples': 'samples',
        [`${prefix}.p`]: { rule: num(0, 1), default: p },
        [`${prefix}.temperature`]: { rule: num(0, 5), default: temperature },
      },
      toOptions: (v) => ({ samples: v['sampling.samples'], chain: chain(v[`${prefix}.p`]!, v[`${prefix}.temperature`]!) }),
    },
    capabilities: { takesValue: false, extendsPrompt: true, usesTimeBudget: true },
    decode: meteredDecode(name, async ({ model, prompt, options }, m, tree) => {
      const topN = topNFor(options, chainReach(options.chain));
      const sampler = new SamplerChain(options.chain);
      const samples: Sample[] = [];
      const count = Math.max(1, options.samples);
      for (let i = 0; i < count; i++) {
        const branch = i === count - 1 ? m.adopt(prompt.branch) : m.fork(prompt.branch);
        const seed = deriveSeed(options.seed, i);
        samples.push({ branch, rng: createRng(seed), seed, steps: [], scores: prompt.next });
      }
      for (;;) {
        const stepping: Sample[] = [];
        for (const s of samples) {
          if (s.finish) continue;
          const token = draw(sampler, s, prompt.tokens);
          if (model.isEndOfGeneration(token)) {
            s.finish = 'eog';
            continue;
          }
          s.steps.push(describeStep(model, Distribution.fromScores(s.scores, options.alternatives), token, options.alternatives));
          s.finish = endAfterStep(model, options, s.steps);
          if (!s.finish) stepping.push(s);
        }
        if (stepping.length === 0) break;
        if (m.outOfTime(options.timeBudgetMs)) {
          for (const s of stepping) s.finish = 'budget';
          break;
        }
        if (await onBackend(m, stepping, options, () => m.outOfTime(options.timeBudgetMs))) break;
        const next = await m.evaluate(stepping.map((s) => ({ branch: s.branch, tokens: [s.steps[s.steps.length - 1].token], topN })));
        stepping.forEach((s, i) => (s.scores = next[i]));
      }
      return samples.map((s): Candidate => {
        tree.addPath(s.steps);
        return makeCandidate(model, s.steps, s.finish ?? 'length');
      });
    }),
  };
}

/**
 * Where the backend can sample on its side (a server, with this chain), each sample's rest is one
 * streamed request, all in flight together; the backend's random numbers then pick the tokens.
 * Returns false (nothing started) where it cannot for every sample.
 */
async function onBackend(m: MeteredModel, stepping: readonly Sample[], options: SamplingOptions & CommonOptions, outOfTime: () => boolean): Promise<boolean> {
  const topN = Math.max(1, options.alternatives);
  const streams = stepping.map((s) => m.generate({
    branch: s.branch, tokens: [s.steps[s.steps.length - 1]!.token], topN, maxTokens: options.maxTokens - s.steps.length,
    sampling: { chain: options.chain, seed: s.seed },
  }));
  if (streams.some((g) => g === undefined)) {
    await Promise.all(streams.map((g) => g?.return('length')));
    return false;
  }
  await Promise.all(stepping.map(async (s, i) => {
    s.finish = await followGeneration(streams[i]!, m.model, options, s.steps, topN, outOfTime);
  }));
  return true;
}

function draw(sampler: SamplerChain, s: Sample, promptTokens: readonly number[]): number {
  const history = s.steps.length ? [...promptTokens, ...s.steps.map((x) => x.token)] : promptTokens;
  if (s.scores.full) sampler.apply(s.scores.full, { history });
  else sampler.applyTo(s.scores.ids, s.scores.logits, { history });
  return sampler.sample(s.rng);
}

/** Nucleus: llama.cpp's top-k guard, then top-p 0.9 at temperature 0.7. */
export const topP = samplingStrategy(
  'top-p', 'Samples from the smallest set of tokens holding 90% of the probability; several samples, ranked by likelihood',
  'topP', 0.9, 0.7, (p, t) => [{ type: 'top_k', k: 40 }, { type: 'top_p', p }, { type: 'temperature', t }],
);
/** min-p 0.05 (llama.cpp's default) at temperature 0.9; min-p needs no top-k guard. */
export const minP = samplingStrategy(
  'min-p', 'Samples among tokens at least 5% as likely as the best one; several samples, ranked by likelihood',
  'minP', 0.05, 0.9, (p, t) => [{ type: 'min_p', p }, { type: 'temperature', t }],
);
