import * as vscode from 'vscode';
import { binaryPackages, GPU_KINDS, installedVersion, nodeLlamaCppVersion, type GpuKind } from '../gpu/binary-packages';
import { installGpu } from '../gpu/install';
import { inModelProcess } from '../model-process/client';
import type { ModelHost } from './model-host';

const LABEL: Record<GpuKind, string> = { cuda: 'CUDA (NVIDIA)', vulkan: 'Vulkan (AMD, Intel, NVIDIA)' };
/** Download sizes of node-llama-cpp 3.22.1's packages, unpacked, for the picker. */
const SIZE: Record<GpuKind, string> = { cuda: 'about 540 MB', vulkan: 'about 70 MB' };
/** globalState key: the GPU kind the user enabled, to offer it again when an update removed it. */
const ENABLED_KIND = 'tokentree.gpuKind';

/** What node-llama-cpp finds on this machine, asked of a short-lived model process. */
async function supportedKinds(): Promise<GpuKind[]> {
  const probe = await inModelProcess((p) => p.probe('auto'));
  return GPU_KINDS.filter((k) => probe.supported.includes(k));
}

/**
 * TokenTree: Enable GPU Acceleration. Offers CUDA or Vulkan for what the machine has, installs
 * the binary package with a progress notification that can be cancelled (`gpu install` in the
 * CLI is the same code), then restarts the model process so the model loads on the GPU.
 */
export async function enableGpu(context: vscode.ExtensionContext, models: ModelHost, log: vscode.LogOutputChannel): Promise<void> {
  const found = await supportedKinds().catch(() => [] as GpuKind[]);
  const items = GPU_KINDS.map((kind) => ({
    label: LABEL[kind],
    description: found.includes(kind) ? 'found on this machine' : 'not found on this machine',
    detail: `Downloads node-llama-cpp's prebuilt ${kind} binary (${SIZE[kind]}) from the npm registry.`,
    gpu: kind,
  })).sort((a, b) => Number(found.includes(b.gpu)) - Number(found.includes(a.gpu)));
  if (found.length === 0) {
    const choice = await vscode.window.showWarningMessage('TokenTree found neither CUDA nor Vulkan on this machine (drivers and libraries). Install a GPU build anyway?', 'Choose', 'Cancel');
    if (choice !== 'Choose') return;
  }
  const picked = await vscode.window.showQuickPick(items, { title: 'TokenTree: GPU acceleration', placeHolder: 'The GPU build to install' });
  if (!picked) return;
  const kind = picked.gpu;
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `TokenTree: installing the ${kind} build`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let shown = 0;
        return installGpu(kind, {
          signal: abort.signal,
          onProgress: (p) => {
            if (!p.totalBytes) return;
            const percent = (100 * p.receivedBytes) / p.totalBytes;
            progress.report({ increment: percent - shown, message: `${p.package} ${Math.round(percent)}%` });
            shown = percent;
          },
          testLoad: async (k) => {
            progress.report({ message: 'checking that it loads' });
            await inModelProcess((p) => p.probe(k));
          },
        });
      },
    );
    await context.globalState.update(ENABLED_KIND, kind);
    log.info(`GPU build ${kind}: ${result.installed.length ? `installed ${result.installed.join(', ')}` : 'already installed'} (node-llama-cpp ${result.version})`);
    await models.restart();
    const session = await models.get();
    const { backend, devices, gpuLayers, backendNote } = session.info;
    void vscode.window.showInformationMessage(backend === 'cpu'
      ? `TokenTree: the ${kind} build is installed, but the model still runs on the CPU${backendNote ? ` (${backendNote})` : ''}.`
      : `TokenTree: the model runs on ${devices.join(', ')} (${backend}, ${gpuLayers} layers offloaded).`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/abort/i.test(message)) {
      void vscode.window.showInformationMessage('TokenTree: GPU installation cancelled; nothing was changed.');
      return;
    }
    log.error(`Enabling ${kind} failed: ${message}`);
    void vscode.window.showErrorMessage(`TokenTree could not enable ${kind}: ${message}`);
  }
}

/** After an extension update (which removes downloaded packages), offers the GPU build again. */
export function offerGpuAgain(context: vscode.ExtensionContext): void {
  const kind = context.globalState.get<GpuKind>(ENABLED_KIND);
  if (!kind || !GPU_KINDS.includes(kind)) return;
  let version: string;
  try {
    version = nodeLlamaCppVersion();
  } catch {
    return;
  }
  if (binaryPackages(kind).every((name) => installedVersion(name) === version)) return;
  void vscode.window.showInformationMessage(`TokenTree: the ${kind} GPU build is no longer installed (an extension update removes it). Install it again?`, 'Enable GPU Acceleration').then((choice) => {
    if (choice) void vscode.commands.executeCommand('tokentree.enableGpu');
  });
}
