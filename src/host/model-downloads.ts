import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { estimateFromFileSize, memoryBudget, verdictFor, type FitVerdict, type ModelFit } from '../models/fit-verdict';
import { MODEL_PRESETS } from '../models/presets';
import { inModelProcess } from '../model-process/client';
import type { ModelHost } from './model-host';
import { describeModel, useModel } from './commands';
import { deleteDownloadedModel, downloadAndUse, downloadedModels } from './model-download-core';
import { readModelSettings } from './settings';

const GB = 1e9;
const MB = 1024 * 1024;
/** How long the picker waits for a preset's header before it estimates from the file size. */
const HEADER_TIMEOUT_MS = 5000;
/** globalState key: the first-run notice was shown (it is shown once). */
const FIRST_RUN_SHOWN = 'tokentree.firstRunNoticeShown';
const VERDICT_ICON: Record<FitVerdict, string> = { fits: '$(check)', tight: '$(warning)', "won't fit": '$(error)' };

interface SourceItem extends vscode.QuickPickItem {
  /** A preset's id, an hf: URI or an https URL. */
  readonly source: string;
}

/** Where downloaded models live: the extension's global storage, which VS Code removes with the extension. */
export function modelsDir(context: vscode.ExtensionContext): string {
  return join(context.globalStorageUri.fsPath, 'models');
}

/**
 * TokenTree: Download a Code Model… The presets with their size and whether they fit this
 * machine, or a pasted hf: URI or https URL; downloads into global storage with a progress
 * notification that can be cancelled, then uses the model (model-download-core.ts). A cancelled or
 * failed download changes no setting: the previous model stays in use.
 */
export async function downloadModel(context: vscode.ExtensionContext, models: ModelHost, log: vscode.LogOutputChannel): Promise<void> {
  const source = await pickSource(log);
  if (source === undefined) return;
  const abort = new AbortController();
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `TokenTree: downloading ${source}`, cancellable: true },
    (progress, token) => {
      token.onCancellationRequested(() => abort.abort());
      let shown = 0;
      return downloadAndUse(source, {
        dir: modelsDir(context),
        signal: abort.signal,
        onProgress: ({ downloadedBytes, totalBytes }) => {
          if (!totalBytes) return;
          const percent = (100 * downloadedBytes) / totalBytes;
          progress.report({ increment: percent - shown, message: `${(downloadedBytes / MB).toFixed(0)} of ${(totalBytes / MB).toFixed(0)} MB` });
          shown = percent;
        },
        inUse: describeModel(readModelSettings().modelPath),
        use: async (path) => {
          log.info(`Downloaded ${source} to ${path}`);
          progress.report({ message: 'loading the model…' });
          await useModel(models, path);
        },
      });
    },
  );
  if (outcome.ok) return;
  if (outcome.cancelled) log.info(`Download of ${source} cancelled`);
  else log.error(`Download failed: ${outcome.message}`);
  void (outcome.cancelled ? vscode.window.showInformationMessage : vscode.window.showErrorMessage)(`TokenTree: ${outcome.message}`);
}

/** The presets, filled in with the fit check as it arrives, and whatever URI or URL the user types. */
function pickSource(log: vscode.LogOutputChannel): Promise<string | undefined> {
  const picker = vscode.window.createQuickPick<SourceItem>();
  picker.title = 'TokenTree: download a code model';
  picker.placeholder = 'A code model that completes in the middle (FIM), or paste an hf: URI or an https URL of a .gguf file';
  picker.matchOnDescription = true;
  let presets: SourceItem[] = MODEL_PRESETS.map((p) => ({ label: p.name, description: `${(p.sizeBytes / GB).toFixed(1)} GB · checking memory…`, detail: p.note, source: p.id }));
  const typed = (): SourceItem[] => {
    const value = picker.value.trim();
    return /^(hf:\S+|https?:\/\/\S+)$/.test(value) ? [{ label: `$(cloud-download) Download ${value}`, alwaysShow: true, source: value }] : [];
  };
  const refresh = () => {
    const active = picker.activeItems[0]?.source;
    picker.items = [...typed(), ...presets];
    const again = picker.items.find((i) => i.source === active);
    if (again) picker.activeItems = [again];
  };
  picker.onDidChangeValue(refresh);
  picker.busy = true;
  refresh();
  void checkFits().then((fits) => {
    presets = presets.map((item, i) => withFit(item, MODEL_PRESETS[i]!.sizeBytes, fits?.[i]));
    picker.busy = false;
    refresh();
  }).catch((err: unknown) => {
    log.warn(`The memory check failed: ${err instanceof Error ? err.message : String(err)}`);
    picker.busy = false;
  });
  return new Promise((resolve) => {
    picker.onDidAccept(() => {
      resolve(picker.selectedItems[0]?.source);
      picker.hide();
    });
    picker.onDidHide(() => {
      resolve(undefined);
      picker.dispose();
    });
    picker.show();
  });
}

function withFit(item: SourceItem, sizeBytes: number, fit: ModelFit | undefined): SourceItem {
  if (!fit) return item;
  const estimated = fit.basis === 'file size' ? ' (estimated from the file size)' : '';
  return {
    ...item,
    description: `${(sizeBytes / GB).toFixed(1)} GB · ${VERDICT_ICON[fit.verdict]} ${fit.verdict}`,
    detail: `${item.detail} · needs about ${(fit.neededBytes / GB).toFixed(1)} GB${estimated}`,
  };
}

/** The fit check runs in a short-lived model process: it loads llama.cpp's bindings. */
async function checkFits(): Promise<readonly ModelFit[]> {
  const { fits } = await inModelProcess((p) => p.fit(readModelSettings().gpu, MODEL_PRESETS.map((m) => ({ uri: m.uri, sizeBytes: m.sizeBytes })), HEADER_TIMEOUT_MS));
  return fits;
}

/** TokenTree: Manage Models — the downloaded models with where each came from: switch to one, or delete one. */
export async function manageModels(context: vscode.ExtensionContext, models: ModelHost): Promise<void> {
  const current = readModelSettings().modelPath;
  const files = await downloadedModels(modelsDir(context));
  type Item = vscode.QuickPickItem & { path?: string; action?: 'download' | 'builtin' };
  const items: Item[] = [
    ...files.map((f) => ({
      label: `${f.path === current ? '$(check) ' : ''}${basename(f.path)}`,
      description: `${(f.bytes / MB).toFixed(0)} MB${f.path === current ? ' · in use' : ''}`,
      detail: f.source ? `from ${f.source}` : 'source not recorded',
      path: f.path,
    })),
    { label: '$(cloud-download) Download a Code Model…', action: 'download' },
    { label: `${current === '' ? '$(check) ' : ''}The built-in demo model`, description: current === '' ? 'in use' : undefined, action: 'builtin' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'TokenTree: models', placeHolder: files.length ? 'A downloaded model to use or delete' : 'No model downloaded yet' });
  if (!picked) return;
  if (picked.action === 'download') return void vscode.commands.executeCommand('tokentree.downloadModel');
  if (picked.action === 'builtin') return useModel(models, '');
  const path = picked.path!;
  const inUse = path === current;
  const action = await vscode.window.showQuickPick(
    [{ label: 'Use this model', run: 'use' }, { label: 'Delete', description: inUse ? 'TokenTree goes back to the built-in demo model' : undefined, run: 'delete' }],
    { title: basename(path) },
  );
  if (action?.run === 'use' && !inUse) await useModel(models, path);
  if (action?.run === 'delete') {
    const sure = await vscode.window.showWarningMessage(`Delete ${basename(path)}?`, { modal: true }, 'Delete');
    if (sure !== 'Delete') return;
    if (inUse) await useModel(models, '');
    await deleteDownloadedModel(path);
    void vscode.window.showInformationMessage(`TokenTree: deleted ${basename(path)}.`);
  }
}

/**
 * Once: when no model is configured and this machine has the memory for the smallest preset,
 * say that the built-in model is a demo, with one button to choose a real one.
 */
export function offerRealModel(context: vscode.ExtensionContext): void {
  const settings = readModelSettings();
  // A model file or a llama-server is configured: the demo model is not what completes.
  if (settings.modelPath !== '' || settings.serverUrl !== '' || context.globalState.get(FIRST_RUN_SHOWN)) return;
  const smallest = Math.min(...MODEL_PRESETS.map((p) => p.sizeBytes));
  if (verdictFor(estimateFromFileSize(smallest), memoryBudget({ devices: [] })) !== 'fits') return;
  void context.globalState.update(FIRST_RUN_SHOWN, true);
  const message = 'TokenTree is completing with its built-in demo model (5 M parameters): it shows how the decoding works, not good code. This machine can run a real code model.';
  void vscode.window.showInformationMessage(message, 'Choose a Model…', 'Get Started').then((choice) => {
    if (choice === 'Choose a Model…') void vscode.commands.executeCommand('tokentree.downloadModel');
    else if (choice) void vscode.commands.executeCommand('tokentree.openWalkthrough');
  });
}
