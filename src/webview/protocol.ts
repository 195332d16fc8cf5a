/**
 * The candidates panel's message protocol, shared by the extension side and the browser
 * side (both compile this file). Everything that crosses is plain JSON; model output is
 * carried as data and rendered with textContent only.
 */
import type { TreeNode } from '../decoding/candidate-tree';

export interface PanelToken {
  readonly text: string;
  readonly logprob: number;
  /** Nats: exact, or (with `entropyIsBound`) the least it can be where only the top N tokens were read. */
  readonly entropy: number;
  readonly entropyIsBound?: boolean;
  readonly regime?: string;
  readonly alternatives: readonly { readonly text: string; readonly logprob: number }[];
}

export interface PanelCandidate {
  readonly index: number;
  readonly text: string;
  readonly score: number;
  readonly sumLogprob: number;
  readonly meanLogprob: number;
  readonly finish: string;
  readonly visits?: number;
  readonly value?: number;
  readonly tokens: readonly PanelToken[];
  /** The text the editor would show (the stop rules applied), where they apply. */
  readonly suggestion?: string;
  /** Where the stop rules cut the candidate's text (characters of `text`) and why. */
  readonly cut?: { readonly at: number; readonly reason: string };
  /** Nothing but the text after the cursor: not offered, shown for what the search found. */
  readonly dropped?: boolean;
}

export interface PanelContext {
  readonly kind: 'definition' | 'recent';
  /** The file's path in its workspace. */
  readonly path: string;
  /** The name at the cursor that led to the declaration. */
  readonly symbol?: string;
  /** 1-based lines of the declaration. */
  readonly lines?: { readonly first: number; readonly last: number };
}

export interface PanelState {
  /** Identifies the completion; an insert message must echo it. */
  readonly requestId: number;
  readonly strategy: string;
  readonly fileName: string;
  readonly line: number;
  readonly fim: boolean;
  readonly stats: { readonly modelCalls: number; readonly tokensEvaluated: number; readonly ms: number };
  /** Token healing's re-typed text: the first tokens (of candidates and tree) spell it, the inserted text leaves it out. */
  readonly healed?: string;
  /** Anytime completion: greedy's first suggestion, and what the search did with it (or that it is still running). */
  readonly refine?: { readonly first: string; readonly note: string };
  /** The gate's verdict on the first suggestion: its predicted chance of being right, and (not shown inline) why. */
  readonly gate?: { readonly suppressed: boolean; readonly probability: number; readonly note: string };
  /** Context from other files the prompt held: declarations (symbol and lines; a click opens them) and recent files' chunks. */
  readonly context?: readonly PanelContext[];
  readonly candidates: readonly PanelCandidate[];
  readonly tree: { readonly nodeCount: number; readonly dropped: number; readonly root: TreeNode };
}

/** Every strategy's completion at one cursor, side by side ("Compare Strategies Here"). */
export interface CompareState {
  readonly fileName: string;
  readonly line: number;
  /** One per strategy run, in the order run; each can be opened as a full panel state. */
  readonly rows: readonly PanelState[];
}

/** A search in progress: its tree so far (snapshots, at most every 100 ms). */
export interface SearchState {
  readonly strategy: string;
  readonly elapsedMs: number;
  readonly tree: PanelState['tree'];
}

export type ToWebview =
  | { readonly type: 'state'; readonly state: PanelState }
  | { readonly type: 'search'; readonly search: SearchState }
  | { readonly type: 'compare'; readonly compare: CompareState }
  | { readonly type: 'empty'; readonly reason: string };

export type FromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'insert'; readonly requestId: number; readonly candidate: number }
  /** Insert the text from the cursor to a node of the explored tree, named by its token ids. */
  | { readonly type: 'insertPrefix'; readonly requestId: number; readonly tokens: readonly number[] }
  /** Stop the search the panel is drawing. */
  | { readonly type: 'cancel' }
  /** Open entry `index` of the completion's context list. */
  | { readonly type: 'openContext'; readonly requestId: number; readonly index: number };

/** Longest token path a message may name: deeper than any tree a completion builds. */
const MAX_PATH = 4096;

/** Validates a message from the webview: anything else is dropped. */
export function parseFromWebview(value: unknown): FromWebview | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if (m.type === 'ready' && Object.keys(m).length === 1) return { type: 'ready' };
  if (m.type === 'cancel' && Object.keys(m).length === 1) return { type: 'cancel' };
  if (m.type === 'insert' && Number.isSafeInteger(m.requestId) && Number.isSafeInteger(m.candidate) && (m.candidate as number) >= 0 && Object.keys(m).length === 3) {
    return { type: 'insert', requestId: m.requestId as number, candidate: m.candidate as number };
  }
  if (m.type === 'openContext' && Number.isSafeInteger(m.requestId) && Number.isSafeInteger(m.index) && (m.index as number) >= 0 && Object.keys(m).length === 3) {
    return { type: 'openContext', requestId: m.requestId as number, index: m.index as number };
  }
  if (m.type === 'insertPrefix' && Number.isSafeInteger(m.requestId) && Array.isArray(m.tokens) && Object.keys(m).length === 3) {
    const tokens = m.tokens as unknown[];
    if (tokens.length === 0 || tokens.length > MAX_PATH || !tokens.every((t) => Number.isSafeInteger(t) && (t as number) >= 0)) return undefined;
    return { type: 'insertPrefix', requestId: m.requestId as number, tokens: tokens as number[] };
  }
  return undefined;
}
