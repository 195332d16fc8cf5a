/**
 * Loading a GGUF into a ready LanguageModel: file checks, backend and thread choice, one context
 * with a sequence per branch, FIM detection. The one entry point the CLI and the extension use.
 */

import { resolve } from 'node:path';
import type { LlamaContext, LlamaModel } from 'node-llama-cpp';
import { vocabularyIndex } from '../decoding/token-healing';
import { AbortError } from '../decoding/language-model';
import { textBeforeCursor, type PromptParts } from '../decoding/prompt-parts';
import { createBatchPlanner } from './batching';
import { ModelError, ModelFileError, ModelLoadError, NoGenerationHeadError } from './errors';
import { buildCompletionPrompt, detectFim, type CompletionPrompt, type FimFormat, type VocabView } from './fim';
import { checkModelFile } from './gguf-check';
import { canShiftKv } from './kv-shift';
import { PromptLayout } from './prompt-layout';
import { createDriver } from './llama-internals';
import type { BackendStats } from './backend-stats';
import { LlamaLanguageModel } from './llama-language-model';
import { flushLog, getRuntime, type GpuChoice } from './llama-runtime';
import { RequestScheduler } from './scheduler';
import { SlotTable } from './slots';
import type { CompletionBackend } from './backend';
import { chooseThreads, type BackendName, type ThreadsOption } from './threads';

export interface LoadModelOptions {
  readonly modelPath: string;
  /** 'auto': CUDA, Vulkan or Metal when available, else CPU. false: CPU only. A named kind must load. */
  readonly gpu?: GpuChoice;
  readonly gpuLayers?: number | 'auto' | 'max';
  /** 'auto' follows threads.ts (1 for tiny models on CPU, physical cores - 1 otherwise). */
  readonly threads?: ThreadsOption;
  /** Tokens per branch; default min(training context, 2048). Memory grows with contextSize × maxBranches. */
  readonly contextSize?: number;
  /** llama.cpp sequences, i.e. branches alive at once (prompt and prefix cache included). */
  readonly maxBranches?: number;
  readonly batchSize?: number;
  /** Prompt tokens per llama_decode; cancellation is checked between chunks. */
  readonly promptChunk?: number;
  /**
   * Most prompt-lookup tokens greedy drafts per decode (src/model/drafted-greedy.ts; the same
   * tokens as without, in fewer decodes); 0 turns drafting off. Default DEFAULT_DRAFT_TOKENS.
   */
  readonly draftTokens?: number;
  /** 'direct' (default) uses node-llama-cpp internals where present; 'public' forces controlledEvaluate. */
  readonly scoring?: 'direct' | 'public';
  /** 'native' (default) copies KV state on fork where node-llama-cpp allows; 'replay' re-evaluates. */
  readonly stateCopy?: 'native' | 'replay';
  /** Reuse a cached prompt past a stale stretch by shifting it (default true where the architecture allows: kv-shift.ts). */
  readonly kvShift?: boolean;
  readonly signal?: AbortSignal;
  /**
   * false skips the header check (gguf-check.ts) and hands the file to llama.cpp as it is: only
   * for tests that prove the model process survives what llama.cpp does with a bad file.
   */
  readonly checkHeader?: boolean;
}

export interface ModelInfo {
  readonly path: string;
  readonly architecture: string;
  readonly sizeBytes: number;
  /**
   * The backend that runs the model: 'cpu' also when a GPU build loaded but no device or layer is
   * used; 'server' for a llama-server (then `server` says which).
   */
  readonly backend: BackendName | 'server';
  readonly server?: ServerInfo;
  /** Why a GPU build ended on the CPU; absent otherwise. */
  readonly backendNote?: string;
  /** The GPU devices llama.cpp uses, by name; empty on the CPU. */
  readonly devices: readonly string[];
  /** Layers offloaded to the GPU (0 on the CPU). */
  readonly gpuLayers: number;
  /** GPU memory at load time, in bytes; absent on the CPU. */
  readonly vram?: { readonly total: number; readonly used: number; readonly free: number };
  readonly threads: number;
  readonly threadsReason: string;
  readonly contextSize: number;
  readonly maxBranches: number;
  readonly vocabSize: number;
  /** The model's FIM format; null means prefix-only completion. */
  readonly fim: FimFormat | null;
  readonly scoring: 'direct' | 'public';
  readonly copying: 'native' | 'replay';
  /** Whether prompts may reuse cache past a stale stretch (KV shift). */
  readonly kvShift: boolean;
}

export interface ServerInfo {
  readonly url: string;
  readonly slots: number;
  /** llama-server's build_info, e.g. "b6000-abc1234". */
  readonly build: string;
  /** The model file on the server's machine, as the server reports it. */
  readonly modelPath: string;
}

export interface PromptOptions {
  /** Tokens kept free in the context for the completion. */
  readonly maxNewTokens: number;
  /** Largest share of the prompt room the suffix may take; default 0.25. */
  readonly suffixShare?: number;
  /**
   * 'stable' (default): src/model/prompt-layout.ts. 'legacy': the layout before it (prefix and
   * suffix as two texts, other files as comments at the top), for side-by-side measurements.
   */
  readonly layout?: 'stable' | 'legacy';
}

export interface LoadedModel extends CompletionBackend {
  readonly languageModel: LlamaLanguageModel;
  /** The node-llama-cpp model, for callers that compare against its own generation (benchmarks). */
  readonly llamaModel: LlamaModel;
  readonly info: ModelInfo;
  readonly stats: BackendStats;
  readonly scheduler: RequestScheduler;
  /** Prompt tokens for completing at a cursor (FIM when the model has it). */
  buildPrompt(parts: PromptParts, options: PromptOptions): CompletionPrompt;
  /** Plain text to tokens (no BOS; special-token spellings stay text). */
  tokenize(text: string): number[];
  dispose(): Promise<void>;
}

export const DEFAULT_MAX_BRANCHES = 16;
export const DEFAULT_CONTEXT_SIZE = 2048;
export const DEFAULT_DRAFT_TOKENS = 8;

export async function loadModel(options: LoadModelOptions): Promise<LoadedModel> {
  const path = resolve(options.modelPath);
  const runtime = await getRuntime(options.gpu ?? 'auto');
  const { lib, llama } = runtime;
  const file = await checkModelFile(path, (p) => lib.readGgufFileInfo(p, { sourceType: 'filesystem', logWarnings: false }), { header: options.checkHeader ?? true });
  const tokenList = file.info.metadata?.tokenizer?.ggml?.tokens;
  if (!Array.isArray(tokenList) || tokenList.length === 0) {
    throw new ModelFileError(path, 'no-vocabulary', `${path} has no tokenizer vocabulary, so it cannot be used for text completion.`);
  }
  // A GPU build with no usable device runs on the CPU: report it so, and choose CPU threads.
  const devices = runtime.backend === 'cpu' ? [] : await llama.getGpuDeviceNames().catch(() => []);
  let backend: BackendName = runtime.backend;
  let backendNote: string | undefined;
  if (backend !== 'cpu' && devices.length === 0) {
    backendNote = `the ${backend} build loaded but found no ${backend} device`;
    backend = 'cpu';
  }
  const threads = chooseThreads({
    requested: options.threads ?? 'auto', backend, mathCores: llama.cpuMathCores, modelBytes: file.sizeBytes,
  });
  const maxBranches = options.maxBranches ?? DEFAULT_MAX_BRANCHES;
  if (!Number.isInteger(maxBranches) || maxBranches < 1) throw new RangeError(`maxBranches must be a positive integer, got ${maxBranches}`);

  const mark = runtime.logMark();
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: path, gpuLayers: options.gpuLayers ?? 'auto', loadSignal: options.signal });
  } catch (err) {
    if (options.signal?.aborted) throw new AbortError('Loading the model was cancelled');
    await flushLog();
    throw explainLoadFailure(path, runtime.logSince(mark).filter((l) => !l.startsWith('warn')), err);
  }
  let context: LlamaContext | undefined;
  const planner = createBatchPlanner();
  try {
    const train = model.trainContextSize || DEFAULT_CONTEXT_SIZE;
    context = await model.createContext({
      contextSize: options.contextSize ?? Math.min(train, DEFAULT_CONTEXT_SIZE),
      sequences: maxBranches,
      threads: threads.threads,
      batchSize: options.batchSize ?? 512,
      // A smaller context than asked for would silently break the prompt budget.
      failedCreationRemedy: false,
      batching: { itemPrioritizationStrategy: planner.plan },
    });
    const sequences = Array.from({ length: maxBranches }, () => context!.getSequence());
    const vocab = vocabView(model, tokenList as string[]);
    const fim = detectFim(vocab);
    const layout = new PromptLayout(vocab, fim);
    const kvShift = (options.kvShift ?? true) && canShiftKv(file.architecture);
    const driver = createDriver(context, sequences[0]!, tokenList.length, {
      scoring: options.scoring ?? 'direct', copying: options.stateCopy ?? 'native',
    });
    const languageModel = new LlamaLanguageModel(model, new SlotTable(sequences, kvShift), driver, planner.counters, {
      vocabSize: tokenList.length,
      contextSize: context.contextSize,
      endTokens: new Set(fim?.endTokens ?? []),
      promptChunk: options.promptChunk ?? 256,
      draftTokens: options.draftTokens ?? DEFAULT_DRAFT_TOKENS,
    });
    // Token healing's lookup of token texts: one pass over the vocabulary, here rather than in the first keystroke's completion.
    vocabularyIndex(languageModel);
    const gpuLayers = backend === 'cpu' ? 0 : model.gpuLayers;
    if (backend !== 'cpu' && gpuLayers === 0) {
      backendNote = `the ${backend} build offloaded no layers`;
      backend = 'cpu';
    }
    const vram = backend === 'cpu' ? undefined : await llama.getVramState().then((v) => ({ total: v.total, used: v.used, free: v.free }), () => undefined);
    const info: ModelInfo = {
      path, architecture: file.architecture, sizeBytes: file.sizeBytes, backend,
      ...(backendNote ? { backendNote } : {}), devices: backend === 'cpu' ? [] : devices, gpuLayers, ...(vram ? { vram } : {}),
      threads: threads.threads, threadsReason: threads.reason, contextSize: context.contextSize, maxBranches,
      vocabSize: tokenList.length, fim, scoring: driver.scoring, copying: driver.copying, kvShift,
    };
    const ownedContext = context;
    const scheduler = new RequestScheduler();
    const buildPrompt = (parts: PromptParts, o: PromptOptions) => {
      const sizes = { contextSize: ownedContext.contextSize, maxNewTokens: o.maxNewTokens, suffixShare: o.suffixShare };
      if (o.layout !== 'legacy') return layout.build(parts, sizes);
      return buildCompletionPrompt(vocab, fim, legacyPrefix(parts) + textBeforeCursor(parts), parts.suffix, sizes);
    };
    return {
      scheduler,
      languageModel,
      llamaModel: model,
      info,
      get stats() {
        return languageModel.stats;
      },
      buildPrompt,
      preparePrompt: async (parts, o) => buildPrompt(parts, o),
      tokenize: (text) => vocab.tokenize(text),
      tokenizeText: async (text) => vocab.tokenize(text),
      dispose: async () => {
        scheduler.cancelAll(new AbortError('The model was closed'));
        await languageModel.close();
        await ownedContext.dispose();
        await model.dispose();
      },
    };
  } catch (err) {
    await context?.dispose();
    await model.dispose();
    if (err instanceof ModelError || err instanceof RangeError) throw err;
    throw new ModelLoadError(path, [`creating the context failed: ${(err as Error).message}`], { cause: err });
  }
}

/** Other files as the legacy layout put them: comment-labelled text at the top of the prefix. */
function legacyPrefix(parts: PromptParts): string {
  if (!parts.comment) return '';
  return (parts.extra ?? []).map((c) => `${parts.comment} ${c.path}\n${c.text}\n`).join('');
}

/** Maps what llama.cpp logged while refusing a file to the matching error. */
export function explainLoadFailure(path: string, log: string[], cause: unknown): Error {
  const text = log.join('\n');
  const missing = /missing tensor '([^']+)'/.exec(text);
  if (missing !== null && /^(output|token_embd)\./.test(missing[1]!)) {
    return new NoGenerationHeadError(path, `llama.cpp found no ${missing[1]} tensor`);
  }
  if (/not within the file bounds|corrupted or incomplete/.test(text)) {
    return new ModelFileError(path, 'truncated', `${path} is truncated or corrupted: ${log[log.length - 1] ?? ''}`, { cause });
  }
  return new ModelLoadError(path, log.length > 0 ? log.slice(-4) : [(cause as Error)?.message ?? String(cause)], { cause });
}

function vocabView(model: LlamaModel, pieces: readonly string[]): VocabView {
  return {
    llamaFim: {
      prefix: model.tokens.infill.prefix, suffix: model.tokens.infill.suffix, middle: model.tokens.infill.middle,
    },
    bos: model.tokens.bos,
    addBos: model.tokens.shouldPrependBosToken,
    findTokens(spellings) {
      const wanted = new Set(spellings);
      const found = new Map<string, number>();
      pieces.forEach((piece, id) => {
        if (wanted.has(piece) && !found.has(piece)) found.set(piece, id);
      });
      return found;
    },
    tokenPiece: (id) => pieces[id] ?? '',
    tokenText: (id) => model.detokenize([id as never], true),
    tokenize: (text) => model.tokenize(text, false).map(Number),
  };
}
