import type { DefinitionQuery } from './cursor-identifiers';

/**
 * Where names are declared, from whatever knows: VS Code's language servers in the editor
 * (src/host/editor-definitions.ts), TypeScript's language service in the CLI
 * (ts-service-resolver.ts). The selection of names and the outlines are the same for both.
 */

export interface ResolverDocument {
  /** The document's file (an absolute path in the CLI, a URI string in the editor). */
  readonly file: string;
  readonly text: string;
  readonly languageId: string;
}

export interface DefinitionTarget {
  /** The declaring file, in the resolver's spelling of `ResolverDocument.file`. */
  readonly file: string;
  /** The file's path as the prompt names it (relative to its workspace or project). */
  readonly path: string;
  /** 0-based position of the declaration's name. */
  readonly line: number;
  readonly character: number;
  /** The declaring file's text. */
  readonly text: string;
}

export interface DefinitionResolver {
  /**
   * For each query, the declarations it resolves to (none where the server has no answer).
   * Must settle by the signal's abort (a deadline): what is known by then, or nothing.
   */
  resolve(doc: ResolverDocument, queries: readonly DefinitionQuery[], signal: AbortSignal): Promise<readonly (readonly DefinitionTarget[])[]>;
}
