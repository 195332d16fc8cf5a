import * as vscode from 'vscode';
import { STRATEGIES, STRATEGY_NAMES } from '../decoding/strategies';
import type { CompletionController } from '../providers/completion-controller';
import { cursorRequestOf } from '../providers/inline-provider';
import { CandidatesView } from '../webview/candidates-view';
import { toPanelState } from '../webview/panel-state';
import type { PanelState } from '../webview/protocol';
import type { ModelEngine } from '../engine/model-engine';
import { readStrategyCall } from './settings';
import type { ShownSuggestions } from './shown-suggestions';

/**
 * TokenTree: Compare Strategies Here — every strategy (or a chosen few) at the cursor, one after
 * the other through the editor's engine: its prompt window, stop rules and settings, but no
 * time budget (so each runs to its end), under a progress notification that can be cancelled.
 * The panel shows them side by side.
 */
export async function compareStrategiesHere(controller: CompletionController, engine: ModelEngine, shown: ShownSuggestions, panel: CandidatesView): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('TokenTree: open a file and put the cursor where a completion should go.');
    return;
  }
  const picked = await vscode.window.showQuickPick(
    STRATEGY_NAMES.map((name) => ({ label: name, detail: STRATEGIES[name].description, picked: true, name })),
    { canPickMany: true, title: 'TokenTree: compare strategies at the cursor', placeHolder: 'The strategies to run' },
  );
  if (!picked || picked.length === 0) return;
  const { document } = editor;
  const position = editor.selection.active;
  // The editor's request at the cursor without its time budget: each strategy runs to its end.
  const request = { ...controller.requestAt(cursorRequestOf(document, position)), timeBudgetMs: undefined };
  const fileName = vscode.workspace.asRelativePath(document.uri);
  const rows: PanelState[] = [];
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'TokenTree: comparing strategies', cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    for (const [i, { name }] of picked.entries()) {
      if (abort.signal.aborted) break;
      progress.report({ message: `${name} (${i + 1} of ${picked.length})`, increment: 100 / picked.length });
      const result = await engine.completeWith(readStrategyCall(name), request, abort.signal).catch((e: unknown) => {
        if (abort.signal.aborted) return undefined;
        throw e;
      });
      if (!result) break;
      const id = shown.record(document, position, [], '', result);
      rows.push(toPanelState(id, fileName, position.line + 1, result));
    }
  });
  if (rows.length === 0) return;
  panel.showComparison({ fileName, line: position.line + 1, rows });
  await vscode.commands.executeCommand(`${CandidatesView.viewId}.focus`);
}
