import type { CandidateTree, TreeNode } from '../candidate-tree';
import { Distribution } from '../distribution';
import type { Branch, LanguageModel } from '../language-model';
import type { MeteredModel } from '../metered-model';
import type { CommonOptions, FinishReason, TokenStep } from '../strategy';
import { logprobValue } from '../value';
import type { MctsOptions } from './mcts';
import { branchFor, hold, type HeldBranch } from './mcts-branches';
import { describeStep, isStopped, meanLogprob } from './paths';

/**
 * One node of the search tree. A node is created when its parent is expanded, or earlier, when a
 * rollout passes through it (then it is its parent's `greedyChild` until the parent is expanded).
 */
export interface Node {
  readonly step?: TokenStep;
  readonly prior: number;
  visits: number;
  total: number;
  /**
   * Distribution after this node's token, once read: by an expansion (top N) or by a rollout
   * passing through (its top token only). Every position is read once: later simulations that
   * reach it use this.
   */
  dist?: Distribution;
  /** Whether `dist` was read with the expansion's top N (a rollout reads the top token only). */
  deep?: boolean;
  children?: Node[];
  /** Before expansion: the node a rollout reached through this node's most likely token. */
  greedyChild?: Node;
  terminal?: FinishReason;
  view?: TreeNode;
}

export const q = (n: Node) => (n.visits ? n.total / n.visits : 0);

/** One completion's search. */
export interface Search {
  readonly m: MeteredModel;
  readonly model: LanguageModel;
  readonly o: CommonOptions & MctsOptions;
  readonly tree: CandidateTree;
  readonly topN: number;
  /** The prompt's length in tokens: where every branch's own tokens start. */
  readonly promptLength: number;
  /** The committed path's branch; simulations fork from it (or take a held branch). */
  branch: Branch;
  /**
   * Finished simulations' branches. A new simulation truncates the one that shares the longest
   * start with its path instead of forking the committed branch and decoding the path again; the
   * commit takes one through the committed token instead of decoding it. At most `parallel` + 1
   * (hold()).
   */
  readonly held: HeldBranch[];
}

/**
 * Whether `node`'s distribution was read deep enough to expand it. By how it was read, not by
 * its size: a constrained step (token healing) may hold fewer than the top N.
 */
export function canExpand(node: Node): boolean {
  return node.dist !== undefined && node.deep === true;
}

export function mostVisited(node: Node): Node | undefined {
  let best: Node | undefined;
  for (const c of node.children ?? []) {
    if (!best || c.visits > best.visits || (c.visits === best.visits && c.prior > best.prior)) best = c;
  }
  return best;
}

/**
 * Whether the most visited child stays the most visited whatever `remaining` more simulations
 * do (Leela Chess Zero's "smart pruning"): then the committed token is decided, and the
 * simulations left would change only the visit counts below it.
 */
export function decided(node: Node, remaining: number): boolean {
  const best = mostVisited(node);
  if (!best) return false;
  let second = 0;
  for (const c of node.children!) if (c !== best) second = Math.max(second, c.visits);
  return best.visits - second > remaining;
}

/** The most visited path below `node`, at most `max` tokens, stopping before an end of generation (other ends are leaves). */
export function mostVisitedPath(node: Node, max: number): TokenStep[] {
  const steps: TokenStep[] = [];
  for (let n = mostVisited(node); n && n.visits > 0 && n.terminal !== 'eog' && steps.length < max; n = mostVisited(n)) steps.push(n.step!);
  return steps;
}

/**
 * Creates the children of an expanded node: its top tokens with tempered, renormalised priors.
 * A rollout's node for the top token is kept as that child, with what was read below it.
 */
export function expand({ model, o, tree }: Search, node: Node, pathSteps: readonly TokenStep[]): void {
  const dist = node.dist!;
  const k = Math.min(Math.max(1, o.expandTopK), dist.size);
  const weights: number[] = [];
  for (let i = 0; i < k; i++) weights.push(Math.exp(dist.logprobs[i] / Math.max(1e-6, o.priorTemperature)));
  const total = weights.reduce((a, b) => a + b, 0);
  const known = node.greedyChild;
  node.greedyChild = undefined;
  node.children = [];
  for (let i = 0; i < k; i++) {
    if (!(dist.logprobs[i] > -Infinity)) break;
    const token = dist.ids[i];
    const step = describeStep(model, dist, token, o.alternatives);
    const child: Node = { step, prior: weights[i] / total, visits: 0, total: 0 };
    if (known?.step!.token === token) {
      child.dist = known.dist;
      child.deep = known.deep;
      child.greedyChild = known.greedyChild;
    }
    if (model.isEndOfGeneration(token)) child.terminal = 'eog';
    else if (isStopped(model, o, [...pathSteps, step])) child.terminal = 'stop';
    child.view = node.view && tree.child(node.view, step);
    node.children.push(child);
  }
}

/** The node after `token` below `node`: a child when expanded, else the rollout's node. */
function nodeAfter({ model }: Search, node: Node, token: number): Node {
  const child = node.children?.find((c) => c.step!.token === token);
  if (child) return child;
  if (node.greedyChild?.step!.token !== token) node.greedyChild = { step: describeStep(model, node.dist!, token, 0), prior: 0, visits: 0, total: 0 };
  return node.greedyChild;
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
  /** The node whose distribution the simulation reads next (the leaf, then the rollout's nodes). */
  at: Node;
  fork?: HeldBranch;
  /** Tokens of the path and rollout not yet in `fork`: decoded by the next read, together. */
  pending: number[];
  done: boolean;
}

/**
 * Up to `count` simulations at once: select by PUCT with a virtual loss on each chosen path
 * (so the next selection looks elsewhere), expand every new leaf, roll them out greedily, then
 * back up the real values. Positions an earlier simulation read are not read again; the rest are
 * read in one model call per round, every simulation's next read together. Returns how many
 * simulations ran (0 when the tree has nothing left to explore).
 */
export async function simulateBatch(search: Search, root: Node, committed: readonly TokenStep[], count: number): Promise<number> {
  const { m, o } = search;
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
    // Below the value selection saw: an unvisited node's is its parent's (first play urgency),
    // not the 0 of no visits, which is above any mean log-probability and drew the next selection
    // back to the same leaf.
    const chain = [root, ...path];
    const seen = chain.map((n, i) => (n.visits || i === 0 ? q(n) : q(chain[i - 1]!)));
    const loss = chain.map((n, i) => {
      const added = seen[i]! - VIRTUAL_LOSS;
      n.visits++;
      n.total += added;
      return added;
    });
    const done = node.terminal !== undefined || (atLimit && node.children !== undefined);
    sims.push({ path, loss, leaf: node, rollout: [], at: node, pending: path.map((n) => n.step!.token), done });
  }
  const committedTokens = committed.map((c) => c.token);
  let finished = false;
  try {
    for (;;) {
      const reading = sims.filter((x) => !x.done && advance(search, x, committed));
      if (reading.length === 0) break;
      const scores = await m.evaluate(reading.map((x) => {
        if (!x.fork) [x.fork, x.pending] = branchFor(search, committedTokens, x.pending);
        const tokens = x.pending;
        x.pending = [];
        x.fork.tokens.push(...tokens);
        return { branch: x.fork.branch, tokens, topN: x.at === x.leaf ? search.topN : 1 };
      }));
      reading.forEach((x, i) => {
        const deep = x.at === x.leaf;
        x.at.dist = Distribution.fromScores(scores[i], deep ? search.topN : 1);
        x.at.deep = deep;
      });
    }
    finished = true;
  } finally {
    for (const x of sims) {
      // A branch whose step failed or was cancelled holds what no one knows: released, not kept.
      if (x.fork) {
        if (finished) hold(search, x.fork);
        else m.release(x.fork.branch);
      }
      [root, ...x.path].forEach((n, i) => {
        n.visits--;
        n.total -= x.loss[i];
      });
    }
  }
  for (const x of sims) backUp(search, root, x, committed);
  return sims.length;
}

/**
 * Moves a simulation on through what is already known: expands its leaf, then takes rollout
 * tokens, until it needs a read (true: `x.at`'s distribution) or is done (false).
 */
function advance(search: Search, x: Simulation, committed: readonly TokenStep[]): boolean {
  const { m, model, o } = search;
  if (!x.leaf.children) {
    if (!canExpand(x.leaf)) return true;
    expand(search, x.leaf, [...committed, ...x.path.map((n) => n.step!)]);
  }
  const limit = Math.min(o.rolloutDepth, o.maxTokens - committed.length - x.path.length);
  for (;;) {
    if (!x.at.dist) return true;
    const token = x.at.dist.ids[0];
    if (x.rollout.length >= limit || model.isEndOfGeneration(token)) break;
    const next = nodeAfter(search, x.at, token);
    x.rollout.push(describeStep(model, x.at.dist, token, 0));
    x.pending.push(token);
    x.at = next;
    if (x.rollout.length >= limit || m.stats.modelCalls >= o.maxModelCalls) break;
  }
  x.done = true;
  return false;
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
