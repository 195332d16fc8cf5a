import { CandidateTree } from '../candidate-tree';
import { Distribution } from '../distribution';
import { MeteredModel } from '../metered-model';
import type { DecodeRequest, DecodeResult, FinishReason, Strategy, TokenStep } from '../strategy';
import { describeStep, endAfterStep, finalize, makeCandidate, topNFor } from './paths';

/** The most likely token at every step: one model call per token, one candidate. */
export const greedy: Strategy = {
  name: 'greedy',
  description: 'Always the most likely token: fastest, deterministic, one candidate',
  defaults: {},
  rules: {},
  settings: { keys: {} },
  capabilities: { takesValue: false, extendsPrompt: true, usesTimeBudget: true },
  async decode({ model, prompt, options, signal, promptHandedOver }: DecodeRequest<object>): Promise<DecodeResult> {
    const tree = new CandidateTree(options.maxTreeNodes);
    const topN = topNFor(options, 1);
    const { value, stats } = await MeteredModel.run(model, signal, async (m) => {
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
        const step = describeStep(model, dist, token, options.alternatives);
        steps.push(step);
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
      return makeCandidate(model, steps, finish);
    }, promptHandedOver ? prompt.branch : undefined);
    return finalize('greedy', [value], tree, stats);
  },
};
