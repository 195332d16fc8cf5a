import * as vscode from 'vscode';
import type { StrategyName } from '../decoding/strategy';
import type { Hardware, ModelState } from './model-host';

const MB = 1024 * 1024;

/** Backend, device, layers offloaded and VRAM, in a line (device names come from the driver: shown as text). */
export function describeHardware(h: Hardware): string {
  if (h.server) return `Backend: llama-server at ${h.server.url} (${h.server.build}, ${h.server.slots} slots, model ${h.server.modelPath})`;
  if (h.backend === 'cpu') return `Backend: CPU${h.backendNote ? ` (${h.backendNote})` : ''}`;
  const vram = h.vram ? `; VRAM ${Math.round(h.vram.used / MB)} MB used, ${Math.round(h.vram.free / MB)} MB free` : '';
  return `Backend: ${h.backend} on ${h.devices.join(', ')}, ${h.gpuLayers} layers offloaded${vram}`;
}

/** The search behind a first suggestion: running, or how it ended. */
export type RefineStatus = 'running' | 'replaced' | 'kept' | 'same' | 'none';

interface LastCompletion {
  readonly ms: number;
  readonly promptTokens: number;
  readonly promptTokensEvaluated: number;
  readonly generated: number;
}

/** Strategy, model state and the last completion's latency; a click opens the strategy picker. */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('tokentree.status', vscode.StatusBarAlignment.Right, 100);
  private strategy: StrategyName = 'greedy';
  private model: ModelState = { kind: 'idle' };
  private last?: LastCompletion;
  private enabled = true;
  private refine: RefineStatus = 'none';
  private gate = { shown: 0, suppressed: 0 };

  constructor() {
    this.item.name = 'TokenTree';
    this.item.command = 'tokentree.selectStrategy';
    this.render();
    this.item.show();
  }

  update(change: { strategy?: StrategyName; model?: ModelState; enabled?: boolean; last?: LastCompletion; refine?: RefineStatus; gate?: { shown: number; suppressed: number } }): void {
    if (change.gate) this.gate = { ...change.gate };
    if (change.refine) this.refine = change.refine;
    if (change.strategy) this.strategy = change.strategy;
    if (change.model) this.model = change.model;
    if (change.enabled !== undefined) this.enabled = change.enabled;
    if (change.last) this.last = change.last;
    this.render();
  }

  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    this.item.dispose();
  }

  private render(): void {
    const model =
      this.model.kind === 'ready' ? `${this.model.builtin ? 'built-in model' : 'ready'}${this.model.hardware.backend === 'cpu' ? '' : ` (${this.model.hardware.backend})`}` : this.model.kind === 'error' ? 'model error' : this.model.kind === 'loading' ? 'loading' : 'idle';
    const icon = this.model.kind === 'loading' ? '$(loading~spin)' : this.model.kind === 'error' ? '$(error)' : this.enabled ? '$(type-hierarchy-sub)' : '$(circle-slash)';
    const latency = this.last ? ` · ${Math.round(this.last.ms)} ms` : '';
    const refine = { running: ' · $(sync~spin) refining', replaced: ' · refined', kept: ' · better in panel', same: '', none: '' }[this.refine];
    this.item.text = `${icon} ${this.strategy} · ${model}${latency}${refine}`;
    const tip = new vscode.MarkdownString(`**TokenTree** — strategy \`${this.strategy}\`, model: ${model}${this.model.kind === 'error' ? ` (${this.model.message})` : ''}`);
    if (this.model.kind === 'ready') tip.appendText(`\n\n${describeHardware(this.model.hardware)}`);
    if (this.last) {
      const l = this.last;
      tip.appendMarkdown(`\n\nLast completion: ${l.promptTokens} prompt tokens (${l.promptTokensEvaluated} evaluated, the rest cached), ${l.generated} generated, ${Math.round(l.ms)} ms`);
    }
    const refineTip = { running: 'The first suggestion is shown; the search is still running.', replaced: 'The search replaced the first suggestion with a better one.', kept: 'The search found a different suggestion: see the candidates panel.', same: '', none: '' }[this.refine];
    if (refineTip) tip.appendMarkdown(`\n\n${refineTip}`);
    const { shown, suppressed } = this.gate;
    if (shown + suppressed > 0) tip.appendMarkdown(`\n\nSuggestions: ${shown} shown, ${suppressed} kept back by the gate (tokentree.gate)`);
    tip.appendMarkdown('\n\nClick to choose the decoding strategy.');
    this.item.tooltip = tip;
    this.item.backgroundColor = this.model.kind === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }
}
