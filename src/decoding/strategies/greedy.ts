import { Distribution } from '../distribution';
import type { FinishReason, Strategy, TokenStep } from '../strategy';
import { describeStep, endAfterStep, makeCandidate, meteredDecode, topNFor } from './paths';

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
    let finish: FinishReason = 'length';
    while (steps.length < options.maxTokens) {
      const dist = Distribution.fromScores(scores, topN);
      const token = dist.ids[0];
      if (model.isEndOfGeneration(token) && !options.ignoreEndOfGeneration) {
        finish = 'eog';
        break;
      }
      steps.push(describeStep(model, dist, token, options.alternatives));
      const end = endAfterStep(model, options, steps);
      if (end) {
        finish = end;
        break;
      }
      if (m.outOfTime(options.timeBudgetMs)) {
        finish = 'budget';
        break;
      }
      [scores] = await m.evaluate([{ branch, tokens: [token], topN }]);
    }
    tree.addPath(steps);
    return [makeCandidate(model, steps, finish)];
  }),
};
