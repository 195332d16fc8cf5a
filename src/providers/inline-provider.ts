import * as vscode from 'vscode';
import { shownInline, type CompletionController, type CursorRequest, type Suggestion } from './completion-controller';
import { afterSelectedItem, leadOf, runsOnIntoItem } from './selected-item';

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
 * VS Code's own next/previous suggestion commands cycle through the candidates. While the
 * suggest widget is open, the completion follows its selected item (selected-item.ts).
 */
export class TokenTreeInlineProvider implements vscode.InlineCompletionItemProvider {
  constructor(
    private readonly controller: CompletionController,
    /** `lead`: the text between the cursor and the suggestions (the selected item's rest). */
    private readonly onShown: (document: vscode.TextDocument, position: vscode.Position, suggestions: readonly Suggestion[], lead: string) => void,
  ) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionList | undefined> {
    const here = cursorRequestOf(document, position);
    const selected = context.selectedCompletionInfo;
    const after = selected && selected.range.isSingleLine
      ? afterSelectedItem(here, { line: selected.range.start.line, start: selected.range.start.character, end: selected.range.end.character, text: selected.text })
      : undefined;
    if (selected && !after) return undefined;
    const suggestions = await this.controller.provide({
      ...(after ?? here),
      automatic: context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic,
      onCancel: (listener) => token.onCancellationRequested(listener),
    });
    if (!suggestions || suggestions.length === 0 || token.isCancellationRequested || document.isClosed) return undefined;
    // The panel hears of suggestions the gate kept from the ghost text too, marked as such; of
    // those after an item that replaces text, not: its insert actions insert at the cursor.
    const lead = leadOf(after ?? here);
    if (lead !== undefined) this.onShown(document, position, suggestions, lead);
    const inline = shownInline(suggestions).filter((s) => !selected || !runsOnIntoItem(selected.text, s.text));
    if (inline.length === 0) return undefined;
    const range = selected?.range ?? new vscode.Range(position, position);
    return new vscode.InlineCompletionList(inline.map((s) => new vscode.InlineCompletionItem((selected?.text ?? '') + s.text, range)));
  }
}
