import type { CandidateTree, TreeNode } from '../candidate-tree';
import { Distribution } from '../distribution';
import type { Branch, LanguageModel } from '../language-model';
import type { MeteredModel } from '../metered-model';
import { FUNCTION, int, num } from '../option-rules';
import type { CommonOptions, FinishReason, Strategy, TokenStep } from '../strategy';
import { logprobValue, type ValueFunction } from '../value';
import { describeStep, isStopped, makeCandidate, meanLogprob, meteredDecode, topNFor } from './paths';

export interface MctsOptions {
  /** Simulations before each committed token. */
  readonly simulations: number;
  /** PUCT exploration constant c in Q + c·P·√N / (1 + n). */
  readonly cPuct: number;
  /** Children created when a node is expanded (its most likely tokens). */
  readonly expandTopK: number;
  /** Priors are softmax(logprob / T) over the expanded children. */
  readonly priorTemperature: number;
  /** Greedy tokens after a new leaf that its value is computed over. */
  readonly rolloutDepth: number;
  /** Hard budgets for the whole completion; when spent the best path found so far is returned. */
  readonly maxModelCalls: number;
  readonly maxMs: number;
  /** Simulations expanded together in one model call (a virtual loss keeps them apart). */
  readonly parallel: number;
  /** Value of a simulated completion; defaults to its mean log-probability. */
  readonly value?: ValueFunction;
}

interface Node {
  readonly step?: TokenStep;
  readonly prior: number;
  visits: number;
  total: number;
  /** Distribution after this node's token; known once the node is expanded. */
  dist?: Distribution;
  children?: Node[];
  terminal?: FinishReason;
  view?: TreeNode;
}

const q = (n: Node) => (n.visits ? n.total / n.visits : 0);

/** What stays fixed through one completion's search. */
interface Search {
  readonly m: MeteredModel;
  readonly model: LanguageModel;
  readonly o: CommonOptions & MctsOptions;
  readonly tree: CandidateTree;
  readonly topN: number;
  /** The committed path's branch; simulations fork from it. */
  readonly branch: Branch;
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
  defaults: { simulations: 12, cPuct: 1.5, expandTopK: 4, priorTemperature: 1, rolloutDepth: 3, maxModelCalls: 400, maxMs: 3000, parallel: 4 },
  rules: {
    simulations: int(1, 512), cPuct: num(0, 100), expandTopK: int(1, 64), priorTemperature: num(0.01, 100), rolloutDepth: int(1, 32),
    maxModelCalls: int(1, 100_000), maxMs: num(0, 86_400_000), parallel: int(1, 16), value: FUNCTION,
  },
  settings: { keys: { 'mcts.simulations': 'simulations', 'mcts.cPuct': 'cPuct', 'mcts.rolloutDepth': 'rolloutDepth', 'mcts.maxModelCalls': 'maxModelCalls' } },
  capabilities: { takesValue: true, extendsPrompt: false, usesTimeBudget: true },
  decode: meteredDecode('mcts', async ({ model, prompt, options: o }, m, tree) => {
    const topN = topNFor(o, o.expandTopK);
    const committed: TokenStep[] = [];
    const branch = m.fork(prompt.branch);
    const search: Search = { m, model, o, tree, topN, branch };
    let root: Node = { prior: 1, visits: 0, total: 0, dist: Distribution.fromScores(prompt.next, topN), view: tree.root };
    expand(search, root, committed);
    const firstRoot = root;
    let firstShares: Map<Node, number> | undefined;
    const maxMs = Math.min(o.maxMs, o.timeBudgetMs ?? Infinity);
    const inBudget = () => m.stats.modelCalls < o.maxModelCalls && m.elapsed() < maxMs;
    let finish: FinishReason | undefined;

    while (!finish && committed.length < o.maxTokens) {
      // The kept subtree's visits count: simulations that went through the committed token
      // already searched below it, so only the rest are run (AlphaZero's tree reuse).
      for (let s = Math.min(root.visits, o.simulations); s < o.simulations && inBudget(); ) {
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
      const [scores] = await m.evaluate([{ branch, tokens: [best.step!.token], topN }]);
      best.dist ??= Distribution.fromScores(scores, topN);
      if (!best.children) expand(search, best, committed);
      root = best;
    }
    // When the budget ends the search, extend with the most visited path found so far.
    const tail = finish === 'budget' ? mostVisitedPath(root, o.maxTokens - committed.length) : [];
    m.release(branch);
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

function mostVisited(node: Node): Node | undefined {
  let best: Node | undefined;
  for (const c of node.children ?? []) {
    if (!best || c.visits > best.visits || (c.visits === best.visits && c.prior > best.prior)) best = c;
  }
  return best;
}

/** The most visited path below `node`, at most `max` tokens, stopping before an end of generation (other ends are leaves). */
function mostVisitedPath(node: Node, max: number): TokenStep[] {
  const steps: TokenStep[] = [];
  for (let n = mostVisited(node); n && n.visits > 0 && n.terminal !== 'eog' && steps.length < max; n = mostVisited(n)) steps.push(n.step!);
  return steps;
}

/** Creates the children of an expanded node: its top tokens with tempered, renormalised priors. */
function expand({ model, o, tree }: Search, node: Node, pathSteps: readonly TokenStep[]): void {
  const dist = node.dist!;
  const k = Math.min(Math.max(1, o.expandTopK), dist.size);
  const weights: number[] = [];
  for (let i = 0; i < k; i++) weights.push(Math.exp(dist.logprobs[i] / Math.max(1e-6, o.priorTemperature)));
  const total = weights.reduce((a, b) => a + b, 0);
  node.children = [];
  for (let i = 0; i < k; i++) {
    if (!(dist.logprobs[i] > -Infinity)) break;
    const token = dist.ids[i];
    const step = describeStep(model, dist, token, o.alternatives);
    const child: Node = { step, prior: weights[i] / total, visits: 0, total: 0 };
    if (model.isEndOfGeneration(token)) child.terminal = 'eog';
    else if (isStopped(model, o, [...pathSteps, step])) child.terminal = 'stop';
    child.view = node.view && tree.child(node.view, step);
    node.children.push(child);
  }
}

function selectChild(node: Node, c: number): Node {
  const sqrtN = Math.sqrt(Math.max(1, node.visits));
  // Unvisited children start from the parent's mean value ("first play urgency").
  const fpu = q(node);
  let best = node.children![0];
  let bestScore = -Infinity;
  for (const child of node.children!) {
    const score = (child.visits ? q(child) : fpu) + (c * child.prior * sqrtN) / (1 + child.visits);
    if (score > bestScore) {
      bestScore = score;
      best = child;
    }
  }
  return best;
}

/**
 * In-flight simulations count as a visit worth this much less than the node's mean value
 * (nats per token), so the rest of a batch looks elsewhere. Relative, because values are
 * mean log-probabilities whose scale depends on the model.
 */
const VIRTUAL_LOSS = 1;

interface Simulation {
  readonly path: Node[];
  /** The virtual loss added to each node of [root, ...path], to take back. */
  readonly loss: number[];
  readonly leaf: Node;
  readonly rollout: TokenStep[];
  fork?: Branch;
  dist?: Distribution;
  done: boolean;
}

/**
 * Up to `count` simulations at once: select by PUCT with a virtual loss on each chosen path
 * (so the next selection looks elsewhere), expand every new leaf in one model call, roll
 * them out greedily in one call per depth, then back up the real values. Returns how many
 * simulations ran (0 when the tree has nothing left to explore).
 */
async function simulateBatch(search: Search, root: Node, committed: readonly TokenStep[], count: number): Promise<number> {
  const { m, model, o, topN } = search;
  const sims: Simulation[] = [];
  for (let b = 0; b < count; b++) {
    const path: Node[] = [];
    let node = root;
    // Never deeper than the token budget: the model's context has room for maxTokens only.
    while (node.children && node.children.length > 0 && !node.terminal && committed.length + path.length < o.maxTokens) {
      node = selectChild(node, o.cPuct);
      path.push(node);
    }
    if (path.length === 0 || sims.some((x) => x.leaf === node)) break;
    const atLimit = committed.length + path.length >= o.maxTokens;
    const loss = [root, ...path].map((n) => {
      const added = q(n) - VIRTUAL_LOSS;
      n.visits++;
      n.total += added;
      return added;
    });
    sims.push({ path, loss, leaf: node, rollout: [], done: node.terminal !== undefined || (atLimit && node.children !== undefined) });
  }
  const expanding = sims.filter((x) => !x.done);
  try {
    if (expanding.length > 0) {
      for (const x of expanding) x.fork = m.fork(search.branch);
      const scores = await m.evaluate(expanding.map((x) => ({ branch: x.fork!, tokens: x.path.map((n) => n.step!.token), topN })));
      expanding.forEach((x, i) => {
        x.leaf.dist = Distribution.fromScores(scores[i], topN);
        expand(search, x.leaf, [...committed, ...x.path.map((n) => n.step!)]);
        x.dist = x.leaf.dist;
      });
    }
    for (let depth = 0; ; depth++) {
      const active: Simulation[] = [];
      for (const x of expanding) {
        if (x.done) continue;
        const limit = Math.min(o.rolloutDepth, o.maxTokens - committed.length - x.path.length);
        const token = x.dist!.ids[0];
        if (depth >= limit || model.isEndOfGeneration(token)) {
          x.done = true;
          continue;
        }
        x.rollout.push(describeStep(model, x.dist!, token, 0));
        if (depth + 1 >= limit || m.stats.modelCalls >= o.maxModelCalls) x.done = true;
        else active.push(x);
      }
      if (active.length === 0) break;
      const scores = await m.evaluate(active.map((x) => ({ branch: x.fork!, tokens: [x.rollout[x.rollout.length - 1].token], topN: 1 })));
      active.forEach((x, i) => (x.dist = Distribution.fromScores(scores[i], 1)));
    }
  } finally {
    for (const x of sims) {
      if (x.fork) m.release(x.fork);
      [root, ...x.path].forEach((n, i) => {
        n.visits--;
        n.total -= x.loss[i];
      });
    }
  }
  for (const x of sims) backUp(search, root, x, committed);
  return sims.length;
}

/** Value of a simulated completion (path + rollout), added along the path. */
function backUp({ model, o }: Search, root: Node, { path, rollout }: Simulation, committed: readonly TokenStep[]): void {
  const scored = [...path.map((n) => n.step!), ...rollout];
  const tokens = [...committed, ...scored].map((s) => s.token);
  const value = (o.value ?? logprobValue)({ text: model.detokenize(tokens), tokens, meanLogprob: meanLogprob(scored) });
  root.visits++;
  root.total += value;
  for (const n of path) {
    n.visits++;
    n.total += value;
    if (n.view) {
      n.view.visits = n.visits;
      n.view.value = q(n);
    }
  }
}
