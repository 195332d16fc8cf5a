import { basename } from 'node:path';
import * as vscode from 'vscode';
import { STRATEGIES, STRATEGY_NAMES } from '../decoding/strategies';
import type { ModelHost } from './model-host';
import { readStrategy, writeStrategy } from './settings';

/** TokenTree: Select Decoding Strategy — each strategy with its one-line description, the current one marked. */
export async function pickStrategy(): Promise<void> {
  const current = readStrategy();
  const items = STRATEGY_NAMES.map((name) => ({
    label: name === current ? `$(check) ${name}` : name,
    description: name === current ? 'current' : undefined,
    detail: STRATEGIES[name].description,
    name,
  }));
  const picked = await vscode.window.showQuickPick(items, { title: 'TokenTree: decoding strategy', placeHolder: `Current: ${current}` });
  if (picked && picked.name !== current) await writeStrategy(picked.name);
}

/** TokenTree: Select Model File — a .gguf from disk; returns its path. */
export async function pickModelFile(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Use this model', filters: { 'GGUF models': ['gguf'] }, title: 'TokenTree: select a GGUF model' });
  return picked?.[0]?.fsPath;
}

/**
 * Sets the model in the user's settings (never the workspace's) and loads it now, so its errors
 * show now. Choosing a file again is how a file that stopped the model process gets another try.
 */
export async function useModel(models: ModelHost, path: string): Promise<void> {
  await vscode.workspace.getConfiguration('tokentree').update('modelPath', path, vscode.ConfigurationTarget.Global);
  models.choose(path || undefined);
  await models.reset();
  try {
    await models.get();
    void vscode.window.showInformationMessage(`TokenTree: completing with ${describeModel(path)}.`);
  } catch {
    // ModelHost has said why, with its actions.
  }
}

export function describeModel(modelPath: string): string {
  return modelPath === '' ? 'the built-in demo model' : basename(modelPath);
}

export async function toggleCompletions(): Promise<boolean> {
  const c = vscode.workspace.getConfiguration('tokentree');
  const next = !c.get('enabled', true);
  await c.update('enabled', next, vscode.ConfigurationTarget.Global);
  void vscode.window.setStatusBarMessage(`TokenTree completions ${next ? 'on' : 'off'}`, 2500);
  return next;
}
