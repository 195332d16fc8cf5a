import * as vscode from 'vscode';
import type { ContextRing } from '../providers/context-ring';

/** A document's chunk is taken at most this often while the user edits or looks at it. */
const CHUNK_INTERVAL_MS = 2000;

/**
 * Feeds the context ring (context from other files) with where the user edits and looks: the
 * lines around an edit or the cursor of an editor that comes to the front, throttled per document.
 */
export function trackEditedContext(ring: ContextRing): vscode.Disposable {
  const lastChunk = new Map<string, number>();
  const remember = (document: vscode.TextDocument, line: number) => {
    const key = document.uri.toString();
    if (document.uri.scheme !== 'file' || Date.now() - (lastChunk.get(key) ?? 0) < CHUNK_INTERVAL_MS) return;
    // Only files the user has in an editor: VS Code edits some in the background (it rewrites the
    // user's settings.json when it migrates a setting), and those must not reach the prompt.
    if (!vscode.window.visibleTextEditors.some((editor) => editor.document === document)) return;
    lastChunk.set(key, Date.now());
    const { first, last } = ring.window(line, document.lineCount);
    ring.add(key, vscode.workspace.asRelativePath(document.uri), document.getText(new vscode.Range(first, 0, last, 0)));
  };
  return vscode.Disposable.from(
    vscode.workspace.onDidChangeTextDocument((e) => {
      const change = e.contentChanges[0];
      if (change) remember(e.document, change.range.start.line);
    }),
    vscode.window.onDidChangeActiveTextEditor((editor) => {
      if (editor) remember(editor.document, editor.selection.active.line);
    }),
    vscode.workspace.onDidCloseTextDocument((d) => lastChunk.delete(d.uri.toString())),
  );
}
