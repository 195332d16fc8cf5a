/**
 * What the engine does per branch and token besides the model: the step record (describeStep), the
 * stop rule over the path's text (isStopped: the new token's text and the rules' scan of the last
 * lines), and the tree node. Timed over paths as long as a completion gets, in µs per branch-token,
 * so the bench can set it against a position's native reads.
 */
import { CandidateTree } from '../src/decoding/candidate-tree';
import { Distribution } from '../src/decoding/distribution';
import { stopContextAt, isCompleteFor } from '../src/decoding/stop-rules';
import { COMMON_DEFAULTS, type CommonOptions, type TokenStep } from '../src/decoding/strategy';
import { describeStep, isStopped } from '../src/decoding/strategies/paths';
import type { LoadedModel } from '../src/model/load';

export interface Bookkeeping {
  /** Path length the figures are at. */
  readonly tokens: number;
  /** µs per branch-token: the step record, the stop rule, the tree node. */
  readonly stepRecordUs: number;
  readonly stopRuleUs: number;
  /** The same rules over the whole path at every token, as before they kept a scan per step. */
  readonly stopRuleWholePathUs: number;
  readonly treeNodeUs: number;
}

export function measureBookkeeping(m: LoadedModel, text: string, tokens: number, reps = 200): Bookkeeping {
  const lm = m.languageModel;
  const ids = m.tokenize(text.replace(/\n\s*\n/g, '\n')).slice(0, tokens);
  // A top-8 distribution over the path's own tokens, as a beam step's scores give.
  const dist = Distribution.fromTop(Int32Array.from(ids.slice(0, 8)), Float32Array.from(ids.slice(0, 8), (_, i) => -i), 1);
  // Brackets the cursor's line opened and the text never closes, and no blank line: the rules never
  // end this path, so each token's check reads as far as a strategy's does before a path ends.
  const rule = isCompleteFor(stopContextAt('const table = [[[[[[[[', '\n', '\n'));
  const options: CommonOptions = { ...COMMON_DEFAULTS, maxTokens: tokens, isComplete: rule };
  const time = (run: () => void) => {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) run();
    return ((performance.now() - t0) * 1000) / reps / ids.length;
  };
  let steps: TokenStep[] = [];
  const stepRecordUs = time(() => {
    steps = ids.map((t) => describeStep(lm, dist, t, 0));
  });
  // Each run a new path (fresh step objects), as each branch is: the rule keeps its scan per step.
  const stopTime = (o: CommonOptions) => {
    const paths = Array.from({ length: reps }, () => steps.map((s) => ({ ...s })));
    let run = 0;
    return time(() => {
      const path = paths[run++]!;
      for (let k = 1; k <= path.length; k++) isStopped(lm, o, path.slice(0, k));
    });
  };
  // The same rules as a plain function: the whole path detokenized and scanned at every token.
  const stopRuleWholePathUs = stopTime({ ...options, isComplete: (text: string) => rule(text) });
  const stopRuleUs = stopTime(options);
  const treeNodeUs = time(() => {
    const tree = new CandidateTree();
    let node = tree.root;
    for (const s of steps) node = tree.child(node, s) ?? node;
  });
  return { tokens: ids.length, stepRecordUs, stopRuleUs, stopRuleWholePathUs, treeNodeUs };
}
