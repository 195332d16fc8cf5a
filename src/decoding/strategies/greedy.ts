import { Distribution } from '../distribution';
import type { FinishReason, Strategy, TokenStep } from '../strategy';
import { describeStep, endAfterStep, followGeneration, makeCandidate, meteredDecode, topNFor } from './paths';

/** The most likely token at every step: one model call per token, one candidate. */
export const greedy: Strategy = {
  name: 'greedy',
  description: 'Always the most likely token: fastest, deterministic, one candidate',
  defaults: {},
  rules: {},
  settings: { keys: {} },
  capabilities: { takesValue: false, extendsPrompt: true, usesTimeBudget: true },
  decode: meteredDecode('greedy', async ({ model, prompt, options }, m, tree) => {
    const topN = topNFor(options, 1);
    const branch = m.adopt(prompt.branch);
    const steps: TokenStep[] = [];
    let scores = prompt.next;
    let finish: FinishReason | undefined;
    while (steps.length < options.maxTokens) {
      const dist = Distribution.fromScores(scores, topN);
      const token = dist.ids[0];
      if (model.isEndOfGeneration(token) && !options.ignoreEndOfGeneration) finish = 'eog';
      else {
        steps.push(describeStep(model, dist, token, options.alternatives));
        finish = endAfterStep(model, options, steps) ?? (m.outOfTime(options.timeBudgetMs) ? 'budget' : undefined);
      }
      if (finish) break;
      const stream = options.ignoreEndOfGeneration ? undefined : m.generate({ branch, tokens: [token], topN, maxTokens: options.maxTokens - steps.length });
      if (stream) {
        finish = await followGeneration(stream, model, options, steps, topN, () => m.outOfTime(options.timeBudgetMs));
        break;
      }
      [scores] = await m.evaluate([{ branch, tokens: [token], topN }]);
    }
    tree.addPath(steps);
    return [makeCandidate(model, steps, finish ?? 'length')];
  }),
};
