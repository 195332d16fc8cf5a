import * as vscode from 'vscode';
import { builtinModelPath } from '../model/builtin';
import { loadModel, type LoadedModel } from '../model/load';
import { readModelSettings, type ModelSettings } from './settings';

export type ModelState = { kind: 'idle' } | { kind: 'loading' } | { kind: 'ready'; builtin: boolean; backend: string } | { kind: 'error'; message: string };

/**
 * The model's lifecycle in the editor: loaded lazily on the first completion with a
 * progress notification, reloaded when its settings change, disposed on deactivate. A
 * load error is shown once, with actions; later requests fail quietly until the settings
 * change, so a broken model path never nags on every keystroke.
 */
export class ModelHost implements vscode.Disposable {
  private loading?: Promise<LoadedModel>;
  private loaded?: LoadedModel;
  private failure?: Error;
  private readonly changed = new vscode.EventEmitter<ModelState>();
  readonly onDidChangeState = this.changed.event;
  state: ModelState = { kind: 'idle' };

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly actions: { selectModel(): void; showLog(): void },
  ) {}

  /** The loaded model, loading it if needed; throws the load error (shown once) on failure. */
  get(): Promise<LoadedModel> {
    if (this.loaded) return Promise.resolve(this.loaded);
    if (this.failure) return Promise.reject(this.failure);
    this.loading ??= this.load(readModelSettings());
    return this.loading;
  }

  /** Drops the current model (e.g. its settings changed); the next request loads again. */
  async reset(): Promise<void> {
    const old = this.loaded ?? (await this.loading?.catch(() => undefined));
    this.loaded = undefined;
    this.loading = undefined;
    this.failure = undefined;
    this.setState({ kind: 'idle' });
    await old?.dispose().catch((e: unknown) => this.log.error(`Disposing the model failed: ${String(e)}`));
  }

  async dispose(): Promise<void> {
    await this.reset();
    this.changed.dispose();
  }

  private async load(settings: ModelSettings): Promise<LoadedModel> {
    const builtin = settings.modelPath === '';
    const path = builtin ? builtinModelPath() : settings.modelPath;
    this.setState({ kind: 'loading' });
    this.log.info(`Loading ${builtin ? 'the built-in model' : 'model'} ${path}`);
    try {
      const loaded = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `TokenTree: loading ${builtin ? 'the built-in model' : path}…` },
        () => loadModel({ modelPath: path, gpu: settings.gpu, threads: settings.threads, contextSize: settings.contextSize }),
      );
      this.loaded = loaded;
      const i = loaded.info;
      this.log.info(`Model ready: ${i.architecture}, ${i.backend} backend, ${i.threads} threads (${i.threadsReason}), context ${i.contextSize}, FIM ${i.fim ? i.fim.family : 'none (prefix-only prompts)'}`);
      this.setState({ kind: 'ready', builtin, backend: i.backend });
      return loaded;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.failure = error;
      this.loading = undefined;
      this.log.error(`Model load failed: ${error.message}`);
      this.setState({ kind: 'error', message: error.message });
      void vscode.window.showErrorMessage(`TokenTree could not load the model: ${error.message}`, 'Select Model File', 'Show Log').then((choice) => {
        if (choice === 'Select Model File') this.actions.selectModel();
        else if (choice === 'Show Log') this.actions.showLog();
      });
      throw error;
    }
  }

  private setState(state: ModelState): void {
    this.state = state;
    this.changed.fire(state);
  }
}
