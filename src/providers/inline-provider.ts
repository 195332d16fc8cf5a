import * as vscode from 'vscode';
import type { CompletionController, Suggestion } from './completion-controller';

/**
 * VS Code's inline-completion hook, nothing more: turns the document and cursor into a
 * request for the controller, and its suggestions into items. Several ranked items let
 * VS Code's own next/previous suggestion commands cycle through the candidates.
 */
export class TokenTreeInlineProvider implements vscode.InlineCompletionItemProvider {
  constructor(
    private readonly controller: CompletionController,
    private readonly prefixChars: () => number,
    private readonly suffixChars: () => number,
    private readonly onShown: (document: vscode.TextDocument, position: vscode.Position, suggestions: readonly Suggestion[]) => void,
  ) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionList | undefined> {
    const line = document.lineAt(position.line);
    const prefixStart = windowStart(document, position, this.prefixChars());
    const offset = document.offsetAt(position);
    const suffixEnd = document.positionAt(offset + this.suffixChars());
    const suggestions = await this.controller.provide({
      documentKey: document.uri.toString(),
      languageId: document.languageId,
      prefix: document.getText(new vscode.Range(prefixStart, position)),
      suffix: document.getText(new vscode.Range(position, suffixEnd)),
      linePrefix: line.text.slice(0, position.character),
      lineSuffix: line.text.slice(position.character),
      automatic: context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic,
      onCancel: (listener) => token.onCancellationRequested(listener),
    });
    if (!suggestions || suggestions.length === 0 || token.isCancellationRequested || document.isClosed) return undefined;
    this.onShown(document, position, suggestions);
    return new vscode.InlineCompletionList(suggestions.map((s) => new vscode.InlineCompletionItem(s.text, new vscode.Range(position, position))));
  }
}

/**
 * Start of the text sent as prefix: whole lines back from the cursor within `chars`. The
 * start only moves when the window fills, so while the user types on one line the
 * prefix keeps extending the cached one (which is what the cache matches on), and a huge
 * file is never read whole.
 */
function windowStart(document: vscode.TextDocument, position: vscode.Position, chars: number): vscode.Position {
  let line = position.line;
  let used = position.character;
  while (line > 0 && used + document.lineAt(line - 1).text.length + 1 <= chars) {
    line--;
    used += document.lineAt(line).text.length + 1;
  }
  return new vscode.Position(line, 0);
}
