import type { TreeNode } from '../candidate-tree';
import { Distribution } from '../distribution';
import type { Branch, NextTokenScores } from '../language-model';
import type { MeteredModel } from '../metered-model';
import { FUNCTION, int, num } from '../option-rules';
import { createRng } from '../rng';
import { SamplerChain } from '../samplers/chain';
import { TemperatureSampler } from '../samplers/temperature';
import type { CommonOptions, FinishReason, Strategy, TokenStep } from '../strategy';
import { logprobValue, type ValueFunction } from '../value';
import { describeStep, isStopped, makeCandidate, meanLogprob, meteredDecode, topNFor } from './paths';

/**
 * Thresholds are in nats (entropy) and nats² (varentropy), the engine's units; entropix
 * states its thresholds in bits (divide nats by ln 2). They depend on the model, its
 * vocabulary and how many top tokens the entropy is taken over (here max(branches, topK)):
 * recalibrate with tools/calibrate-entropy.ts for another model.
 */
export interface EntropyOptions {
  /** Below this entropy and `lowVarentropy`, the model is confident: take the argmax. */
  readonly lowEntropy: number;
  readonly lowVarentropy: number;
  /** At or above this entropy the model is uncertain. */
  readonly highEntropy: number;
  /** At or above this varentropy the candidates disagree in kind: a fork. */
  readonly highVarentropy: number;
  /** Branches compared at a fork, and how many tokens each is rolled out greedily. */
  readonly branches: number;
  readonly lookahead: number;
  /** Sampling settings of the non-greedy regimes (entropix's base values). */
  readonly temperature: number;
  /** Adaptive regime: temperature × (1 + adaptiveScale · (H + V)); entropix uses 0.3 with bits. */
  readonly adaptiveScale: number;
  readonly topK: number;
  readonly topP: number;
  readonly minP: number;
  /** Scores a branch at a fork; defaults to its mean log-probability. */
  readonly value?: ValueFunction;
}

export function classify(entropy: number, varentropy: number, o: EntropyOptions): 'confident' | 'branch' | 'explore' | 'lost' | 'adaptive' {
  if (entropy < o.lowEntropy && varentropy < o.lowVarentropy) return 'confident';
  if (varentropy >= o.highVarentropy) return entropy < o.highEntropy ? 'branch' : 'lost';
  if (entropy >= o.highEntropy) return 'explore';
  return 'adaptive';
}

interface Path {
  branch: Branch;
  steps: TokenStep[];
  scores: NextTokenScores;
  ended?: FinishReason;
}

/**
 * entropix-style decoding: every step's entropy H and varentropy V pick how the next token
 * is chosen. confident → argmax; branch (low H, high V: a few distinct options) → roll out
 * the top options a few tokens in one batch per depth and keep the best by lookahead
 * value; explore (high H, low V) → resample hotter; lost (high H, high V) → resample with
 * tighter top-k/top-p; otherwise → sample at a temperature that grows with H + V.
 */
export const entropy: Strategy<EntropyOptions> = {
  name: 'entropy',
  description: 'Reads each step’s entropy and varentropy: argmax when sure, looks ahead at forks, resamples when unsure',
  // Calibrated with tools/calibrate-entropy.ts on the shipped model's top-27 view of held-out
  // code (entropy p25 1.48, p90 2.13 nats; varentropy p40 ≈ 2.0, p75 2.46 nats²).
  defaults: {
    lowEntropy: 1.5,
    lowVarentropy: 2.0,
    highEntropy: 2.1,
    highVarentropy: 2.5,
    adaptiveScale: 0.1,
    branches: 3,
    lookahead: 4,
    temperature: 0.666,
    topK: 27,
    topP: 0.9,
    minP: 0.03,
  },
  rules: {
    lowEntropy: num(0, 20), lowVarentropy: num(0, 100), highEntropy: num(0, 20), highVarentropy: num(0, 100),
    branches: int(2, 8), lookahead: int(1, 32), temperature: num(0, 5), adaptiveScale: num(0, 10),
    topK: int(1, 1000), topP: num(0, 1), minP: num(0, 1), value: FUNCTION,
  },
  settings: {
    keys: {
      'entropy.lowEntropy': 'lowEntropy', 'entropy.lowVarentropy': 'lowVarentropy', 'entropy.highEntropy': 'highEntropy',
      'entropy.highVarentropy': 'highVarentropy', 'entropy.branches': 'branches', 'entropy.lookahead': 'lookahead',
    },
  },
  capabilities: { takesValue: true, extendsPrompt: true, usesTimeBudget: true },
  decode: meteredDecode('entropy', async ({ model, prompt, options: o }, m, tree) => {
    const topN = topNFor(o, Math.max(o.branches, o.topK));
    const rng = createRng(o.seed);
    const chainFor = (t: number | TemperatureSampler, topK: number, topP: number) =>
      new SamplerChain([{ type: 'top_k', k: topK }, { type: 'top_p', p: topP }, { type: 'min_p', p: o.minP }, typeof t === 'number' ? { type: 'temperature', t } : t]);
    const hot = chainFor(Math.min(1.5, o.temperature * 1.3), o.topK, o.topP);
    const lost = chainFor(Math.min(2, o.temperature * 1.5), Math.max(1, Math.round(o.topK * 0.7)), Math.max(0.5, o.topP - 0.1));
    // The adaptive regime's temperature changes every step; its chain (and buffers) stays.
    const adaptiveTemperature = new TemperatureSampler(o.temperature);
    const adaptive = chainFor(adaptiveTemperature, o.topK, o.topP);

    let main: Path = { branch: m.adopt(prompt.branch), steps: [], scores: prompt.next };
    let node = tree.root;
    while (!main.ended && main.steps.length < o.maxTokens) {
      if (main.steps.length > 0 && m.outOfTime(o.timeBudgetMs)) {
        main.ended = 'budget';
        break;
      }
      const dist = Distribution.fromScores(main.scores, topN);
      const regime = classify(dist.entropy, dist.varentropy, o);
      if (regime === 'branch' && o.branches > 1) {
        const { chosen, explored } = await branchAndPick(m, main, dist, o, model, topN);
        for (const path of explored) {
          let n: TreeNode | undefined = node;
          for (const step of path.steps.slice(main.steps.length)) n = n && tree.child(n, step);
        }
        for (const step of chosen.steps.slice(main.steps.length)) node = node.children.find((c) => c.token === step.token) ?? node;
        main = chosen;
        continue;
      }
      let token: number;
      if (regime === 'confident') token = dist.ids[0];
      else {
        adaptiveTemperature.t = Math.min(1.5, o.temperature * (1 + o.adaptiveScale * (dist.entropy + dist.varentropy)));
        const chain = regime === 'explore' ? hot : regime === 'lost' ? lost : adaptive;
        chain.applyTo(dist.ids, Float32Array.from(dist.logprobs), { history: [...prompt.tokens, ...main.steps.map((s) => s.token)] });
        token = chain.sample(rng);
      }
      if (model.isEndOfGeneration(token)) {
        main.ended = 'eog';
        break;
      }
      const step = describeStep(model, dist, token, o.alternatives, regime);
      main.steps.push(step);
      node = tree.child(node, step) ?? node;
      if (isStopped(model, o, main.steps)) main.ended = 'stop';
      else if (main.steps.length < o.maxTokens) [main.scores] = await m.evaluate([{ branch: main.branch, tokens: [token], topN }]);
    }
    tree.addPath(main.steps);
    return [makeCandidate(model, main.steps.slice(0, o.maxTokens), main.ended ?? 'length')];
  }),
};

/**
 * At a fork: extend each of the top `branches` tokens by a greedy rollout of `lookahead`
 * tokens (one batched model call per depth) and keep the branch with the best value.
 * The winner's rollout is committed, since its KV state is already computed.
 */
async function branchAndPick(m: MeteredModel, main: Path, dist: Distribution, o: CommonOptions & EntropyOptions, model: MeteredModel['model'], mainTopN: number): Promise<{ chosen: Path; explored: Path[] }> {
  const paths: Path[] = [];
  let count = 0;
  while (count < Math.min(o.branches, dist.size) && dist.logprobs[count] > -Infinity) count++;
  for (let i = 0; i < count; i++) {
    const token = dist.ids[i];
    // The last path takes the main branch itself: forks copy the branch's KV state first.
    const path: Path = { branch: i === count - 1 ? main.branch : m.fork(main.branch), steps: [...main.steps], scores: main.scores };
    if (model.isEndOfGeneration(token)) path.ended = 'eog';
    else path.steps.push(describeStep(model, dist, token, o.alternatives, 'branch'));
    paths.push(path);
  }
  // At least one evaluation, so the winner's scores follow its last token.
  const depths = Math.max(1, Math.min(o.lookahead, o.maxTokens - main.steps.length));
  for (let depth = 0; depth < depths; depth++) {
    const live = paths.filter((p) => !p.ended && !isStopped(model, o, p.steps) && p.steps.length < o.maxTokens);
    if (live.length === 0) break;
    // Rollout positions need the argmax and its log-probability; the last depth's scores become
    // the winner's next main step, which classifies over the main path's top N.
    const topN = depth === depths - 1 ? mainTopN : Math.max(1, o.alternatives);
    const scores = await m.evaluate(live.map((p) => ({ branch: p.branch, tokens: [p.steps[p.steps.length - 1].token], topN })));
    live.forEach((p, i) => {
      p.scores = scores[i];
      if (depth === depths - 1) return; // these scores serve the next main step
      const d = Distribution.fromScores(p.scores, o.alternatives);
      const t = d.ids[0];
      if (model.isEndOfGeneration(t)) p.ended = 'eog';
      else p.steps.push(describeStep(model, d, t, o.alternatives, 'lookahead'));
    });
  }
  const valueOf = (p: Path) => {
    const tokens = p.steps.map((s) => s.token);
    return (o.value ?? logprobValue)({ text: model.detokenize(tokens), tokens, meanLogprob: meanLogprob(p.steps.slice(main.steps.length)) });
  };
  let best = paths[0];
  for (const p of paths) if (valueOf(p) > valueOf(best)) best = p;
  for (const p of paths) if (p !== best) m.release(p.branch);
  if (isStopped(model, o, best.steps)) best.ended = 'stop';
  return { chosen: best, explored: paths };
}
