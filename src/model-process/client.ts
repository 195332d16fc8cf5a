/**
 * The model process seen from the editor or the CLI: starts it with the runtime at hand
 * (Electron's Node in run-as-node mode inside VS Code, Node in code-server and the CLI), sends
 * requests, and turns its death into one error for everything in flight.
 */

import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CandidateTree } from '../decoding/candidate-tree';
import type { CompletionResult } from '../decoding/completion';
import { AbortError } from '../decoding/language-model';
import type { PromptParts } from '../decoding/prompt-parts';
import type { FirstListener, ModelSession, SessionRequest, SnapshotListener, WarmResult } from '../engine/session';
import type { BackendStats } from '../model/backend-stats';
import type { ModelInfo } from '../model/load';
import type { GpuChoice } from '../model/llama-runtime';
import type { MemoryBudget, ModelFit } from '../models/fit';
import type { FitSource, FromWorker, GpuProbe, ProcessHealth, Reply, ToWorker, WireConnectOptions, WireError, WireLoadOptions, WireResult } from './protocol';

/** The model process ended while requests were in flight (or before they could be sent). */
export class ModelProcessExitedError extends Error {
  override readonly name = 'ModelProcessExitedError';
  constructor(
    /** What ended it, for a person: the signal or exit code, and llama.cpp's last words. */
    readonly reason: string,
    /** The model file loaded or loading when it ended, if any. */
    readonly path: string | undefined,
    /** Whether it ended while loading that file (so the file, not the request, is to blame). */
    readonly whileLoading: boolean,
  ) {
    super(`The model process stopped${path ? ` while ${whileLoading ? 'loading' : 'running'} ${path}` : ''}: ${reason}`);
  }
}

/** An error the model process reported, rebuilt with its name, file and reason. */
export class RemoteModelError extends Error {
  constructor(wire: WireError) {
    super(wire.message);
    this.name = wire.name;
    if (wire.reason !== undefined) Object.assign(this, { reason: wire.reason });
    if (wire.path !== undefined) Object.assign(this, { path: wire.path });
  }
}

export interface ModelProcessOptions {
  /** The worker script and Node flags; default: workerScript(). */
  readonly worker?: { readonly script: string; readonly execArgv: string[] };
  /** Extra environment for the process (tests: GGML_VK_VISIBLE_DEVICES). */
  readonly env?: Readonly<Record<string, string>>;
  /** Where llama.cpp's log lines go. */
  readonly log?: (level: string, message: string) => void;
  /** Called once when the process ends without being asked to. */
  readonly onExit?: (error: ModelProcessExitedError) => void;
}

/** A message that gets a reply (everything but a wake-up). */
type RequestMessage = Exclude<ToWorker, { kind: 'wake' }>;

/** Lines of the process's stderr kept to explain its death (llama.cpp prints GGML_ASSERT there). */
const STDERR_LINES = 12;

interface Pending {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (e: unknown) => void;
  readonly kind: RequestMessage['kind'];
  readonly onSnapshot?: SnapshotListener;
  readonly onFirst?: FirstListener;
}

/** The worker script next to this code: the bundle's dist/model-worker.js, or the TypeScript source under tsx. */
export function workerScript(): { script: string; execArgv: string[] } {
  if (__filename.endsWith('.ts')) return { script: join(__dirname, 'worker.ts'), execArgv: ['--import', 'tsx'] };
  return { script: join(__dirname, 'model-worker.js'), execArgv: [] };
}

export class ModelProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private readonly stderr: string[] = [];
  private nextId = 1;
  private exited: ModelProcessExitedError | undefined;
  private closing = false;
  private readonly ready: Promise<void>;
  /** The file loaded (or being loaded), for the exit report. */
  private modelPath: string | undefined;
  private loading = false;
  private handledMs: number | undefined;

  constructor(private readonly options: ModelProcessOptions = {}) {
    const { script, execArgv } = options.worker ?? workerScript();
    if (!existsSync(script)) throw new Error(`The model process's script ${script} is missing; rebuild the extension.`);
    this.child = fork(script, [], {
      execArgv,
      // Inside VS Code process.execPath is Electron: run it as plain Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...options.env },
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) this.stderr.push(line.trim());
      this.stderr.splice(0, Math.max(0, this.stderr.length - STDERR_LINES));
    });
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (m: FromWorker) => {
        if (m.kind === 'ready') resolve();
        else this.onMessage(m);
      });
      this.child.once('exit', (code, signal) => {
        const error = this.exitError(code, signal);
        reject(error);
        this.onExit(error);
      });
      this.child.once('error', (e) => {
        const error = new ModelProcessExitedError(`it could not be started: ${e.message}`, undefined, false);
        reject(error);
        this.onExit(error);
      });
    });
    // An unstarted process is reported through the first request, not as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * How long the last reply received took inside the process, from the request's arrival to the
   * reply: the rest of the time a request took is the crossing both ways (bench/process-overhead.ts).
   * With several requests in flight at once it is whichever answered last.
   */
  get lastHandledMs(): number | undefined {
    return this.handledMs;
  }

  /** Whether the process has ended. */
  get dead(): boolean {
    return this.exited !== undefined;
  }

  /** Loads a model in the process (replacing the one it had) and returns a session over it. */
  load(options: WireLoadOptions, signal?: AbortSignal): Promise<RemoteSession> {
    return this.open(options.modelPath, { kind: 'load', id: 0, options }, signal);
  }

  /** Connects the process to a llama-server (replacing its model) and returns a session over it. */
  connect(options: WireConnectOptions, signal?: AbortSignal): Promise<RemoteSession> {
    return this.open(options.url, { kind: 'connect', id: 0, options }, signal);
  }

  private async open(source: string, message: Extract<ToWorker, { kind: 'load' | 'connect' }>, signal?: AbortSignal): Promise<RemoteSession> {
    this.modelPath = source;
    this.loading = true;
    try {
      const reply = await this.request(message, signal);
      if (reply.kind !== 'load') throw new Error(`unexpected reply ${reply.kind}`);
      return new RemoteSession(this, reply.info);
    } finally {
      this.loading = false;
    }
  }

  /** What node-llama-cpp finds for `gpu` in this process's runtime (throws when a named kind cannot load). */
  async probe(gpu: GpuChoice): Promise<GpuProbe> {
    const reply = await this.request({ kind: 'probe', id: 0, gpu });
    if (reply.kind !== 'probe') throw new Error(`unexpected reply ${reply.kind}`);
    return reply.probe;
  }

  /** Whether each model fits this machine's memory when loaded with `gpu` (fit.ts). */
  async fit(gpu: GpuChoice, sources: readonly FitSource[], timeoutMs: number, signal?: AbortSignal): Promise<{ budget: MemoryBudget; fits: readonly ModelFit[] }> {
    const reply = await this.request({ kind: 'fit', id: 0, gpu, sources, timeoutMs }, signal);
    if (reply.kind !== 'fit') throw new Error(`unexpected reply ${reply.kind}`);
    return reply;
  }

  /** Tells the process a request follows within milliseconds (see the `wake` message); nothing if it is not running. */
  wake(): void {
    this.send({ kind: 'wake' });
  }

  /** Sends one request and resolves with its reply; cancelling `signal` sends a cancel. */
  async request(message: RequestMessage, signal?: AbortSignal, onSnapshot?: SnapshotListener, onFirst?: FirstListener): Promise<Reply> {
    if (signal?.aborted) throw new AbortError();
    if (this.exited) throw this.exited;
    await this.ready;
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      const onAbort = () => this.send({ kind: 'cancel', id });
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        kind: message.kind,
        onSnapshot,
        onFirst,
        resolve: (r) => { done(); resolve(r); },
        reject: (e) => { done(); reject(e); },
      });
      this.send({ ...message, id });
    });
  }

  /** Ends the process: unloads the model first when it can, then kills it if it lingers. */
  async close(graceMs = 2000): Promise<void> {
    if (this.exited || this.closing) return;
    this.closing = true;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect?.();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }

  private send(message: ToWorker): void {
    if (this.exited || !this.child.connected) return;
    this.child.send(message);
  }

  private onMessage(m: FromWorker): void {
    if (m.kind === 'log') {
      this.options.log?.(m.level, m.message);
      return;
    }
    if (m.kind === 'ready') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.kind === 'snapshot') {
      p.onSnapshot?.(m.tree, m.elapsedMs);
      return;
    }
    if (m.kind === 'first') {
      p.onFirst?.(fromWire(m.result));
      return;
    }
    this.pending.delete(m.id);
    if (m.kind === 'reply') {
      this.handledMs = m.handledMs;
      p.resolve(m.reply);
    } else p.reject(m.error.name === 'AbortError' ? new AbortError(m.error.message) : new RemoteModelError(m.error));
  }

  private exitError(code: number | null, signal: NodeJS.Signals | null): ModelProcessExitedError {
    const how = signal === 'SIGKILL' ? 'it was killed (SIGKILL; out of memory?)'
      : signal ? `it was stopped by ${signal}` : `it exited with code ${code}`;
    // llama.cpp's assertion lines carry its build machine's source paths; the file name says enough.
    const words = this.stderr.filter((l) => /assert|error|abort|fault|memory/i.test(l)).slice(-2)
      .map((l) => l.replace(/\S*\/([\w.-]+\.(?:cpp|c|h)):(\d+)/g, '$1:$2'));
    return new ModelProcessExitedError(words.length > 0 ? `${how}: ${words.join(' | ')}` : how, this.modelPath, this.loading);
  }

  private onExit(error: ModelProcessExitedError): void {
    if (this.exited) return;
    this.exited = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    if (!this.closing) this.options.onExit?.(error);
  }
}

/**
 * Runs `body` against a model process of its own, closed afterwards: whatever loads llama.cpp's
 * bindings (a probe, a fit check, a one-off load) happens there, never in the caller's process.
 */
export async function inModelProcess<T>(body: (p: ModelProcess) => Promise<T>): Promise<T> {
  const process = new ModelProcess();
  try {
    return await body(process);
  } finally {
    await process.close();
  }
}

/** A model loaded in a model process. */
export class RemoteSession implements ModelSession {
  constructor(private readonly process: ModelProcess, readonly info: ModelInfo) {}

  async complete(request: SessionRequest, signal?: AbortSignal, onSnapshot?: SnapshotListener, onFirst?: FirstListener): Promise<CompletionResult> {
    const asks = { ...(onSnapshot ? { snapshots: true } : {}), ...(onFirst ? { first: true } : {}) };
    const reply = await this.process.request({ kind: 'complete', id: 0, request, ...asks }, signal, onSnapshot, onFirst);
    if (reply.kind !== 'complete') throw new Error(`unexpected reply ${reply.kind}`);
    return fromWire(reply.result);
  }

  wake(): void {
    this.process.wake();
  }

  async warm(parts: PromptParts, maxNewTokens: number, signal?: AbortSignal): Promise<WarmResult> {
    const reply = await this.process.request({ kind: 'warm', id: 0, parts, maxNewTokens }, signal);
    if (reply.kind !== 'warm') throw new Error(`unexpected reply ${reply.kind}`);
    return reply.result;
  }

  async stats(): Promise<BackendStats> {
    return (await this.statsAndHealth()).stats;
  }

  /** The process's memory, and branches and requests still held: all back to rest between requests. */
  async health(): Promise<ProcessHealth> {
    return (await this.statsAndHealth()).health;
  }

  private async statsAndHealth(): Promise<{ stats: BackendStats; health: ProcessHealth }> {
    const reply = await this.process.request({ kind: 'stats', id: 0 });
    if (reply.kind !== 'stats') throw new Error(`unexpected reply ${reply.kind}`);
    return reply;
  }

  async dispose(): Promise<void> {
    if (this.process.dead) return;
    await this.process.request({ kind: 'unload', id: 0 }).catch(() => undefined);
  }
}

function fromWire(result: WireResult): CompletionResult {
  return { ...result, tree: CandidateTree.fromJSON(result.tree, result.tree.maxNodes) };
}
