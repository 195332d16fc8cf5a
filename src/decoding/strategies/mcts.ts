import { Distribution } from '../distribution';
import { FUNCTION, int, num } from '../option-rules';
import type { FinishReason, Strategy, TokenStep } from '../strategy';
import type { ValueFunction } from '../value';
import { commitHeld, releaseHeld } from './mcts-branches';
import { canExpand, decided, expand, mostVisited, mostVisitedPath, type Node, q, type Search, simulateBatch } from './mcts-search';
import { makeCandidate, meteredDecode, topNFor } from './paths';

export interface MctsOptions {
  /** Simulations before each committed token. */
  readonly simulations: number;
  /** PUCT exploration constant c in Q + c·P·√N / (1 + n). */
  readonly cPuct: number;
  /** Children created when a node is expanded (its most likely tokens). */
  readonly expandTopK: number;
  /** Priors are softmax(logprob / T) over the expanded children. */
  readonly priorTemperature: number;
  /**
   * Greedy tokens after a new leaf that its value is computed over. The first is read from the
   * leaf's own distribution, so a depth of 1 costs no position beyond the leaf; each more, one.
   */
  readonly rolloutDepth: number;
  /** Hard budgets for the whole completion; when spent the best path found so far is returned. */
  readonly maxModelCalls: number;
  readonly maxMs: number;
  /** Simulations expanded together in one model call (a virtual loss keeps them apart). */
  readonly parallel: number;
  /** Value of a simulated completion; defaults to its mean log-probability. */
  readonly value?: ValueFunction;
}

/**
 * Token-level Monte Carlo tree search (PUCT, as PPO-MCTS): the model's token probability
 * is the prior, a leaf's value is the mean log-probability of the path plus a short greedy
 * rollout (or a pluggable value function), and after `simulations` the root child with
 * the most visits is committed; its subtree is kept for the next token, and its visits count
 * toward that token's simulations. Simulations run in batches of `parallel` that share each
 * model call.
 */
export const mcts: Strategy<MctsOptions> = {
  name: 'mcts',
  description: 'Tree search over tokens: simulates continuations and commits the most visited; best quality per token, most model calls',
  // 6 simulations with 1-token rollouts: the same exact line and edit similarity as 12 with
  // 3-token rollouts on held-out code, for a third of the positions read (docs/benchmarks.md).
  defaults: { simulations: 6, cPuct: 1.5, expandTopK: 4, priorTemperature: 1, rolloutDepth: 1, maxModelCalls: 400, maxMs: 3000, parallel: 4 },
  rules: {
    simulations: int(1, 512), cPuct: num(0, 100), expandTopK: int(1, 64), priorTemperature: num(0.01, 100), rolloutDepth: int(1, 32),
    maxModelCalls: int(1, 100_000), maxMs: num(0, 86_400_000), parallel: int(1, 16), value: FUNCTION,
  },
  settings: { keys: { 'mcts.simulations': 'simulations', 'mcts.cPuct': 'cPuct', 'mcts.rolloutDepth': 'rolloutDepth', 'mcts.maxModelCalls': 'maxModelCalls' } },
  capabilities: { takesValue: true, extendsPrompt: true, usesTimeBudget: true },
  decode: meteredDecode('mcts', async ({ model, prompt, options: o }, m, tree) => {
    const topN = topNFor(o, o.expandTopK);
    const committed: TokenStep[] = [];
    const search: Search = { m, model, o, tree, topN, promptLength: prompt.tokens.length, branch: m.adopt(prompt.branch), held: [] };
    let root: Node = { prior: 1, visits: 0, total: 0, dist: Distribution.fromScores(prompt.next, topN), deep: true, view: tree.root };
    expand(search, root, committed);
    const firstRoot = root;
    let firstShares: Map<Node, number> | undefined;
    const maxMs = Math.min(o.maxMs, o.timeBudgetMs ?? Infinity);
    const inBudget = () => m.stats.modelCalls < o.maxModelCalls && m.elapsed() < maxMs;
    let finish: FinishReason | undefined;

    while (!finish && committed.length < o.maxTokens) {
      // The kept subtree's visits count: simulations that went through the committed token
      // already searched below it, so only the rest are run (AlphaZero's tree reuse). None run
      // once no other token can catch up: where the model is sure, a token costs few simulations.
      for (let s = Math.min(root.visits, o.simulations); s < o.simulations && inBudget() && !decided(root, o.simulations - s); ) {
        const ran = await simulateBatch(search, root, committed, Math.min(Math.max(1, o.parallel), o.simulations - s));
        if (ran === 0) break;
        s += ran;
      }
      // Visits at the first decision: the subtree keeps growing afterwards, so shares are taken here.
      firstShares ??= new Map((firstRoot.children ?? []).map((c) => [c, c.visits / Math.max(1, firstRoot.visits)]));
      const best = mostVisited(root);
      finish = !best ? 'eog' : inBudget() ? best.terminal : 'budget';
      // An end of generation is not a token of the completion; a stop is.
      if (!best || finish === 'eog' || finish === 'budget') break;
      committed.push(best.step!);
      if (finish || committed.length >= o.maxTokens) break;
      // The committed token's distribution is usually known from the search: then the branch only
      // needs the token, and its read is the cheapest there is.
      const known = canExpand(best);
      // A simulation's branch went through the token: it becomes the committed branch, no decode.
      if (!commitHeld(search, committed.map((c) => c.token), known)) {
        const [scores] = await m.evaluate([{ branch: search.branch, tokens: [best.step!.token], topN: known ? 1 : topN }]);
        if (!known) {
          best.dist = Distribution.fromScores(scores, topN);
          best.deep = true;
        }
      }
      if (!best.children) expand(search, best, committed);
      root = best;
    }
    // When the budget ends the search, extend with the most visited path found so far.
    const tail = finish === 'budget' ? mostVisitedPath(root, o.maxTokens - committed.length) : [];
    releaseHeld(search);
    m.release(search.branch);
    // Score: the share of root visits a candidate's first token got (final choice is by visits).
    const candidate = (first: Node | undefined, steps: TokenStep[], end: FinishReason) =>
      makeCandidate(model, steps, end, first ? (firstShares?.get(first) ?? 0) : 0, { visits: first?.visits, value: first && q(first) });
    const path = [...committed, ...tail];
    const out = [candidate(firstRoot.children?.find((c) => c.step?.token === path[0]?.token), path, finish ?? 'length')];
    for (const child of firstRoot.children ?? []) {
      if (!child.visits || child.step!.token === path[0]?.token || child.terminal === 'eog') continue;
      out.push(candidate(child, [child.step!, ...mostVisitedPath(child, Infinity)], 'budget'));
    }
    return out;
  }),
};
