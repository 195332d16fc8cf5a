/** One generated token, with what the panel needs to show where the model was unsure. */
export interface TokenStep {
  readonly token: number;
  readonly text: string;
  /** Log-probability under the model's unmodified distribution (nats). */
  readonly logprob: number;
  /** Entropy of the step's distribution (nats); over the returned slice for top-N backends. */
  readonly entropy: number;
  /** Top-N backends: the least the whole distribution's entropy can be, the tail's share included (entropy-bound.ts). */
  readonly entropyAtLeast?: number;
  readonly varentropy: number;
  /** The most likely tokens at this step, most likely first (the chosen one may be among them). */
  readonly alternatives: readonly { token: number; text: string; logprob: number }[];
  /** Entropy-adaptive strategy only: the regime that picked this token. */
  readonly regime?: string;
}

/**
 * The branches a strategy explored, as a trie of tokens below the prompt: what the
 * candidates panel draws. Bounded so a long MCTS run cannot grow it without limit; nodes
 * past the bound are counted, not stored.
 */
export interface TreeNode {
  readonly token: number;
  readonly text: string;
  readonly logprob: number;
  readonly entropy: number;
  /** As TokenStep.entropyAtLeast. */
  readonly entropyAtLeast?: number;
  /** MCTS visits; for other strategies how many candidates pass through the node. */
  visits: number;
  /** Mean value backed up through the node (MCTS; 0 for other strategies). */
  value: number;
  regime?: string;
  /** Rank of the candidate that ends here (0 = best), if one does. */
  candidateRank?: number;
  readonly children: TreeNode[];
}

export interface TreeJSON {
  readonly nodeCount: number;
  /** Nodes that were not stored because the tree was full. */
  readonly dropped: number;
  readonly root: TreeNode;
}

export class CandidateTree {
  readonly root: TreeNode = { token: -1, text: '', logprob: 0, entropy: 0, visits: 0, value: 0, children: [] };
  private count = 1;
  private droppedCount = 0;

  constructor(readonly maxNodes = 2000) {}

  get size(): number {
    return this.count;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /** The child of `parent` for `token`, created from `step` if missing; undefined when full. */
  child(parent: TreeNode, step: Omit<TokenStep, 'alternatives'>): TreeNode | undefined {
    const existing = parent.children.find((c) => c.token === step.token);
    if (existing) return existing;
    if (this.count >= this.maxNodes) {
      this.droppedCount++;
      return undefined;
    }
    const node: TreeNode = {
      token: step.token,
      text: step.text,
      logprob: step.logprob,
      entropy: step.entropy,
      ...(step.entropyAtLeast !== undefined ? { entropyAtLeast: step.entropyAtLeast } : {}),
      visits: 0,
      value: 0,
      children: [],
      ...(step.regime ? { regime: step.regime } : {}),
    };
    parent.children.push(node);
    this.count++;
    return node;
  }

  /** Adds a path from the root; every node on it gets one more visit. */
  addPath(steps: readonly Omit<TokenStep, 'alternatives'>[]): void {
    let node: TreeNode | undefined = this.root;
    node.visits++;
    for (const step of steps) {
      node = this.child(node, step);
      if (!node) break;
      node.visits++;
    }
  }

  /** Marks the node at the end of `tokens` as the candidate of rank `rank`. */
  markCandidate(tokens: readonly number[], rank: number): void {
    let node: TreeNode | undefined = this.root;
    for (const token of tokens) {
      node = node.children.find((c) => c.token === token);
      if (!node) return;
    }
    if (node.candidateRank === undefined || rank < node.candidateRank) node.candidateRank = rank;
  }

  /** A tree rebuilt from its JSON (a result that crossed a process boundary). */
  static fromJSON(json: TreeJSON, maxNodes = 2000): CandidateTree {
    const tree = new CandidateTree(maxNodes);
    (tree as { root: TreeNode }).root = json.root;
    tree.count = json.nodeCount;
    tree.droppedCount = json.dropped;
    return tree;
  }

  /** The tree as data (its live nodes). */
  toJSON(): TreeJSON {
    return { nodeCount: this.count, dropped: this.droppedCount, root: this.root };
  }

  /**
   * A copy of at most `maxNodes` nodes, taken breadth first (the rest counted as dropped): small
   * enough to draw and to send while the tree still grows.
   */
  copy(maxNodes: number): TreeJSON {
    if (maxNodes >= this.count) return structuredClone(this.toJSON());
    const copy = (n: TreeNode): TreeNode => ({ ...n, children: [] });
    const root = copy(this.root);
    const queue: [TreeNode, TreeNode][] = [[this.root, root]];
    let kept = 1;
    while (queue.length > 0 && kept < maxNodes) {
      const [from, to] = queue.shift()!;
      for (const child of from.children) {
        if (kept >= maxNodes) break;
        const c = copy(child);
        to.children.push(c);
        kept++;
        queue.push([child, c]);
      }
    }
    return { nodeCount: kept, dropped: this.droppedCount + (this.count - kept), root };
  }
}
