import { relative } from 'node:path';
import type { CompletionResult } from '../decoding/completion';
import type { LineSource } from '../decoding/prompt-parts';
import type { StrategyName } from '../decoding/strategy';
import { ModelEngine } from '../engine/model-engine';
import { localSession } from '../engine/session';
import type { PromptOptions } from '../model/load';
import type { CompletionBackend } from '../model/backend';
import { CompletionController, type CompletionEngine, type EngineRequest } from '../providers/completion-controller';
import type { ControllerSettings } from '../providers/controller-settings';
import { controllerSettings, DEFAULTS_ONLY } from '../host/setting-rules';
import { RequestGate } from '../providers/request-gate';
import { hardwareStats, oneLine, readPosition, withBackend } from './complete';
import { CliUsageError } from './errors';
import { languageIdOf } from './language';
import { cliDefinitionSource } from '../context/cli-definitions';
import type { DefinitionSource } from '../providers/definition-snapshots';

/** The editor's default `tokentree.maxTokens`. */
const DEFAULT_MAX_TOKENS = 48;

export interface TypingOptions {
  /** The file's text before typing. */
  readonly text: string;
  /** Its path relative to the workspace (for the prompt's file name) and its language id. */
  readonly path: string;
  readonly languageId: string;
  /** Where to type what, in order: each segment moves the cursor (0-based, in the text as it is by then) and types one character per request. */
  readonly segments: readonly TypingSegment[];
  readonly strategy: StrategyName;
  readonly maxTokens: number;
  readonly seed: number;
  /** The prompt layout and the window's block size; 'legacy' and 1 only for side-by-side measurements. */
  readonly layout?: PromptOptions['layout'];
  readonly blockLines?: number;
  readonly settings?: Partial<ControllerSettings>;
  /** Declarations of the names at the cursor, as the editor's language server gives them; absent: TypeScript's language service over the file (`path` from the working directory); false: none. */
  readonly definitions?: DefinitionSource | false;
  /** A user who stops after the first key of each segment: this long a pause (the controller's idle time, `idleMs`, then its background work). */
  readonly pauseAfterFirstKeyMs?: number;
  readonly idleMs?: number;
}

export interface TypingSegment {
  readonly line: number;
  readonly character: number;
  readonly typed: string;
}

export interface Keystroke {
  readonly key: string;
  /** Which segment it belongs to, and whether it is the segment's first (the cursor just moved there). */
  readonly segment: number;
  readonly first: boolean;
  /** The prompt's size, and how much of it this keystroke evaluated (0 when served from the cache). */
  readonly promptTokens: number;
  readonly promptTokensEvaluated: number;
  /** Prompt tokens kept through a KV shift (close to a fresh evaluation, not equal to it). */
  readonly promptTokensShifted: number;
  /** Keystroke to the final suggestion, through the whole controller (the replay waits for it). */
  readonly ms: number;
  /** Keystroke to the first suggestion shown: greedy's, for an anytime completion of a search strategy; else `ms`. */
  readonly firstMs: number;
  /** A later suggestion (the search's) replaced the first one. */
  readonly refined: boolean;
  /** The strategy stopped at the time budget (a candidate cut there, or its search as long as the budget): its result depends on the machine's speed. */
  readonly budgetCut: boolean;
  /**
   * Decoding time (0 when no model call): the strategy's, plus greedy's first pass where the
   * completion was anytime, since that pass spends the same keystroke's time and budget.
   */
  readonly decodeMs: number;
  /** Served from the controller's cache without a model call. */
  readonly cached: boolean;
  /** The final suggestion shown. */
  readonly suggestion: string | null;
  /** The completion's error, when it failed (the editor logs it and shows nothing). */
  readonly error?: string;
}

export interface TypingReport {
  readonly keystrokes: readonly Keystroke[];
  readonly summary: {
    readonly medianPromptTokensEvaluated: number;
    readonly p50Ms: number;
    readonly p95Ms: number;
    readonly p50FirstMs: number;
    readonly p95FirstMs: number;
    /** Share of the keystrokes that asked the model whose first suggestion was replaced. */
    readonly refinedRate: number;
    readonly cacheHitRate: number;
  };
}

/** Records the foreground completion each keystroke caused. */
class RecordingEngine implements CompletionEngine {
  last?: CompletionResult;
  /** The first pass's decoding time of the last foreground completion (0 without one). */
  lastFirstPassMs = 0;
  constructor(private readonly inner: CompletionEngine) {}
  async complete(request: EngineRequest, signal: AbortSignal, onFirst?: (r: CompletionResult) => void): Promise<CompletionResult> {
    let firstPassMs = 0;
    const result = await this.inner.complete(request, signal, onFirst && ((first) => {
      firstPassMs = first.stats.ms;
      onFirst(first);
    }));
    if (!request.background) {
      this.last = result;
      this.lastFirstPassMs = firstPassMs;
    }
    return result;
  }
  warm(request: EngineRequest, signal: AbortSignal): Promise<void> {
    return this.inner.warm(request, signal);
  }
}

/** The file being typed into: its lines and the cursor. */
class TypingBuffer {
  readonly lines: string[];
  line = 0;
  character = 0;

  constructor(text: string) {
    this.lines = text.split(/\r?\n/);
  }

  /** The lines as they are now, read as the editor's TextDocument is. */
  get document(): LineSource {
    return { lineCount: this.lines.length, lineAt: (i) => this.lines[i]! };
  }

  moveTo(line: number, character: number): void {
    if (line < 0 || line >= this.lines.length || character < 0 || character > this.lines[line]!.length) {
      throw new RangeError(`line ${line + 1}, column ${character + 1} is outside the file`);
    }
    this.line = line;
    this.character = character;
  }

  type(key: string): void {
    const current = this.lines[this.line]!;
    if (key === '\n') {
      this.lines.splice(this.line, 1, current.slice(0, this.character), current.slice(this.character));
      this.line++;
      this.character = 0;
    } else {
      this.lines[this.line] = current.slice(0, this.character) + key + current.slice(this.character);
      this.character += key.length;
    }
  }
}

/**
 * Replays typing through the editor's own completion controller (its prompt window, cache, stop
 * rules, prefetch and default settings), with no debounce: one request per character, newlines
 * included, each awaited before the next key.
 */
export async function replayTyping(model: CompletionBackend, o: TypingOptions): Promise<TypingReport> {
  const session = localSession(model);
  const engine = new RecordingEngine(new ModelEngine(async () => session, () => ({
    call: { name: o.strategy, options: { maxTokens: o.maxTokens, seed: o.seed } }, codeAwareWeight: 0,
  }), o.layout));
  const settings: ControllerSettings = { ...controllerSettings(DEFAULTS_ONLY), ...o.settings };
  const gate = new RequestGate(() => 0);
  let error: string | undefined;
  const definitions = o.definitions === false ? undefined : o.definitions ?? cliDefinitionSource(o.path);
  const controller = new CompletionController(engine, () => settings, gate, { onError: (e) => (error = e instanceof Error ? e.message : String(e)) }, { blockLines: o.blockLines, definitions, ...(o.idleMs !== undefined ? { idleMs: o.idleMs } : {}) });
  const buffer = new TypingBuffer(o.text);
  const keystrokes: Keystroke[] = [];
  try {
    for (const [segment, { line, character, typed }] of o.segments.entries()) {
      buffer.moveTo(line, character);
      for (const [k, key] of [...typed].entries()) {
        buffer.type(key);
        engine.last = undefined;
        error = undefined;
        const t0 = performance.now();
        const suggestions = await controller.provide({
          documentKey: `file:///${o.path}`, languageId: o.languageId, document: buffer.document,
          line: buffer.line, character: buffer.character, path: o.path, automatic: true,
        });
        const firstMs = performance.now() - t0;
        // As the editor: the first suggestion shows now; the replay waits for the search before the next key.
        const refinement = await controller.refinement();
        const ms = performance.now() - t0;
        const r = engine.last as CompletionResult | undefined;
        const shown = refinement?.replaced ? refinement.final : suggestions;
        keystrokes.push({
          key,
          segment,
          first: k === 0,
          promptTokens: r?.promptTokens ?? 0,
          promptTokensEvaluated: r?.promptTokensEvaluated ?? 0,
          promptTokensShifted: r?.promptTokensShifted ?? 0,
          ms,
          firstMs,
          refined: refinement?.replaced ?? false,
          // A search stopped by time need not end a candidate there (MCTS commits fewer simulations): the keystroke's time says so too.
          budgetCut: r !== undefined && (r.candidates.some((c) => c.finish === 'budget') || ms >= 0.95 * settings.timeBudgetMs),
          decodeMs: r === undefined ? 0 : r.stats.ms + engine.lastFirstPassMs,
          cached: r === undefined && suggestions !== undefined,
          suggestion: shown?.[0]?.text ?? null,
          ...(error === undefined ? {} : { error }),
        });
        if (k === 0 && o.pauseAfterFirstKeyMs !== undefined) {
          await new Promise((resolve) => setTimeout(resolve, o.pauseAfterFirstKeyMs));
          await gate.settled();
        }
      }
    }
  } finally {
    controller.dispose();
    await gate.settled();
    if (o.definitions === undefined) (definitions as ReturnType<typeof cliDefinitionSource>).dispose();
  }
  return { keystrokes, summary: summarize(keystrokes) };
}

function summarize(keys: readonly Keystroke[]): TypingReport['summary'] {
  return {
    medianPromptTokensEvaluated: quantile(keys.map((k) => k.promptTokensEvaluated), 0.5),
    p50Ms: quantile(keys.map((k) => k.ms), 0.5),
    p95Ms: quantile(keys.map((k) => k.ms), 0.95),
    p50FirstMs: quantile(keys.map((k) => k.firstMs), 0.5),
    p95FirstMs: quantile(keys.map((k) => k.firstMs), 0.95),
    refinedRate: keys.filter((k) => k.refined).length / Math.max(1, keys.filter((k) => !k.cached).length),
    cacheHitRate: keys.filter((k) => k.cached).length / Math.max(1, keys.length),
  };
}

/** The value at rank ⌈q·n⌉ (nearest rank); 0 for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** `tokentree type`: the contract other tools rely on (see README). */
export async function runType(argv: readonly string[]): Promise<string> {
  const p = readPosition(argv, { text: 'string' }, DEFAULT_MAX_TOKENS);
  if (typeof p.flags.text !== 'string' || p.flags.text === '') throw new CliUsageError('--text is required (the characters to type; newlines included)');
  const line = Number(p.flags.line) - 1;
  const character = Number(p.flags.column) - 1;
  const path = relative(process.cwd(), p.file) || p.file;
  const { report, info } = await withBackend(p, async (m) => ({
    info: m.info,
    report: await replayTyping(m, {
      text: p.text, path, languageId: languageIdOf(p.file), segments: [{ line, character, typed: p.flags.text as string }],
      strategy: p.strategy, maxTokens: p.maxTokens, seed: p.seed, ...(p.context === 'none' ? { definitions: false as const } : {}),
    }),
  }));
  if (p.json) {
    return JSON.stringify({
      keystrokes: report.keystrokes.map((k) => ({
        key: k.key, promptTokens: k.promptTokens, promptTokensEvaluated: k.promptTokensEvaluated, ms: k.ms, firstMs: k.firstMs, refined: k.refined, budgetCut: k.budgetCut, cached: k.cached, suggestion: k.suggestion,
        promptTokensShifted: k.promptTokensShifted, decodeMs: k.decodeMs, ...(k.error === undefined ? {} : { error: k.error }),
      })),
      summary: report.summary,
      stats: hardwareStats(info),
    });
  }
  const rows = report.keystrokes.map((k) => `${oneLine(k.key, 4).padEnd(4)} ${String(k.promptTokensEvaluated).padStart(5)}/${String(k.promptTokens).padEnd(5)} ${k.ms.toFixed(1).padStart(8)} ms ${k.cached ? 'cached' : '      '}  ${oneLine(k.suggestion ?? '-', 60)}`);
  const s = report.summary;
  return [
    'key  evaluated/prompt tokens      ms          suggestion',
    ...rows,
    `median prompt tokens evaluated ${s.medianPromptTokensEvaluated} · p50 ${s.p50Ms.toFixed(1)} ms · p95 ${s.p95Ms.toFixed(1)} ms · cache hits ${(100 * s.cacheHitRate).toFixed(0)}%`,
  ].join('\n');
}
