import { commonPrefixLength } from '../common-prefix';
import type { Branch } from '../language-model';
import type { Search } from './mcts-search';

/**
 * MCTS's branches beyond the committed one: a finished simulation's branch is kept, and the next
 * simulation whose path starts the same way truncates it (LanguageModel.truncate) instead of
 * forking the committed branch and decoding the path again. Where the backend cannot truncate,
 * every simulation forks.
 */

/** A finished simulation's branch, kept for the next simulation whose path starts the same way. */
export interface HeldBranch {
  readonly branch: Branch;
  /** Its tokens after the prompt: the committed path's, then the simulation's path and rollout. */
  readonly tokens: number[];
}

/**
 * A branch for a simulation about to read after `committed` and its `pending` tokens: the held
 * branch that already holds the longest start of them (all the committed tokens at least),
 * truncated there, else a fork of the committed branch; and the tokens it still lacks. A branch
 * the backend will not truncate there (token healing, before the removed text is re-typed) is
 * passed over.
 */
export function branchFor(search: Search, committed: readonly number[], pending: readonly number[]): [HeldBranch, number[]] {
  const want = [...committed, ...pending];
  const ranked = search.held
    .map((h) => ({ h, shared: commonPrefixLength(h.tokens, want) }))
    .filter((x) => x.shared >= committed.length)
    .sort((a, b) => b.shared - a.shared);
  for (const { h, shared } of ranked) {
    if (!search.m.truncate(h.branch, search.promptLength + shared)) continue;
    search.held.splice(search.held.indexOf(h), 1);
    h.tokens.length = shared;
    return [h, want.slice(shared)];
  }
  return [{ branch: search.m.fork(search.branch), tokens: [...committed] }, [...pending]];
}

/**
 * Keeps a finished simulation's branch for the next ones. Where every held branch can serve, a
 * simulation forks only when none is held; but where the backend refuses a truncation (token
 * healing's first token), simulations fork while branches are held: beyond `parallel` + 1, the
 * longest held is released.
 */
export function hold(search: Search, h: HeldBranch): void {
  search.held.push(h);
  while (search.held.length > Math.max(1, search.o.parallel) + 1) search.m.release(search.held.shift()!.branch);
}

/**
 * After a commit: held branches that went elsewhere are released; and when `adopt`, one that went
 * through the committed token, truncated after it, becomes the committed branch (no decode). False
 * when none did, or not asked (the caller decodes the token).
 */
export function commitHeld(search: Search, committed: readonly number[], adopt: boolean): boolean {
  const n = committed.length;
  for (let i = search.held.length - 1; i >= 0; i--) {
    const h = search.held[i]!;
    if (h.tokens.length >= n && commonPrefixLength(h.tokens, committed) === n) continue;
    search.m.release(h.branch);
    search.held.splice(i, 1);
  }
  // The one that held least below the token: the others stay for the next simulations.
  let i = -1;
  if (adopt) search.held.forEach((h, j) => (i = h.tokens.length >= n && (i < 0 || h.tokens.length < search.held[i]!.tokens.length) ? j : i));
  if (i < 0 || !search.m.truncate(search.held[i]!.branch, search.promptLength + n)) return false;
  const [h] = search.held.splice(i, 1);
  search.m.release(search.branch);
  search.branch = h!.branch;
  return true;
}

/** Releases every held branch (the search is over). */
export function releaseHeld(search: Search): void {
  for (const h of search.held.splice(0)) search.m.release(h.branch);
}

