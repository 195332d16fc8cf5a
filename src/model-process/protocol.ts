/**
 * The messages between the editor (or CLI) and the model process. Requests carry plain data
 * (Node's advanced IPC serialization: structured clone, so -Infinity log-probabilities survive);
 * one message goes each way per request, never one per token (a search the panel draws live also
 * sends snapshots of its tree, at most every 100 ms, and an anytime completion its first suggestion
 * before the reply).
 */

import type { CompletionResult } from '../decoding/completion';
import type { TreeJSON } from '../decoding/candidate-tree';
import type { PromptParts } from '../decoding/prompt-parts';
import type { SessionRequest, WarmResult } from '../engine/session';
import type { BackendStats } from '../model/backend-stats';
import type { LoadModelOptions, ModelInfo } from '../model/load';
import type { GpuChoice } from '../model/llama-runtime';
import type { MemoryBudget, ModelFit } from '../models/fit';

/** Load options that can cross the boundary (cancellation travels as a `cancel` message). */
export type WireLoadOptions = Omit<LoadModelOptions, 'signal'>;

/** A llama-server to use instead of a model file (src/model/server). */
export interface WireConnectOptions {
  readonly url: string;
  readonly apiKey?: string;
  readonly timeoutMs?: number;
}

export type ToWorker =
  | { readonly kind: 'load'; readonly id: number; readonly options: WireLoadOptions }
  /** Connects to a llama-server (replacing the model the process had); answered like a load. */
  | { readonly kind: 'connect'; readonly id: number; readonly options: WireConnectOptions }
  /** `first`: send an anytime completion's first suggestion as a `first` message before the reply. */
  | { readonly kind: 'complete'; readonly id: number; readonly request: SessionRequest; readonly snapshots?: boolean; readonly first?: boolean }
  | { readonly kind: 'warm'; readonly id: number; readonly parts: PromptParts; readonly maxNewTokens: number }
  | { readonly kind: 'stats'; readonly id: number }
  | { readonly kind: 'unload'; readonly id: number }
  /** What a load with `gpu` would get (no model): the GPU status and the test-load of a binary package. */
  | { readonly kind: 'probe'; readonly id: number; readonly gpu: GpuChoice }
  /** Whether models fit this machine's memory under `gpu` (fit.ts), from their headers; no model needed. */
  | { readonly kind: 'fit'; readonly id: number; readonly gpu: GpuChoice; readonly sources: readonly FitSource[]; readonly timeoutMs: number }
  /** Cancels the request `id` (a load, a completion or a warm-up); no reply of its own. */
  | { readonly kind: 'cancel'; readonly id: number }
  /**
   * A request follows within milliseconds (the editor's debounce is ending); no reply. Its
   * arrival is the point: the process is scheduled now, not when the request arrives.
   */
  | { readonly kind: 'wake' };

/** A completion result with its tree as data (the class is rebuilt on the other side). */
export type WireResult = Omit<CompletionResult, 'tree'> & { readonly tree: TreeJSON & { readonly maxNodes: number } };

/** What a soak test or a status view checks of the model process. */
export interface ProcessHealth {
  readonly rssBytes: number;
  /** The JavaScript heap in use: the figure a leak in our own code moves. */
  readonly heapUsedBytes: number;
  /** Whether a full garbage collection ran just before (only in a process started with --expose-gc). */
  readonly collected: boolean;
  /** Branches handed out and not released (0 between requests). */
  readonly liveBranches: number;
  /** Requests waiting for their turn on the model. */
  readonly queued: number;
}

export interface WireError {
  readonly name: string;
  readonly message: string;
  /** ModelFileError's reason, and the file, where the error has them. */
  readonly reason?: string;
  readonly path?: string;
}

export type Reply =
  | { readonly kind: 'load'; readonly info: ModelInfo }
  | { readonly kind: 'complete'; readonly result: WireResult }
  | { readonly kind: 'warm'; readonly result: WarmResult }
  | { readonly kind: 'stats'; readonly stats: BackendStats; readonly health: ProcessHealth }
  | { readonly kind: 'unload' }
  | { readonly kind: 'probe'; readonly probe: GpuProbe }
  | { readonly kind: 'fit'; readonly budget: MemoryBudget; readonly fits: readonly ModelFit[] };

/** A model to check: a path or URI, and its file size for when its header cannot be read. */
export interface FitSource {
  readonly uri: string;
  readonly sizeBytes?: number;
}

/** What node-llama-cpp finds for a GPU choice, from the model process. */
export interface GpuProbe {
  /** GPU kinds node-llama-cpp finds the system able to run (drivers and libraries present). */
  readonly supported: readonly string[];
  /** The backend a load gets: 'cpu' when a GPU build finds no device. */
  readonly backend: string;
  readonly devices: readonly string[];
  readonly vram?: { readonly total: number; readonly used: number; readonly free: number };
  /** Why a GPU build ends on the CPU (no device), when it does. */
  readonly note?: string;
}

export type FromWorker =
  | { readonly kind: 'ready' }
  /** `handledMs`: from the request's arrival in the process to this reply, so the client can tell the work from the crossing. */
  | { readonly kind: 'reply'; readonly id: number; readonly reply: Reply; readonly handledMs: number }
  /** The growing tree of completion `id` (only when its request asked for snapshots), at most every 100 ms. */
  | { readonly kind: 'snapshot'; readonly id: number; readonly tree: TreeJSON; readonly elapsedMs: number }
  /** The first suggestion of anytime completion `id` (only when its request asked for it); the reply brings the final one. */
  | { readonly kind: 'first'; readonly id: number; readonly result: WireResult }
  | { readonly kind: 'error'; readonly id: number; readonly error: WireError }
  /** llama.cpp's log (warnings and errors), for the editor's output channel. */
  | { readonly kind: 'log'; readonly level: string; readonly message: string };

export function toWireError(e: unknown): WireError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const { reason, path } = e as Error & { reason?: unknown; path?: unknown };
  return {
    name: e.name,
    message: e.message,
    ...(typeof reason === 'string' ? { reason } : {}),
    ...(typeof path === 'string' ? { path } : {}),
  };
}
