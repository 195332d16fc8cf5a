import { commonPrefixLength } from '../common-prefix';
import type { Branch } from '../language-model';
import type { Search } from './mcts-search';

/**
 * MCTS's branches beyond the committed one: a finished simulation's branch is kept, and the next
 * simulation whose path starts the same way truncates it (LanguageModel.truncate) instead of
 * forking the committed branch and decoding the path again. Where the backend cannot truncate,
 * every simulation forks.
 *
 * A held branch's positions below the committed path are what the next simulations through them
 * would otherwise decode again, so they are kept while there is room: a simulation down a new path
 * forks rather than cut one back, and the commit copies the branch that went through the token.
 * A fork copies KV (a whole stream in node-llama-cpp 3.22.1), which costs far less than decoding
 * a token on a compute-bound model (docs/benchmarks.md, The cost of a branch).
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
    // The most of the path first; among equals, the one that loses least: the shortest.
    .sort((a, b) => b.shared - a.shared || a.h.tokens.length - b.h.tokens.length);
  const room = search.held.length < capacity(search);
  for (const { h, shared } of ranked) {
    // A branch that shares only the committed path would lose its own path's positions, which
    // the next simulation through them decodes again; while there is room, a fork (a copy of the
    // KV, no decode) keeps them.
    if (room && shared === committed.length && h.tokens.length > shared) break;
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
  while (search.held.length > capacity(search)) search.m.release(search.held.shift()!.branch);
}

/** Held branches at most: with the committed branch and a batch in flight, well within the 16 branches a model loads with. */
const capacity = (search: Search) => Math.max(1, search.o.parallel) + 1;

/**
 * After a commit: held branches that went elsewhere are released; and when `adopt`, one that went
 * through the committed token, truncated after it (a copy of it, where it went further), becomes
 * the committed branch (no decode). False when none did, or not asked (the caller decodes the token).
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
  if (i < 0) return false;
  const h = search.held[i]!;
  if (h.tokens.length > n && search.m.truncates) {
    // It holds positions below the token, which the next simulations go through: a copy of it
    // becomes the committed branch (a KV copy, where decoding them again costs a model's step).
    const copy = search.m.fork(h.branch);
    if (search.m.truncate(copy, search.promptLength + n)) return adoptBranch(search, copy);
    search.m.release(copy);
  }
  if (!search.m.truncate(h.branch, search.promptLength + n)) return false;
  search.held.splice(i, 1);
  return adoptBranch(search, h.branch);
}

function adoptBranch(search: Search, branch: Branch): true {
  search.m.release(search.branch);
  search.branch = branch;
  return true;
}

/** Releases every held branch (the search is over). */
export function releaseHeld(search: Search): void {
  for (const h of search.held.splice(0)) search.m.release(h.branch);
}

