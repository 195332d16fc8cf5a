import * as vscode from 'vscode';
import { shownInline, type CompletionController, type CursorRequest, type Suggestion } from './completion-controller';

/** The controller's view of a document at a cursor. */
export function cursorRequestOf(document: vscode.TextDocument, position: vscode.Position): CursorRequest {
  return {
    documentKey: document.uri.toString(),
    languageId: document.languageId,
    // Read line by line as the prompt window needs them: a huge file is never read whole.
    document: { lineCount: document.lineCount, lineAt: (line) => document.lineAt(line).text },
    line: position.line,
    character: position.character,
    path: vscode.workspace.asRelativePath(document.uri, false),
    repo: vscode.workspace.getWorkspaceFolder(document.uri)?.name,
    automatic: false,
    version: document.version,
  };
}

/**
 * VS Code's inline-completion hook, nothing more: turns the document and cursor into a
 * request for the controller, and its suggestions into items. Several ranked items let
 * VS Code's own next/previous suggestion commands cycle through the candidates.
 */
export class TokenTreeInlineProvider implements vscode.InlineCompletionItemProvider {
  constructor(
    private readonly controller: CompletionController,
    private readonly onShown: (document: vscode.TextDocument, position: vscode.Position, suggestions: readonly Suggestion[]) => void,
  ) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionList | undefined> {
    const suggestions = await this.controller.provide({
      ...cursorRequestOf(document, position),
      automatic: context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic,
      onCancel: (listener) => token.onCancellationRequested(listener),
    });
    if (!suggestions || suggestions.length === 0 || token.isCancellationRequested || document.isClosed) return undefined;
    // The panel hears of suggestions the gate kept from the ghost text too, marked as such.
    this.onShown(document, position, suggestions);
    const inline = shownInline(suggestions);
    if (inline.length === 0) return undefined;
    return new vscode.InlineCompletionList(inline.map((s) => new vscode.InlineCompletionItem(s.text, new vscode.Range(position, position))));
  }
}
