import { readTextFile } from './files';
import { partsFromText, type ContextChunk } from '../decoding/prompt-parts';
import { relative } from 'node:path';
import { definitionsAt } from '../context/cli-definitions';
import { lineComment } from '../providers/context-ring';
import { languageIdOf } from './language';
import { isStrategyName, STRATEGY_NAMES } from '../decoding/strategies';
import type { StrategyName } from '../decoding/strategy';
import { builtinModelPath } from '../model/builtin';
import type { CompletionResult } from '../engine/complete';
import type { ModelSession } from '../engine/session';
import { inModelProcess } from '../model-process/client';
import { loadModel, type ModelInfo } from '../model/load';
import type { CompletionBackend } from '../model/backend';
import { connectServer, type ServerBackend } from '../model/server/connect';
import { normaliseServerUrl } from '../model/server/http';
import { localSession } from '../engine/session';
import type { GpuChoice } from '../model/llama-runtime';
import { quoteText } from '../decoding/describe-value';
import { stopContextAt } from '../decoding/stop-rules';
import { parseFlags, splitAt } from './args';
import { CliUsageError } from './errors';
import { SETTING_RULES } from '../host/setting-rules';

const FLAGS = { file: 'string', line: 'int', column: 'int', model: 'string', server: 'string', strategy: 'string', 'max-tokens': 'int', seed: 'int', json: 'bool', gpu: 'string', 'gpu-layers': 'string', 'no-healing': 'bool', context: 'string' } as const;
/** Files above this are refused: a completion needs the text around the cursor, not 100 MB. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** The editor's default `tokentree.firstSuggestionMs`. */
const FIRST_SUGGESTION_MS = SETTING_RULES.firstSuggestionMs.default;

export interface Position {
  file: string;
  text: string;
  prefix: string;
  suffix: string;
  model: string;
  maxTokens: number;
  seed: number;
  json: boolean;
  strategy: StrategyName;
  /** False with --no-healing. */
  healing: boolean;
  /** --gpu and --gpu-layers: the backend asked for and the layers to offload. */
  hardware: { gpu: GpuChoice; gpuLayers: number | 'max' | 'auto' };
  /** --server: a llama-server's URL instead of a model file. */
  server?: string;
  /** --context: declarations of the names at the cursor from TypeScript's language service (TS/JS files), or none. */
  context: 'definitions' | 'none';
  /** Those declarations, once looked up (completeAsEditor puts them in the prompt). */
  extra?: readonly ContextChunk[];
}

/** `--gpu auto|cuda|vulkan|off` and `--gpu-layers N|max`. */
function readHardware(f: Record<string, string | number | boolean>): Position['hardware'] {
  const gpu = String(f.gpu ?? 'auto');
  if (!['auto', 'cuda', 'vulkan', 'off'].includes(gpu)) throw new CliUsageError(`--gpu must be auto, cuda, vulkan or off (got ${quoteText(gpu)})`);
  const layers = String(f['gpu-layers'] ?? 'auto');
  if (layers !== 'max' && layers !== 'auto' && !/^\d{1,4}$/.test(layers)) throw new CliUsageError(`--gpu-layers must be a number of layers or max (got ${quoteText(layers)})`);
  return { gpu: gpu === 'off' ? false : (gpu as GpuChoice), gpuLayers: layers === 'max' || layers === 'auto' ? layers : Number(layers) };
}

export function readPosition(argv: readonly string[], extraFlags: Record<string, 'string' | 'int' | 'bool'> = {}, defaultMaxTokens = 32): Position & { flags: Record<string, string | number | boolean> } {
  const f = parseFlags(argv, { ...FLAGS, ...extraFlags });
  for (const required of ['file', 'line', 'column']) if (f[required] === undefined) throw new CliUsageError(`--${required} is required`);
  const file = String(f.file);
  const text = readTextFile(file, '--file', MAX_FILE_BYTES);
  const strategy = String(f.strategy ?? 'greedy');
  if (!isStrategyName(strategy)) throw new CliUsageError(`--strategy must be one of ${STRATEGY_NAMES.join(', ')}`);
  const maxTokens = Number(f['max-tokens'] ?? defaultMaxTokens);
  if (maxTokens < 1 || maxTokens > 1024) throw new CliUsageError('--max-tokens must be between 1 and 1024');
  const context = String(f.context ?? 'definitions');
  if (context !== 'definitions' && context !== 'none') throw new CliUsageError('--context must be definitions or none');
  const seed = Number(f.seed ?? 0);
  if (seed < 0 || seed > 2 ** 31 - 1) throw new CliUsageError(`--seed must be between 0 and ${2 ** 31 - 1}`);
  return {
    file,
    text: text.replace(/\r\n/g, '\n'),
    ...splitAt(text, Number(f.line), Number(f.column)),
    model: String(f.model ?? builtinModelPath()),
    maxTokens,
    seed,
    json: f.json === true,
    strategy,
    healing: f['no-healing'] !== true,
    context,
    hardware: readHardware(f),
    ...readServer(f),
    flags: f,
  };
}

/** `--server URL` (not with --model): the model runs on a llama-server. */
export function readServer(f: Record<string, string | number | boolean>): { server?: string } {
  if (f.server === undefined) return {};
  if (f.model !== undefined) throw new CliUsageError('--server and --model exclude each other: the server runs its own model');
  try {
    return { server: normaliseServerUrl(String(f.server)) };
  } catch (e) {
    throw new CliUsageError(`--server: ${(e as Error).message}`);
  }
}

/** A llama-server connection for the CLI; the API key comes from TOKENTREE_SERVER_KEY, never a flag (shell history). */
export function connectCliServer(url: string): Promise<ServerBackend> {
  return connectServer({ url, apiKey: process.env.TOKENTREE_SERVER_KEY || undefined });
}

/** The position's model as a session: on its llama-server, or in a model process of its own. */
export async function withSession<T>(p: Position, body: (m: ModelSession) => Promise<T>): Promise<T> {
  if (p.server === undefined) return withModelProcess(p.model, body, p.hardware);
  return withBackend(p, (b) => body(localSession(b)));
}

/** The position's model as a backend in this process: its llama-server, or the file loaded here. */
export async function withBackend<T>(p: Pick<Position, 'server' | 'model' | 'hardware'>, body: (m: CompletionBackend) => Promise<T>): Promise<T> {
  const backend = p.server === undefined ? await loadModel({ modelPath: p.model, ...p.hardware }) : await connectCliServer(p.server);
  try {
    return await body(backend);
  } finally {
    await backend.dispose();
  }
}

/**
 * The model in a model process of its own, as the editor runs it: a file that makes llama.cpp
 * abort ends that process, and the CLI exits 1 with the reason instead of dying by a signal.
 */
export async function withModelProcess<T>(path: string, body: (m: ModelSession) => Promise<T>, hardware?: Position['hardware']): Promise<T> {
  return inModelProcess(async (p) => body(await p.load({ modelPath: path, ...hardware })));
}

/**
 * The editor's completion at a position: its prompt window and layout, and its stop rules.
 * `firstSuggestionMs`: as the editor's anytime completion (greedy's suggestion first, then the
 * strategy's own result, which it does not change), so the result's `firstMs` says when the
 * editor would show something.
 */
export function completeAsEditor(m: ModelSession, p: Position, strategy: StrategyName, firstSuggestionMs?: number): Promise<CompletionResult> {
  const parts = { ...partsFromText(p.prefix, p.suffix), ...(p.extra?.length ? { extra: p.extra, path: relative(process.cwd(), p.file) || p.file, comment: lineComment(languageIdOf(p.file)) } : {}) };
  const request = { parts, strategy, options: { maxTokens: p.maxTokens, seed: p.seed }, stop: stopContextAt(p.prefix, p.suffix, parts.suffix), healing: p.healing };
  if (firstSuggestionMs === undefined || strategy === 'greedy') return m.complete(request);
  return m.complete({ ...request, firstSuggestionMs }, undefined, undefined, () => undefined);
}

/** The contract other tools rely on (see README). */
/** Where the model ran, in a line: backend, device and layers offloaded. */
export function describeHardware(info: ModelInfo): string {
  const h = hardwareStats(info);
  if (info.server) return `backend llama-server at ${info.server.url} (${info.server.build}, ${info.server.slots} slots, model ${info.server.modelPath})`;
  return `backend ${h.backend}${h.device ? ` on ${h.device}, ${h.gpuLayers} layers offloaded` : ''}${info.backendNote ? ` (${info.backendNote})` : ''}`;
}

/** Where the model ran: the JSON `stats` fields every command shares. */
export function hardwareStats(info: ModelInfo): { backend: string; device: string | null; gpuLayers: number; backendNote?: string; server?: ModelInfo['server'] } {
  return { backend: info.backend, device: info.devices[0] ?? null, gpuLayers: info.gpuLayers, ...(info.backendNote ? { backendNote: info.backendNote } : {}), ...(info.server ? { server: info.server } : {}) };
}

export function completionJson(r: CompletionResult, info?: ModelInfo): object {
  return {
    strategy: r.strategy,
    fim: r.fim,
    ...(r.healed !== undefined ? { healed: r.healed } : {}),
    ...(r.dropped?.length ? { droppedRepeats: r.dropped.map((c) => c.text) } : {}),
    candidates: r.candidates.map((c) => ({
      text: c.text,
      ...(c.shown ? { suggestion: c.shown.text } : {}),
      ...(c.shown?.reason ? { cut: { at: c.shown.cutAt, reason: c.shown.reason } } : {}),
      score: c.score,
      tokens: c.steps.map((s) => ({ text: s.text, logprob: s.logprob, entropy: s.entropy })),
    })),
    stats: {
      modelCalls: r.stats.modelCalls, tokensEvaluated: r.stats.tokensEvaluated, ms: r.stats.ms, promptTokens: r.promptTokens,
      ...(r.firstMs !== undefined ? { firstMs: r.firstMs } : {}), ...(info ? hardwareStats(info) : {}),
    },
  };
}

export const oneLine = (text: string, width = 60) => {
  const flat = JSON.stringify(text).slice(1, -1);
  return flat.length > width ? flat.slice(0, width - 1) + '…' : flat;
};

/** The position with its definitions looked up, where --context asks for them. */
export async function withDefinitions<T extends Position>(p: T): Promise<T> {
  return p.context === 'definitions' ? { ...p, extra: await definitionsAt(p.file, languageIdOf(p.file), p.prefix, p.suffix) } : p;
}

export async function runComplete(argv: readonly string[]): Promise<string> {
  const p = await withDefinitions(readPosition(argv));
  const { result, info } = await withSession(p, async (m) => ({ result: await completeAsEditor(m, p, p.strategy, FIRST_SUGGESTION_MS), info: m.info }));
  if (p.json) return JSON.stringify(completionJson(result, info));
  const lines = [`${result.strategy}${result.fim ? '' : ' (no FIM tokens: prefix-only prompt)'} · ${result.stats.modelCalls} model calls · ${result.stats.tokensEvaluated} tokens evaluated · ${result.stats.ms.toFixed(1)} ms`];
  if (result.healed !== undefined) lines.push(`token healing re-typed ${JSON.stringify(result.healed)}`);
  result.candidates.forEach((c, i) => lines.push(`#${i + 1} score ${c.score.toFixed(3)} mean logprob ${c.meanLogprob.toFixed(3)}  ${oneLine(c.shown?.text ?? c.text, 100)}${c.shown?.reason ? `  (cut: ${c.shown.reason})` : ''}`));
  for (const c of result.dropped ?? []) lines.push(`dropped (nothing but the text after the cursor): ${oneLine(c.text, 60)}`);
  return lines.join('\n');
}

export async function runCompare(argv: readonly string[]): Promise<string> {
  const p = await withDefinitions(readPosition(argv));
  const rows: string[][] = [['strategy', 'suggestion', 'score', 'calls', 'ms']];
  const info = await withSession(p, async (m) => {
    for (const strategy of STRATEGY_NAMES) {
      const r = await completeAsEditor(m, p, strategy);
      const best = r.candidates[0];
      rows.push([strategy, oneLine(best?.shown?.text ?? best?.text ?? ''), best ? best.score.toFixed(3) : '-', String(r.stats.modelCalls), r.stats.ms.toFixed(1)]);
    }
    return m.info;
  });
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const table = rows.map((r) => r.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  '));
  return [...table, describeHardware(info)].join('\n');
}
