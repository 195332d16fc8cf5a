/**
 * Connecting to a llama-server: its metadata (/props, /v1/models), the vocabulary and FIM tokens
 * of its model, and a CompletionBackend whose prompts use the same layout as the in-process one.
 */

import { AbortError } from '../../decoding/language-model';
import { vocabularyIndex } from '../../decoding/token-healing';
import type { CompletionBackend } from '../backend';
import { detectFim } from '../fim';
import { PromptLayout } from '../prompt-layout';
import { RequestScheduler } from '../scheduler';
import type { ModelInfo } from '../load';
import { ServerCapabilityError } from './errors';
import { ServerClient, type ServerClientOptions } from './http';
import { ServerLanguageModel } from './server-language-model';
import { RequestLimit } from './request-limit';
import { ServerVocabulary } from './server-vocab';

const MAX_VOCABULARY = 1_000_000;

export interface ConnectOptions extends ServerClientOptions {
  readonly url: string;
  readonly signal?: AbortSignal;
}

export interface ServerBackend extends CompletionBackend {
  readonly languageModel: ServerLanguageModel;
}

interface Props {
  readonly total_slots?: number;
  readonly default_generation_settings?: { readonly n_ctx?: number };
  readonly eos_token?: string;
  readonly build_info?: string;
  readonly model_path?: string;
}

interface Models {
  readonly data?: readonly { readonly meta?: { readonly n_vocab?: number } }[];
}

export async function connectServer(options: ConnectOptions): Promise<ServerBackend> {
  const client = new ServerClient(options.url, options);
  const { signal } = options;
  const props = await client.get<Props>('/props', signal);
  const models = await client.get<Models>('/v1/models', signal);
  const slots = need(client, props.total_slots, '/props total_slots');
  client.limitConnections(slots);
  const contextSize = need(client, props.default_generation_settings?.n_ctx, '/props default_generation_settings.n_ctx');
  const vocabSize = need(client, models.data?.[0]?.meta?.n_vocab, '/v1/models data[0].meta.n_vocab');
  // The largest vocabularies are about 260,000 tokens; a server claiming far more is refused
  // rather than read in thousands of requests.
  if (vocabSize > MAX_VOCABULARY) throw new ServerCapabilityError(client.url, `llama-server at ${client.url} reports a vocabulary of ${vocabSize} tokens; TokenTree reads at most ${MAX_VOCABULARY}.`);
  const vocab = await ServerVocabulary.read(client, vocabSize, props.eos_token ?? '', signal);
  const fim = detectFim(vocab);
  if (fim === null) {
    throw new ServerCapabilityError(client.url, `The model llama-server at ${client.url} runs (${props.model_path ?? 'unknown'}) has no fill-in-the-middle tokens, so it cannot complete between the text before and after the cursor. Run a FIM code model there (Qwen2.5-Coder, DeepSeek-Coder, StarCoder2, CodeLlama, Codestral).`);
  }
  const ends = vocab.endTokens();
  for (const t of fim.endTokens) ends.add(t);
  const languageModel = new ServerLanguageModel(client, vocab, new RequestLimit(slots), contextSize, ends, props.build_info);
  // Token healing's lookup of token texts: one pass over the vocabulary, at connect as at a local load, not in the first keystroke.
  vocabularyIndex(languageModel);
  const layout = new PromptLayout(vocab, fim);
  const info: ModelInfo = {
    path: client.url, architecture: 'llama-server', sizeBytes: 0, backend: 'server',
    server: { url: client.url, slots, build: props.build_info ?? 'unknown', modelPath: props.model_path ?? 'unknown' },
    devices: [], gpuLayers: 0, threads: 0, threadsReason: 'the server chooses its threads',
    contextSize, maxBranches: slots, vocabSize, fim, scoring: 'direct', copying: 'native', kvShift: false,
  };
  const scheduler = new RequestScheduler();
  return {
    languageModel,
    info,
    scheduler,
    get stats() {
      return languageModel.stats;
    },
    preparePrompt: async (parts, o, promptSignal) => {
      await vocab.ensure(layout.textsFor(parts), promptSignal);
      return layout.build(parts, { contextSize, maxNewTokens: o.maxNewTokens, suffixShare: o.suffixShare });
    },
    tokenizeText: async (text, textSignal) => {
      await vocab.ensure([text], textSignal);
      return vocab.tokenize(text);
    },
    dispose: async () => {
      scheduler.cancelAll(new AbortError('The server connection was closed'));
      languageModel.close();
    },
  };
}

function need(client: ServerClient, value: number | undefined, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ServerCapabilityError(client.url, `llama-server at ${client.url} sent no ${field}; TokenTree needs a llama-server from 2025 or later.`);
  }
  return value;
}
