import { resolve } from 'node:path';
import type { ContextChunk } from '../decoding/prompt-parts';
import type { DefinitionSource } from '../providers/definition-snapshots';
import { definitionsBudget, gatherDefinitions, textAt, windowLines, type DefinitionContext } from './definition-context';
import { TsServiceResolver } from './ts-service-resolver';
import { partsFromText } from '../decoding/prompt-parts';
import { lineStarts, position } from './cursor-identifiers';

/**
 * Definitions in the CLI: TypeScript's language service answers in this process, so its
 * deadline only guards a project that takes unusually long to load.
 */
export const CLI_DEADLINE_MS = 10_000;
/** The editor's default tokentree.context.budgetChars. */
export const CLI_BUDGET_CHARS = 3000;

/** The controller's definition source for a file on disk (tokentree type's replay, bench:typing). */
export function cliDefinitionSource(file: string, resolver = new TsServiceResolver()): DefinitionSource & { dispose(): void } {
  const path = resolve(file);
  return {
    resolve: (request, window, budgetChars): Promise<DefinitionContext> => {
      const { text, offset } = textAt(request.document, request.line, request.character);
      return gatherDefinitions({ doc: { file: path, text, languageId: request.languageId }, offset, window, resolver, budgetChars, deadlineMs: CLI_DEADLINE_MS });
    },
    dispose: () => resolver.dispose(),
  };
}

/** The definitions for a one-off completion between `prefix` and `suffix` of `file` (tokentree complete). */
export async function definitionsAt(file: string, languageId: string, prefix: string, suffix: string): Promise<readonly ContextChunk[]> {
  const resolver = new TsServiceResolver();
  try {
    const text = prefix + suffix;
    const parts = partsFromText(prefix, suffix);
    const cursor = position(lineStarts(text), prefix.length);
    const found = await gatherDefinitions({
      doc: { file: resolve(file), text, languageId }, offset: prefix.length, window: windowLines(parts, cursor.line),
      resolver, budgetChars: definitionsBudget(CLI_BUDGET_CHARS), deadlineMs: CLI_DEADLINE_MS,
    });
    return found.chunks;
  } finally {
    resolver.dispose();
  }
}
