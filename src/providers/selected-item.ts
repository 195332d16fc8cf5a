import type { CursorRequest } from './controller-types';

/**
 * The suggest widget's selected item, as VS Code's `InlineCompletionContext.selectedCompletionInfo`
 * gives it: the text that replaces `start`..`end` of the cursor's line when the item is accepted.
 */
export interface SelectedItem {
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly text: string;
}


/**
 * While the suggest widget is open, VS Code shows an inline completion only if it extends the
 * selected item's text over the item's range; so the completion is asked for where the item
 * ends, in the document as it reads once the item is accepted (as Copilot does), and the ghost
 * text is the item's text and the completion together. The typed part of a word is usually the
 * start of the item, so the prompt differs from the last one by the item's few tokens.
 *
 * The request's `cursor` is the editor's, with `lead`, what the item adds there, where accepting
 * it only inserts (the typed part is the start of its text): a suggestion then inserts the lead and
 * its own text at the cursor. No lead where the item replaces text (a fuzzy match): only the ghost
 * text can show its suggestions. Undefined where the item is not on the cursor's line, spans
 * lines, or ends before the cursor: no ghost text can show beside it.
 */
export function afterSelectedItem(request: CursorRequest, item: SelectedItem): CursorRequest | undefined {
  const line = request.document.lineAt(request.line);
  if (item.line !== request.line || item.text.includes('\n') || item.start > item.end || item.end < request.character || item.end > line.length) return undefined;
  const replaced = line.slice(0, item.start) + item.text + line.slice(item.end);
  const { document } = request;
  const typed = line.slice(item.start, item.end);
  const inserts = item.end === request.character && item.text.startsWith(typed);
  return {
    ...request,
    document: { lineCount: document.lineCount, lineAt: (i) => (i === request.line ? replaced : document.lineAt(i)) },
    character: item.start + item.text.length,
    cursor: { line: request.line, character: request.character, ...(inserts ? { lead: item.text.slice(typed.length) } : {}) },
  };
}

/**
 * Whether a suggestion after the item would run on into the item's last word (`pop` + `ulated`):
 * the item is a whole name the language server offered, and a longer one is a name it did not.
 */
export function runsOnIntoItem(item: string, suggestion: string): boolean {
  return /[\p{L}\p{N}_$]$/u.test(item) && /^[\p{L}\p{N}_$]/u.test(suggestion);
}

/**
 * The text between the editor's cursor and a request's suggestions ('' without a selected item);
 * undefined after an item that replaces text, whose suggestions the panel's actions, which insert
 * at the cursor, cannot insert.
 */
export function leadOf(request: CursorRequest): string | undefined {
  return request.cursor ? request.cursor.lead : '';
}
