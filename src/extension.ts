import * as vscode from 'vscode';

/** Activation and wiring only: the engine lives in src/decoding, the model in src/model. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('TokenTree', { log: true });
  context.subscriptions.push(log, vscode.commands.registerCommand('tokentree.showLog', () => log.show()));
  log.info('TokenTree activated');
}

export function deactivate(): void {}
