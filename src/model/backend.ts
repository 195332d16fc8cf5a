import type { LanguageModel } from '../decoding/language-model';
import type { PromptParts } from '../decoding/prompt-parts';
import type { CompletionPrompt } from './fim';
import type { BackendStats } from './backend-stats';
import type { ModelInfo, PromptOptions } from './load';
import type { RequestScheduler } from './scheduler';

/**
 * What completing at a cursor needs of a model, wherever it runs: llama.cpp in this process
 * (load.ts) or a llama-server (server/connect.ts).
 */
export interface CompletionBackend {
  /** `liveBranches`: branches handed out and not released (0 between requests). */
  readonly languageModel: LanguageModel & { readonly liveBranches: number };
  readonly info: ModelInfo;
  readonly stats: BackendStats;
  /** Turns on the model: completeAt and warmAt run through it. */
  readonly scheduler: RequestScheduler;
  /** Prompt tokens for completing at a cursor (a server's tokenizer is asked over the network first). */
  preparePrompt(parts: PromptParts, options: PromptOptions, signal?: AbortSignal): Promise<CompletionPrompt>;
  /** Plain text to tokens (no BOS; special-token spellings stay text). */
  tokenizeText(text: string, signal?: AbortSignal): Promise<number[]>;
  dispose(): Promise<void>;
}
