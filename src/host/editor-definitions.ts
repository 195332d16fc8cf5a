import * as vscode from 'vscode';
import { gatherDefinitions, textAt, type DefinitionContext } from '../context/definition-context';
import type { DefinitionQuery } from '../context/cursor-identifiers';
import type { DefinitionResolver, DefinitionTarget, ResolverDocument } from '../context/definition-resolver';
import type { DefinitionSource } from '../providers/definition-snapshots';

/** How long the language servers get for all the names at a cursor: after it, the prompt goes without. */
export const EDITOR_DEADLINE_MS = 400;
/** Larger declaring files are skipped (generated code). */
const MAX_FILE_BYTES = 1_000_000;

/**
 * Definitions from whatever language server VS Code runs for the document: the definition
 * provider, and the type-definition provider for a member access's receiver (its members are on
 * its type). A declaring file open in an editor is read as it is there, unsaved edits included.
 */
export class EditorDefinitionResolver implements DefinitionResolver {
  async resolve(doc: ResolverDocument, queries: readonly DefinitionQuery[], signal: AbortSignal): Promise<readonly (readonly DefinitionTarget[])[]> {
    const uri = vscode.Uri.parse(doc.file);
    const texts = new Map<string, Promise<string | undefined>>();
    return Promise.all(queries.map(async (q) => {
      const at = new vscode.Position(q.line, q.character);
      let found = q.typeDefinition ? await locations('vscode.executeTypeDefinitionProvider', uri, at) : [];
      if (found.length === 0 && !signal.aborted) found = await locations('vscode.executeDefinitionProvider', uri, at);
      const out: DefinitionTarget[] = [];
      for (const l of found) {
        if (signal.aborted) break;
        const key = l.uri.toString();
        if (!texts.has(key)) texts.set(key, readText(l.uri));
        const text = await texts.get(key)!;
        if (text === undefined) continue;
        out.push({ file: key, path: vscode.workspace.asRelativePath(l.uri, false), line: l.range.start.line, character: l.range.start.character, text });
      }
      return out;
    }));
  }
}

async function locations(command: string, uri: vscode.Uri, at: vscode.Position): Promise<vscode.Location[]> {
  try {
    const answer = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[] | undefined>(command, uri, at);
    return (answer ?? []).map((l) => ('targetUri' in l ? new vscode.Location(l.targetUri, l.targetSelectionRange ?? l.targetRange) : l));
  } catch {
    return []; // no provider for the language, or one that failed
  }
}

async function readText(uri: vscode.Uri): Promise<string | undefined> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return open.getText();
  try {
    const bytes = await vscode.workspace.fs.readFile(uri);
    return bytes.byteLength > MAX_FILE_BYTES ? undefined : new TextDecoder().decode(bytes);
  } catch {
    return undefined;
  }
}

/** The controller's definition source in the editor; `log` names what each lookup found. */
export function editorDefinitionSource(log: (line: string) => void, deadlineMs = EDITOR_DEADLINE_MS): DefinitionSource {
  const resolver = new EditorDefinitionResolver();
  return {
    async resolve(request, window, budgetChars): Promise<DefinitionContext> {
      const { text, offset } = textAt(request.document, request.line, request.character);
      const t0 = Date.now();
      const where = `${request.path ?? request.documentKey}:${request.line + 1}`;
      try {
        const found = await gatherDefinitions({
          doc: { file: request.documentKey, text, languageId: request.languageId }, offset, window, resolver, budgetChars, deadlineMs,
        });
        const names = found.used.map((u) => `${u.symbol} (${u.path}:${u.firstLine + 1}-${u.lastLine + 1})`).join(', ');
        if (names) log(`Definitions for ${where} in ${Date.now() - t0} ms: ${names}`);
        return found;
      } catch (error) {
        log(`Definitions for ${where} failed: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      }
    },
  };
}
