import type { TreeNode } from '../candidate-tree';
import { Distribution } from '../distribution';
import type { Branch, NextTokenScores } from '../language-model';
import { choice, int, num } from '../option-rules';
import type { Candidate, Strategy, TokenStep } from '../strategy';
import { describeStep, Hypotheses, isStopped, makeCandidate, meteredDecode, topNFor } from './paths';

/** Beams the engine can hold: a beam step holds up to 2 × width branches (the prompt's included), of the 16 the model keeps. */
export const MAX_BEAM_WIDTH = 8;

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
  rules: { width: int(1, MAX_BEAM_WIDTH), lengthPenalty: num(-5, 5), earlyStopping: choice(true, false, 'never') },
  settings: { keys: { 'beam.width': 'width', 'beam.lengthPenalty': 'lengthPenalty' } },
  capabilities: { takesValue: false, extendsPrompt: true, usesTimeBudget: true },
  decode: meteredDecode('beam', async ({ model, prompt, options }, m, tree) => {
    const B = Math.max(1, Math.floor(options.width));
    const topN = topNFor(options, 2 * B);
    const finished = new Hypotheses(B, options.lengthPenalty);
    let beams: Beam[] = [{ branch: m.adopt(prompt.branch), steps: [], sum: 0, scores: prompt.next, node: tree.root }];
    for (let curLen = 1; curLen <= options.maxTokens && beams.length > 0; curLen++) {
      // Top 2B continuations over all beams.
      const pool: { beam: Beam; dist: Distribution; token: number; sum: number }[] = [];
      for (const b of beams) {
        const dist = Distribution.fromScores(b.scores, topN);
        for (let i = 0; i < Math.min(2 * B, dist.size); i++) {
          if (dist.logprobs[i] > -Infinity) pool.push({ beam: b, dist, token: dist.ids[i], sum: b.sum + dist.logprobs[i] });
        }
      }
      pool.sort((a, b) => b.sum - a.sum);
      pool.length = Math.min(pool.length, 2 * B);

      const next: { parent: Beam; step: TokenStep; sum: number }[] = [];
      let hopeless = false;
      pool.forEach((c, rank) => {
        if (next.length >= B || hopeless) return;
        if (model.isEndOfGeneration(c.token)) {
          // HF: an EOS outside the top B is ignored, not kept as a running beam.
          if (rank < B) finished.add(c.beam.steps, c.sum, curLen, 'eog');
          return;
        }
        const step = describeStep(model, c.dist, c.token, options.alternatives);
        const steps = [...c.beam.steps, step];
        if (isStopped(model, options, steps)) {
          // Its last token goes in the tree too, so the panel can mark where the candidate ends.
          tree.child(c.beam.node, step);
          finished.add(steps, c.sum, curLen, 'stop');
          return;
        }
        // A beam that could no longer be a candidate costs no more branches (earlyStopping false
        // and 'never' go on past `width` finished paths; true ends the search there). The pool is
        // sorted by sum, so neither could any after it.
        if (finished.canStillEnter(c.sum, curLen, options.maxTokens)) next.push({ parent: c.beam, step, sum: c.sum });
        else hopeless = true;
      });

      if (finished.isDone(next.map((n) => n.sum), curLen, options.maxTokens, options.earlyStopping)) {
        for (const b of beams) m.release(b.branch);
        break;
      }
      const outOfTime = m.outOfTime(options.timeBudgetMs);
      if (curLen === options.maxTokens || outOfTime) {
        for (const n of next) finished.add([...n.parent.steps, n.step], n.sum, curLen, outOfTime ? 'budget' : 'length');
        for (const n of next) tree.child(n.parent.node, n.step);
        for (const b of beams) m.release(b.branch);
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
    return finished.best.map((h): Candidate => makeCandidate(model, h.steps, h.finish, h.score));
  }),
};
