import { CandidateTree, type TreeNode } from '../candidate-tree';
import type { Distribution } from '../distribution';
import type { Branch, NextTokenScores } from '../language-model';
import { MeteredModel } from '../metered-model';
import type { Candidate, DecodeRequest, DecodeResult, FinishReason, Strategy, TokenStep } from '../strategy';
import { describeStep, finalize, isStopped, makeCandidate, stepDistribution, topNFor } from './common';

export interface BeamOptions {
  /** Beams kept per step (B). */
  readonly width: number;
  /** α in score = Σ log p / length^α; > 0 favours longer completions. */
  readonly lengthPenalty: number;
  /** Hugging Face's early_stopping: true, false or 'never'. */
  readonly earlyStopping: boolean | 'never';
}

interface Beam {
  branch: Branch;
  steps: TokenStep[];
  sum: number;
  scores: NextTokenScores;
  node: TreeNode;
}

interface Hypothesis {
  steps: TokenStep[];
  sum: number;
  score: number;
  finish: FinishReason;
}

/**
 * Beam search with Hugging Face semantics: each step takes the top 2B continuations of all
 * beams by cumulative log-probability; end-of-generation continuations ranked within the
 * top B become finished hypotheses scored Σ log p / length^α (length counts the EOS token,
 * as current Hugging Face does); the rest fill B running beams. All beams of a step are
 * evaluated in one model call, and children fork their parent's KV state.
 */
export const beam: Strategy<BeamOptions> = {
  name: 'beam',
  description: 'Keeps the B most likely partial completions at every step; best by length-normalised likelihood',
  defaults: { width: 4, lengthPenalty: 1, earlyStopping: true },
  async decode({ model, prompt, options, signal }: DecodeRequest<BeamOptions>): Promise<DecodeResult> {
    const B = Math.max(1, Math.floor(options.width));
    const alpha = options.lengthPenalty;
    const tree = new CandidateTree(options.maxTreeNodes);
    const topN = topNFor(options, 2 * B);
    const { value, stats } = await MeteredModel.run(model, signal, async (m) => {
      const finished: Hypothesis[] = [];
      const addFinished = (h: Hypothesis) => {
        finished.push(h);
        finished.sort((a, b) => b.score - a.score);
        if (finished.length > B) finished.pop();
      };
      let beams: Beam[] = [{ branch: m.fork(prompt.branch), steps: [], sum: 0, scores: prompt.next, node: tree.root }];
      for (let curLen = 1; curLen <= options.maxTokens && beams.length > 0; curLen++) {
        // Top 2B continuations over all beams.
        const pool: { beam: Beam; dist: Distribution; token: number; sum: number }[] = [];
        for (const b of beams) {
          const dist = stepDistribution(b.scores, topN);
          for (let i = 0; i < Math.min(2 * B, dist.size); i++) {
            if (dist.logprobs[i] > -Infinity) pool.push({ beam: b, dist, token: dist.ids[i], sum: b.sum + dist.logprobs[i] });
          }
        }
        pool.sort((a, b) => b.sum - a.sum);
        pool.length = Math.min(pool.length, 2 * B);

        const next: { parent: Beam; step: TokenStep; sum: number }[] = [];
        pool.forEach((c, rank) => {
          if (next.length >= B) return;
          if (model.isEndOfGeneration(c.token)) {
            // HF: an EOS outside the top B is ignored, not kept as a running beam.
            if (rank < B) addFinished({ steps: c.beam.steps, sum: c.sum, score: c.sum / Math.pow(curLen, alpha), finish: 'eog' });
            return;
          }
          const step = describeStep(model, c.dist, c.token, options.alternatives);
          const steps = [...c.beam.steps, step];
          if (isStopped(model, options, steps)) {
            addFinished({ steps, sum: c.sum, score: c.sum / Math.pow(curLen, alpha), finish: 'stop' });
            return;
          }
          next.push({ parent: c.beam, step, sum: c.sum });
        });

        if (isDone(finished, next.map((n) => n.sum), B, alpha, curLen, options.maxTokens, options.earlyStopping)) {
          releaseAll(m, beams);
          beams = [];
          break;
        }
        const outOfTime = m.outOfTime(options.timeBudgetMs);
        if (curLen === options.maxTokens || outOfTime) {
          for (const n of next) addFinished({ steps: [...n.parent.steps, n.step], sum: n.sum, score: n.sum / Math.pow(curLen, alpha), finish: outOfTime ? 'budget' : 'length' });
          for (const n of next) tree.child(n.parent.node, n.step);
          releaseAll(m, beams);
          beams = [];
          break;
        }

        // Fork children before any parent is extended; the last child inherits the parent's branch.
        const childrenLeft = new Map<Beam, number>();
        for (const n of next) childrenLeft.set(n.parent, (childrenLeft.get(n.parent) ?? 0) + 1);
        const newBeams: Beam[] = next.map((n) => {
          const left = childrenLeft.get(n.parent)! - 1;
          childrenLeft.set(n.parent, left);
          const branch = left === 0 ? n.parent.branch : m.fork(n.parent.branch);
          const node = tree.child(n.parent.node, n.step) ?? n.parent.node;
          node.visits++;
          return { branch, steps: [...n.parent.steps, n.step], sum: n.sum, scores: n.parent.scores, node };
        });
        for (const b of beams) if (!childrenLeft.has(b)) m.release(b.branch);
        const scores = await m.evaluate(newBeams.map((b) => ({ branch: b.branch, tokens: [b.steps[b.steps.length - 1].token], topN })));
        newBeams.forEach((b, i) => (b.scores = scores[i]));
        beams = newBeams;
      }
      return finished.map((h): Candidate => makeCandidate(model, h.steps, h.finish, h.score));
    });
    return finalize('beam', value, tree, stats);
  },
};

/**
 * Hugging Face's stopping rule. early_stopping true: B finished hypotheses suffice. false:
 * stop when the worst finished score beats the best running sum normalised at the current
 * length. 'never': compare with the best score a running beam could still reach, which
 * for α > 0 (negative sums shrink with length) is at the maximum length.
 */
function isDone(finished: readonly Hypothesis[], runningSums: readonly number[], B: number, alpha: number, curLen: number, maxLen: number, earlyStopping: boolean | 'never'): boolean {
  if (runningSums.length === 0) return true;
  if (finished.length < B) return false;
  if (earlyStopping === true) return true;
  const best = Math.max(...runningSums);
  const worst = finished[finished.length - 1].score;
  const reachable = earlyStopping === 'never' && alpha > 0 ? best / Math.pow(maxLen, alpha) : best / Math.pow(curLen, alpha);
  return worst >= reachable;
}

function releaseAll(m: MeteredModel, beams: readonly Beam[]): void {
  for (const b of beams) m.release(b.branch);
}
