import * as vscode from 'vscode';
import type { CompletionResult } from '../decoding/completion';
import { acceptUntilUncertain } from '../providers/confidence';
import { healedLength } from '../decoding/token-healing';
import type { Suggestion } from '../providers/completion-controller';

interface Shown {
  readonly uri: string;
  readonly version: number;
  readonly offset: number;
  readonly suggestions: readonly Suggestion[];
  readonly result?: CompletionResult;
  /** Text between the cursor and where the suggestions start: the suggest widget's selected item's rest. */
  readonly lead: string;
}

/**
 * What was last suggested where: the panel inserts candidates from it and "Accept Until
 * Uncertain" reads the token entropies of the suggestion on screen.
 */
export class ShownSuggestions {
  private readonly byRequest = new Map<number, Shown>();
  private latest?: Shown;
  private nextId = 1;

  record(document: vscode.TextDocument, position: vscode.Position, suggestions: readonly Suggestion[], lead = '', result = suggestions[0]?.result): number {
    const id = this.nextId++;
    const shown = { uri: document.uri.toString(), version: document.version, offset: document.offsetAt(position), suggestions, result, lead };
    this.byRequest.set(id, shown);
    this.latest = shown;
    if (this.byRequest.size > 20) this.byRequest.delete(this.byRequest.keys().next().value!);
    return id;
  }

  /** Inserts candidate `index` of request `id`; returns false if the document moved on. */
  async insertCandidate(id: number, index: number): Promise<boolean> {
    const shown = this.byRequest.get(id);
    const candidate = shown?.result?.candidates[index];
    if (!shown || !candidate) return false;
    return this.insertAt(shown, shown.suggestions.find((s) => s.candidate === index)?.text ?? candidate.shown?.text ?? candidate.text);
  }

  /**
   * Inserts the text from the cursor to a node of request `id`'s explored tree, named by its
   * token ids: the text comes from the tree this side kept, never from the panel.
   */
  async insertPrefix(id: number, tokens: readonly number[]): Promise<boolean> {
    const shown = this.byRequest.get(id);
    let node = shown?.result?.tree.root;
    let text = '';
    for (const token of tokens) {
      node = node?.children.find((c) => c.token === token);
      if (!node) return false;
      text += node.text;
    }
    // The tree's first tokens re-type what token healing took off the prompt: that text is in the document already.
    const healed = shown?.result?.healed ?? '';
    if (!shown || !text.startsWith(healed) || text.length === healed.length) return false;
    return this.insertAt(shown, text.slice(healed.length));
  }

  private async insertAt(shown: Shown, text: string): Promise<boolean> {
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === shown.uri);
    if (!editor || editor.document.isClosed) return false;
    const doc = editor.document;
    let at = doc.positionAt(shown.offset);
    let insert = shown.lead + text;
    if (doc.version !== shown.version) {
      // The user typed on: insert the rest if what they typed is the text's start.
      const cursor = editor.selection.active;
      const typed = doc.getText(new vscode.Range(at, cursor));
      if (doc.offsetAt(cursor) < shown.offset || !insert.startsWith(typed)) return false;
      at = cursor;
      insert = insert.slice(typed.length);
    }
    const ok = await editor.edit((b) => b.insert(at, insert));
    if (ok) {
      const end = doc.positionAt(doc.offsetAt(at) + insert.length);
      editor.selection = new vscode.Selection(end, end);
    }
    return ok;
  }

  /** Accepts the suggestion at the cursor up to its first uncertain token. */
  async acceptUntilUncertain(editor: vscode.TextEditor, entropy: number): Promise<boolean> {
    const shown = this.latest;
    // The suggestion on screen: one the gate kept back is in the panel only, not at the cursor.
    const suggestion = shown?.suggestions.find((x) => !x.gate?.suppressed);
    const candidate = suggestion && shown?.result?.candidates[suggestion.candidate];
    if (!shown || !suggestion || !candidate || shown.uri !== editor.document.uri.toString()) return false;
    const cursor = editor.selection.active;
    const typed = editor.document.getText(new vscode.Range(editor.document.positionAt(shown.offset), cursor));
    // The text at the cursor: the selected item's rest (its own tokens are not the model's), then the suggestion's.
    const text = shown.lead + suggestion.text;
    if (editor.document.offsetAt(cursor) < shown.offset || !text.startsWith(typed)) return false;
    // Token boundaries are in the candidate's text; the suggestion may have dropped a leading indent.
    const lead = Math.max(0, candidate.text.indexOf(suggestion.text)) + healedLength(shown.result!) - shown.lead.length;
    const upTo = Math.min(text.length, Math.max(typed.length + 1, acceptUntilUncertain(candidate.steps, entropy) - lead));
    const insert = text.slice(typed.length, upTo);
    if (!insert) return false;
    await vscode.commands.executeCommand('editor.action.inlineSuggest.hide');
    const ok = await editor.edit((b) => b.insert(cursor, insert));
    if (ok) {
      const end = editor.document.positionAt(editor.document.offsetAt(cursor) + insert.length);
      editor.selection = new vscode.Selection(end, end);
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
    }
    return ok;
  }
}
