import * as vscode from 'vscode';
import type { ModelSession } from '../engine/session';
import { builtinModelPath } from '../model/builtin';
import type { ModelInfo } from '../model/load';
import { ModelProcess, ModelProcessExitedError } from '../model-process/client';
import { readModelSettings, type ModelSettings } from './settings';
import { CrashPolicy } from './crash-policy';

/** Where the model runs, for the status bar: backend, devices, layers offloaded, VRAM at load. */
export type Hardware = Pick<ModelInfo, 'backend' | 'backendNote' | 'devices' | 'gpuLayers' | 'vram' | 'server'>;

export type ModelState = { kind: 'idle' } | { kind: 'loading' } | { kind: 'ready'; builtin: boolean; hardware: Hardware } | { kind: 'error'; message: string };

/**
 * The model's lifecycle in the editor. The model runs in a process of its own (src/model-process),
 * loaded lazily on the first completion with a progress notification, reloaded when its settings
 * change. A load error is shown once, with actions; later requests fail quietly until the
 * settings change, so a broken model path never nags on every keystroke. If the process dies,
 * that is said once with the reason and the file, the process restarts after a backoff, and a
 * file that killed it is not loaded again until the user chooses it again.
 */
export class ModelHost implements vscode.Disposable {
  private process?: ModelProcess;
  private loading?: Promise<ModelSession>;
  private loaded?: ModelSession;
  private failure?: Error;
  private readonly crashes = new CrashPolicy();
  private restartTimer?: ReturnType<typeof setTimeout>;
  private readonly changed = new vscode.EventEmitter<ModelState>();
  readonly onDidChangeState = this.changed.event;
  state: ModelState = { kind: 'idle' };

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly actions: { selectModel(): void; showLog(): void },
    /** The llama-server API key, from VS Code's secret storage. */
    private readonly serverApiKey: () => Thenable<string | undefined> = async () => undefined,
  ) {}

  /** The loaded model, loading it if needed; throws the load error (shown once) on failure. */
  get(): Promise<ModelSession> {
    if (this.loaded) return Promise.resolve(this.loaded);
    if (this.failure) return Promise.reject(this.failure);
    const wait = this.crashes.waitMs();
    if (wait > 0) return Promise.reject(new Error(`The model process restarts in ${Math.ceil(wait / 1000)} s`));
    this.loading ??= this.load(readModelSettings());
    return this.loading;
  }

  /** A completion follows within milliseconds: wakes the model process if a model is loaded (never starts a load). */
  wake(): void {
    this.loaded?.wake?.();
  }

  /** The user chose a model (again): a file that stopped the model process may be tried once more. */
  choose(path?: string): void {
    this.crashes.forgive(path);
    this.failure = undefined;
  }

  /**
   * Ends the model process as well as the model: the next load starts a new one, which finds
   * binary packages installed since (a GPU build).
   */
  async restart(): Promise<void> {
    await this.reset();
    const process = this.process;
    this.process = undefined;
    await process?.close();
  }

  /** Drops the current model (e.g. its settings changed); the next request loads again. */
  async reset(): Promise<void> {
    const old = this.loaded ?? (await this.loading?.catch(() => undefined));
    this.loaded = undefined;
    this.loading = undefined;
    this.failure = undefined;
    this.setState({ kind: 'idle' });
    await old?.dispose().catch((e: unknown) => this.log.error(`Unloading the model failed: ${String(e)}`));
  }

  async dispose(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.loaded = undefined;
    this.loading = undefined;
    const process = this.process;
    this.process = undefined;
    await process?.close();
    this.changed.dispose();
  }

  private async load(settings: ModelSettings): Promise<ModelSession> {
    if (settings.serverUrl !== '') return this.connect(settings);
    const builtin = settings.modelPath === '';
    const path = builtin ? builtinModelPath() : settings.modelPath;
    const refused = this.crashes.refusal(path);
    if (refused) {
      this.failure = new Error(refused);
      this.loading = undefined;
      this.setState({ kind: 'error', message: refused });
      throw this.failure;
    }
    this.setState({ kind: 'loading' });
    this.log.info(`Loading ${builtin ? 'the built-in model' : 'model'} ${path} in the model process`);
    try {
      const process = this.startProcess();
      const session = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `TokenTree: loading ${builtin ? 'the built-in model' : path}…` },
        () => process.load({ modelPath: path, gpu: settings.gpu, gpuLayers: settings.gpuLayers, threads: settings.threads, contextSize: settings.contextSize }),
      );
      this.loaded = session;
      const i = session.info;
      const where = i.devices.length > 0 ? ` on ${i.devices.join(', ')}, ${i.gpuLayers} layers offloaded` : i.backendNote ? ` (${i.backendNote})` : '';
      this.log.info(`Model ready (process ${process.pid}): ${i.architecture}, ${i.backend} backend${where}, ${i.threads} threads (${i.threadsReason}), context ${i.contextSize}, FIM ${i.fim ? i.fim.family : 'none (prefix-only prompts)'}`);
      this.setState({ kind: 'ready', builtin, hardware: { backend: i.backend, backendNote: i.backendNote, devices: i.devices, gpuLayers: i.gpuLayers, vram: i.vram } });
      return session;
    } catch (e) {
      throw this.fail(e, 'Model load failed', (message) => this.offerActions(`TokenTree could not load the model: ${message}`));
    }
  }

  /** A llama-server instead of a model file: the model process holds the connection. */
  private async connect(settings: ModelSettings): Promise<ModelSession> {
    const url = settings.serverUrl;
    this.setState({ kind: 'loading' });
    this.log.info(`Connecting to llama-server at ${url} from the model process`);
    try {
      const process = this.startProcess();
      const apiKey = (await this.serverApiKey()) || undefined;
      const session = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `TokenTree: connecting to ${url}…` },
        () => process.connect({ url, apiKey, timeoutMs: settings.serverTimeoutMs }),
      );
      this.loaded = session;
      const i = session.info;
      this.log.info(`llama-server ready at ${url}: ${i.server?.build}, ${i.server?.slots} slots, model ${i.server?.modelPath}, context ${i.contextSize} per slot, vocabulary ${i.vocabSize}, FIM ${i.fim?.family}`);
      this.setState({ kind: 'ready', builtin: false, hardware: { backend: i.backend, devices: i.devices, gpuLayers: i.gpuLayers, server: i.server } });
      return session;
    } catch (e) {
      throw this.fail(e, 'Connecting to llama-server failed', (message) => {
        void vscode.window.showErrorMessage(`TokenTree: ${message}`, 'Open Settings', 'Show Log').then((pick) => {
          if (pick === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'tokentree.server');
          if (pick === 'Show Log') this.actions.showLog();
        });
      });
    }
  }

  /**
   * A load or connection that failed: kept, so later requests fail quietly until the settings
   * change; logged and shown once. A crash is not: onCrash reports it, once.
   */
  private fail(e: unknown, what: string, show: (message: string) => void): Error {
    this.loading = undefined;
    if (e instanceof ModelProcessExitedError) return e;
    const error = e instanceof Error ? e : new Error(String(e));
    this.failure = error;
    this.log.error(`${what}: ${error.message}`);
    this.setState({ kind: 'error', message: error.message });
    show(error.message);
    return error;
  }

  private startProcess(): ModelProcess {
    if (this.process && !this.process.dead) return this.process;
    this.process = new ModelProcess({
      log: (level, message) => (level === 'error' ? this.log.error(message) : this.log.debug(message)),
      onExit: (e) => this.onCrash(e),
    });
    return this.process;
  }

  private onCrash(e: ModelProcessExitedError): void {
    this.process = undefined;
    this.loaded = undefined;
    this.loading = undefined;
    const { delayMs, refused } = this.crashes.record(e);
    this.log.error(e.message);
    this.setState({ kind: 'error', message: e.message });
    const next = refused
      ? `TokenTree will not load ${e.path} again until you choose it again.`
      : `TokenTree restarts it in ${Math.ceil(delayMs / 1000)} s; the editor is not affected.`;
    this.offerActions(`TokenTree: the ${e.message.replace(/^The /, '')}. ${next}`);
    clearTimeout(this.restartTimer);
    if (!refused) this.restartTimer = setTimeout(() => void this.get().catch(() => undefined), delayMs);
  }

  private offerActions(message: string): void {
    void vscode.window.showErrorMessage(message, 'Select Model File', 'Show Log').then((choice) => {
      if (choice === 'Select Model File') this.actions.selectModel();
      else if (choice === 'Show Log') this.actions.showLog();
    });
  }

  private setState(state: ModelState): void {
    this.state = state;
    this.changed.fire(state);
  }
}
