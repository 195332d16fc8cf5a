import type { Branch, EvaluateRequest, GeneratedToken, GenerateRequest, GenerationEnd, LanguageModel, NextTokenScores, PromptState, StartOptions } from './language-model';

/**
 * Top tokens recorded per step of the first pass: enough for every strategy's widest selection
 * (the prompt's first step lists as many), so a search that follows the path finds what it asks.
 */
export const RECORDED_TOP_N = 64;

const keyOf = (path: readonly number[]) => path.join(',');

/** Scores cut to what a request asked for, as a backend answers it (or whole, when they hold the vocabulary). */
function slice(scores: NextTokenScores, topN: number): NextTokenScores {
  if (topN >= scores.ids.length) return scores;
  const n = Math.max(1, Math.floor(topN));
  return { ids: scores.ids.subarray(0, n), logits: scores.logits.subarray(0, n), logNormalizer: scores.logNormalizer, full: scores.full };
}

/** What both views of the model answer as the model itself does. */
function passThrough(inner: LanguageModel): Pick<LanguageModel, 'vocabSize' | 'isEndOfGeneration' | 'tokenText' | 'detokenize' | 'start'> {
  return {
    vocabSize: inner.vocabSize,
    isEndOfGeneration: (t) => inner.isEndOfGeneration(t),
    tokenText: (t) => inner.tokenText(t),
    detokenize: (t) => inner.detokenize(t),
    start: (t, n, s, o?: StartOptions) => inner.start(t, n, s, o),
  };
}

/** Whether `scores` can answer a request for `topN` tokens. */
const serves = (scores: NextTokenScores, topN: number) => scores.full !== undefined || scores.ids.length >= topN;

/**
 * The scores the first pass of an anytime completion (greedy's path) saw after each of its
 * prefixes, so the search that follows reads them instead of evaluating that path again.
 * `recording()` is the model the first pass runs on; `replaying()` the one the search runs on.
 */
export class PathMemo {
  private readonly scores = new Map<string, NextTokenScores>();

  constructor(private readonly model: LanguageModel, private readonly prompt: PromptState) {}

  /** The model for the first pass: it reads RECORDED_TOP_N tokens a step and remembers them by path. */
  recording(): LanguageModel {
    const memo = this.scores;
    const inner = this.model;
    const paths = new Map<number, readonly number[]>([[this.prompt.branch.id, []]]);
    const pathOf = (b: Branch) => paths.get(b.id) ?? [];
    return {
      ...passThrough(inner),
      fork(branch) {
        const forked = inner.fork(branch);
        paths.set(forked.id, pathOf(branch));
        return forked;
      },
      release(branch) {
        paths.delete(branch.id);
        inner.release(branch);
      },
      async evaluate(requests, signal) {
        const out = await inner.evaluate(requests.map((r) => ({ ...r, topN: Math.max(r.topN, RECORDED_TOP_N) })), signal);
        return out.map((scores, i) => {
          const r = requests[i]!;
          const path = [...pathOf(r.branch), ...r.tokens];
          paths.set(r.branch.id, path);
          memo.set(keyOf(path), scores);
          return slice(scores, r.topN);
        });
      },
      ...(inner.generate ? {
        generate(request: GenerateRequest, signal?: AbortSignal) {
          const stream = inner.generate!({ ...request, topN: Math.max(request.topN, RECORDED_TOP_N) }, signal);
          if (!stream) return undefined;
          paths.set(request.branch.id, [...pathOf(request.branch), ...request.tokens]);
          return (async function* (): AsyncGenerator<GeneratedToken, GenerationEnd> {
            try {
              for (;;) {
                const next = await stream.next();
                if (next.done) return next.value;
                const path = pathOf(request.branch);
                memo.set(keyOf(path), next.value.scores);
                paths.set(request.branch.id, [...path, next.value.token]);
                yield { ...next.value, scores: slice(next.value.scores, request.topN) };
              }
            } finally {
              // A first pass that stops early (the stop rules, the deadline) must end the backend's
              // stream too: a llama-server stream holds one of the server's slots until it is closed.
              await stream.return(undefined as never);
            }
          })();
        },
      } : {}),
      ...(inner.scoresWithin ? { scoresWithin: (b: Branch, allowed: readonly number[], s?: AbortSignal) => inner.scoresWithin!(b, allowed, s) } : {}),
    };
  }

  /**
   * The model for the search, over the same prompt branch: a step along a recorded path is
   * answered from the record and its tokens wait on the branch, to be evaluated with the branch's
   * next step off the path (one batch, no extra model call), or never, if the branch ends there.
   *
   * A fork copies its source's waiting tokens, so without more, every branch that leaves the path
   * below the committed tokens would evaluate them again (MCTS: each simulation off the path
   * re-evaluated the whole committed path). So before a branch evaluates waiting tokens, it takes
   * a copy of another branch that has evaluated more of its path, cut back to what they share: a
   * KV copy instead of evaluating them again. The search holds handles of its own; the real branch
   * under a handle may change.
   */
  replaying(): LanguageModel {
    const memo = this.scores;
    const inner = this.model;
    interface Virtual { real: Branch; pending: number[]; path: number[] }
    const promptLength = this.prompt.tokens.length;
    const promptBranch = this.prompt.branch;
    const branches = new Map<number, Virtual>([[this.prompt.branch.id, { real: this.prompt.branch, pending: [], path: [] }]]);
    // Handles of forks: numbers no backend hands out, so they never meet the prompt branch's id.
    let nextHandle = 2 ** 40;
    const get = (b: Branch): Virtual => {
      const v = branches.get(b.id);
      if (!v) throw new Error(`unknown branch ${b.id}`);
      return v;
    };
    const evaluated = (v: Virtual) => v.path.length - v.pending.length;
    /** Gives `v` a copy of the branch that has evaluated the most of its path, where that saves evaluating two tokens or more. */
    const adoptEvaluated = (v: Virtual) => {
      // The prompt's branch is the caller's to release: it stays under its handle.
      if (v.real === promptBranch) return;
      let donor: Virtual | undefined;
      let shared = evaluated(v) + 1;
      for (const d of branches.values()) {
        const n = Math.min(evaluated(d), v.path.length);
        let k = 0;
        while (k < n && d.path[k] === v.path[k]) k++;
        if (d !== v && k > shared) [donor, shared] = [d, k];
      }
      if (!donor) return;
      const copy = inner.fork(donor.real);
      if (evaluated(donor) > shared && !inner.truncate?.(copy, promptLength + shared)) {
        inner.release(copy);
        return;
      }
      inner.release(v.real);
      v.real = copy;
      v.pending = v.path.slice(shared);
    };
    /** Evaluates a branch's waiting tokens before something that needs them in its state. */
    const flush = async (v: Virtual, signal?: AbortSignal) => {
      if (v.pending.length === 0) return;
      adoptEvaluated(v);
      const tokens = v.pending;
      v.pending = [];
      await inner.evaluate([{ branch: v.real, tokens, topN: 1 }], signal);
    };
    return {
      ...passThrough(inner),
      fork(branch) {
        const v = get(branch);
        const handle = { id: nextHandle++ };
        branches.set(handle.id, { real: inner.fork(v.real), pending: [...v.pending], path: [...v.path] });
        return handle;
      },
      release(branch) {
        const v = get(branch);
        branches.delete(branch.id);
        inner.release(v.real);
      },
      // Waiting tokens are dropped from the record; the real branch is truncated only below them.
      ...(inner.truncate ? {
        truncate(branch: Branch, length: number) {
          const v = get(branch);
          const keep = length - promptLength;
          const inReal = evaluated(v);
          if (keep < 0 || v.path[0] === -1) return false; // after generate(), the path is not known
          if (keep < inReal) {
            if (!inner.truncate!(v.real, length)) return false;
            v.pending = [];
          } else {
            v.pending = v.pending.slice(0, keep - inReal);
          }
          v.path = v.path.slice(0, keep);
          return true;
        },
      } : {}),
      async evaluate(requests: readonly EvaluateRequest[], signal?: AbortSignal) {
        const out: NextTokenScores[] = new Array(requests.length);
        const misses: { index: number; v: Virtual; request: EvaluateRequest }[] = [];
        requests.forEach((r, index) => {
          const v = get(r.branch);
          const path = [...v.path, ...r.tokens];
          const known = memo.get(keyOf(path));
          if (known && serves(known, r.topN)) {
            v.pending.push(...r.tokens);
            v.path = path;
            out[index] = slice(known, r.topN);
          } else {
            misses.push({ index, v, request: r });
          }
        });
        // Copies are taken before any branch of the batch moves on: each from a settled state.
        for (const { v } of misses) if (v.pending.length > 0) adoptEvaluated(v);
        const sent = misses.map(({ v, request }) => {
          const tokens = [...v.pending, ...request.tokens];
          v.pending = [];
          v.path = [...v.path, ...request.tokens];
          return { branch: v.real, tokens, topN: request.topN };
        });
        if (sent.length > 0) {
          const scores = await inner.evaluate(sent, signal);
          misses.forEach((m, i) => (out[m.index] = scores[i]!));
        }
        return out;
      },
      ...(inner.generate ? {
        generate(request: GenerateRequest, signal?: AbortSignal) {
          const v = get(request.branch);
          adoptEvaluated(v);
          const stream = inner.generate!({ ...request, branch: v.real, tokens: [...v.pending, ...request.tokens] }, signal);
          if (!stream) return undefined;
          v.pending = [];
          // The branch's path is no longer followed: generated tokens are never on a recorded path's key by accident.
          v.path = [-1];
          return stream;
        },
      } : {}),
      ...(inner.scoresWithin ? {
        async scoresWithin(b: Branch, allowed: readonly number[], s?: AbortSignal) {
          const v = get(b);
          await flush(v, s);
          return inner.scoresWithin!(v.real, allowed, s);
        },
      } : {}),
    };
  }
}
