/**
 * Will a model run on this machine? node-llama-cpp's GgufInsights estimate what the weights and
 * TokenTree's context (its context size and branches) take, from the GGUF header alone: a local
 * file, or a remote one of which only the header is fetched. Where the header cannot be read (no
 * network, a server that refuses ranges), the file size stands in, and the estimate says so.
 *
 * This loads llama.cpp's bindings, so the editor runs it in the model process.
 */

import { DEFAULT_CONTEXT_SIZE, DEFAULT_MAX_BRANCHES } from '../model/load';
import type { LlamaRuntime } from '../model/llama-runtime';
import { estimateFromFileSize, verdictFor, type MemoryBudget, type ModelFit } from './fit-verdict';

export type { FitVerdict, MemoryBudget, ModelFit } from './fit-verdict';

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
