import * as vscode from 'vscode';
import { isStrategyName } from '../decoding/strategies';
import type { StrategyCall } from '../decoding/strategies';
import type { StrategyName } from '../decoding/strategy';
import type { ControllerSettings } from '../providers/controller-settings';
import { checkSetting, confidenceMigration, controllerSettings, describeProblem, onceEach, strategyCallFromSettings, type SettingKey, type SettingProblem, type SettingsSource } from './setting-rules';

const section = () => vscode.workspace.getConfiguration('tokentree');

const source: SettingsSource = {
  get: (key) => section().get(key),
  user: (key) => section().inspect(key)?.globalValue,
};

let warn: (message: string) => void = () => undefined;
const report = onceEach((p: SettingProblem) => warn(describeProblem(p)));

/** Where corrections of bad settings are shown: once per setting and value. */
export function setSettingsWarning(show: (message: string) => void): void {
  warn = show;
}

const value = <K extends SettingKey>(key: K) => checkSetting(key, source.get(key), report);

export interface ModelSettings {
  /** Empty: the built-in model. */
  readonly modelPath: string;
  readonly gpu: 'auto' | false;
  readonly threads: number | 'auto';
  readonly gpuLayers: number | 'auto' | 'max';
  readonly contextSize: number | undefined;
  /** A llama-server's URL; empty: the model runs here. */
  readonly serverUrl: string;
  readonly serverTimeoutMs: number;
}

/**
 * Settings that load files or pick hardware come from the user's own (global) settings
 * only, never from a workspace: opening a folder must not be able to make TokenTree load
 * a file of the folder's choosing. The manifest marks them machine-scoped as well.
 */
export function readModelSettings(): ModelSettings {
  const user = <K extends SettingKey>(key: K) => checkSetting(key, source.user(key), report);
  return {
    modelPath: user('modelPath').trim(),
    gpu: user('gpu') === 'off' ? false : 'auto',
    threads: user('threads'),
    gpuLayers: user('gpuLayers'),
    // 0: the model's own training context (at most 2048): a larger one feeds a small model
    // positions it never saw, and its completions fall apart.
    contextSize: user('contextSize') || undefined,
    serverUrl: user('server.url').trim(),
    serverTimeoutMs: user('server.timeoutMs'),
  };
}

/** The model's context could not hold tokentree.maxTokens: said once, like a bad setting. */
export function reportClampedMaxTokens(c: { asked: number; used: number; contextSize: number }): void {
  report({ key: 'tokentree.maxTokens', given: c.asked, used: c.used, why: `the model's context holds ${c.contextSize} tokens, and the prompt needs room too` });
}

export function readControllerSettings(): ControllerSettings {
  return controllerSettings(source, report);
}

export function readDebounceMs(): number {
  return value('debounceMs');
}

export function readStrategy(): StrategyName {
  const s = value('strategy');
  return isStrategyName(s) ? s : 'greedy';
}

export async function writeStrategy(strategy: StrategyName): Promise<void> {
  await section().update('strategy', strategy, vscode.ConfigurationTarget.Global);
}

/** The chosen strategy's options, from its settings through its schema (the engine fills in the rest). */
export function readStrategyCall(strategy: StrategyName): StrategyCall {
  return strategyCallFromSettings(source, strategy, report);
}

/** Weight of the code-aware value for MCTS and entropy branching; 0 turns it off (the default). */
export function readCodeAwareValue(): number {
  return value('codeAwareValue.weight');
}

export function readTokenHealing(): boolean {
  return value('tokenHealing');
}

/**
 * `tokentree.confidence.threshold` and `.mode` are gone: a threshold with mode `cut` becomes
 * `tokentree.cutAtUncertain` where that is not set yet, at the same level (user, workspace,
 * folder); mode `suppress` gives way to `tokentree.gate`, the calibrated version of the same
 * idea. The old entries stay in settings.json (VS Code cannot write unregistered settings).
 * Returns what was done, for the log.
 */
export async function migrateConfidenceSettings(): Promise<string[]> {
  const c = section();
  const done: string[] = [];
  const levels = [
    [vscode.ConfigurationTarget.Global, 'globalValue'],
    [vscode.ConfigurationTarget.Workspace, 'workspaceValue'],
    [vscode.ConfigurationTarget.WorkspaceFolder, 'workspaceFolderValue'],
  ] as const;
  for (const [target, field] of levels) {
    const m = confidenceMigration(c.inspect('confidence.threshold')?.[field], c.inspect('confidence.mode')?.[field], c.inspect('cutAtUncertain')?.[field]);
    if (m.cutAtUncertain !== undefined) await c.update('cutAtUncertain', m.cutAtUncertain, target).then(() => done.push(m.note!), () => undefined);
    else if (m.note) done.push(m.note);
  }
  return done;
}

export function acceptEntropy(): number {
  return value('acceptUntilUncertain.entropy');
}
