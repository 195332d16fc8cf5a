/**
 * Will a model run on this machine? node-llama-cpp's GgufInsights estimate what the weights and
 * TokenTree's context (its context size and branches) take, from the GGUF header alone: a local
 * file, or a remote one of which only the header is fetched. Where the header cannot be read (no
 * network, a server that refuses ranges), the file size stands in, and the estimate says so.
 *
 * This loads llama.cpp's bindings, so the editor runs it in the model process.
 */

import { totalmem } from 'node:os';
import { DEFAULT_CONTEXT_SIZE, DEFAULT_MAX_BRANCHES } from '../model/load';
import type { LlamaRuntime } from '../model/llama-runtime';

export type FitVerdict = 'fits' | 'tight' | "won't fit";

/** The memory a model has to live in: the GPU's when a GPU build found a device, else RAM. */
export interface MemoryBudget {
  readonly kind: 'VRAM' | 'RAM';
  readonly totalBytes: number;
  /** RAM as well, where a model too big for VRAM can spill its remaining layers. */
  readonly ramBytes: number;
}

export interface ModelFit {
  readonly source: string;
  /** Memory the model and TokenTree's context need, in the budget's kind of memory. */
  readonly neededBytes: number;
  readonly verdict: FitVerdict;
  /** 'header': node-llama-cpp's insights from the GGUF header; 'file size': the header could not be read. */
  readonly basis: 'header' | 'file size';
  /** Why the header could not be read (basis 'file size'). */
  readonly headerError?: string;
}

/**
 * Shares of memory a model may take and still leave the editor, the OS and other programs room:
 * RAM is shared with everything, VRAM mostly with a desktop.
 */
const COMFORTABLE = { RAM: 0.5, VRAM: 0.85 } as const;
const AT_MOST = { RAM: 0.8, VRAM: 1 } as const;
/**
 * Without a header: the weights, plus KV cache and compute buffers, which grow with the model but
 * have a floor (TokenTree keeps 16 branches of up to 2,048 tokens each).
 */
const estimateFromFileSize = (sizeBytes: number) => sizeBytes * 1.2 + 0.5e9;

export function verdictFor(neededBytes: number, budget: MemoryBudget): FitVerdict {
  if (neededBytes <= COMFORTABLE[budget.kind] * budget.totalBytes) return 'fits';
  if (neededBytes <= AT_MOST[budget.kind] * budget.totalBytes) return 'tight';
  // Layers that do not fit in VRAM run from RAM: slower, but it runs.
  if (budget.kind === 'VRAM' && neededBytes <= budget.totalBytes + AT_MOST.RAM * budget.ramBytes) return 'tight';
  return "won't fit";
}

export async function memoryBudget(runtime: LlamaRuntime): Promise<MemoryBudget> {
  const ramBytes = totalmem();
  const devices = runtime.backend === 'cpu' ? [] : await runtime.llama.getGpuDeviceNames();
  if (devices.length === 0) return { kind: 'RAM', totalBytes: ramBytes, ramBytes };
  const vram = await runtime.llama.getVramState();
  return { kind: 'VRAM', totalBytes: vram.total, ramBytes };
}

/** Estimates from the header, or from `sizeBytes` where the header cannot be read within `timeoutMs`. */
export async function fitOf(runtime: LlamaRuntime, budget: MemoryBudget, source: { uri: string; sizeBytes?: number }, timeoutMs: number, signal?: AbortSignal): Promise<ModelFit> {
  try {
    const neededBytes = await neededFromHeader(runtime, budget, source.uri, anySignal(signal, timeoutMs));
    return { source: source.uri, neededBytes, verdict: verdictFor(neededBytes, budget), basis: 'header' };
  } catch (err) {
    if (signal?.aborted) throw err;
    const headerError = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    if (source.sizeBytes === undefined) throw new Error(`the header of ${source.uri} could not be read (${headerError})`);
    const neededBytes = estimateFromFileSize(source.sizeBytes);
    return { source: source.uri, neededBytes, verdict: verdictFor(neededBytes, budget), basis: 'file size', headerError };
  }
}

async function neededFromHeader(runtime: LlamaRuntime, budget: MemoryBudget, uri: string, signal: AbortSignal): Promise<number> {
  const { readGgufFileInfo, GgufInsights } = runtime.lib;
  const info = await readGgufFileInfo(uri, {
    signal,
    logWarnings: false,
    fetchRetryOptions: { retries: 0 },
    // The vocabulary is most of a header and says nothing about memory.
    ignoreKeys: ['tokenizer.ggml.tokens', 'tokenizer.ggml.scores', 'tokenizer.ggml.token_type', 'tokenizer.ggml.merges'],
  });
  const insights = await GgufInsights.from(info, runtime.llama);
  const gpuLayers = budget.kind === 'VRAM' ? insights.totalLayers : 0;
  // As load.ts loads it: its context size per branch and its number of branches.
  const contextSize = Math.min(insights.trainContextSize ?? DEFAULT_CONTEXT_SIZE, DEFAULT_CONTEXT_SIZE);
  const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers, useMmap: false });
  const context = await insights.estimateContextResourceRequirementsV2({ contextSize, modelGpuLayers: gpuLayers, sequences: DEFAULT_MAX_BRANCHES });
  return budget.kind === 'VRAM' ? model.gpuVram + context.gpuVram : model.cpuRam + context.cpuRam;
}

function anySignal(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}
