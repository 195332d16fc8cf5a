import { NO_DEFINITIONS, type DefinitionContext } from '../context/definition-context';
import type { CursorRequest } from './controller-types';

/** Where the controller gets definitions at a cursor: the editor's language servers, or the CLI's TypeScript service. */
export interface DefinitionSource {
  /** The definitions for the names at the request's cursor, within `budgetChars`, without the lines [first, last) the prompt holds. */
  resolve(request: CursorRequest, window: { readonly first: number; readonly last: number }, budgetChars: number): Promise<DefinitionContext>;
}

interface Entry {
  readonly block: number;
  readonly version: number | undefined;
  readonly result: Promise<DefinitionContext>;
}

/**
 * When definitions are asked for and which ones a document's prompts use. They are resolved when
 * the cursor enters another block of lines and when the editor goes idle, never per keystroke,
 * and a result is reused while the document keeps its version and the cursor its block. The
 * prompts switch to new definitions only once the controller has folded them into the model's
 * cache, so that typing keeps a prompt whose head does not change.
 */
export class DefinitionSnapshots {
  private readonly entries = new Map<string, Entry>();
  private readonly inUse = new Map<string, DefinitionContext>();

  constructor(
    private readonly source: DefinitionSource | undefined,
    private readonly blockLines: number,
  ) {}

  get available(): boolean {
    return this.source !== undefined;
  }

  /** A request at the cursor: entering another block resolves ahead of the idle fold-in. */
  noteCursor(request: CursorRequest, window: { first: number; last: number }, budgetChars: number): void {
    const old = this.entries.get(request.documentKey);
    if (old !== undefined && old.block === this.blockOf(request)) return;
    this.lookup(request, window, budgetChars);
  }

  /** The definitions at the cursor, from the cache when the document and the block are the same. */
  lookup(request: CursorRequest, window: { first: number; last: number }, budgetChars: number): Promise<DefinitionContext> {
    if (this.source === undefined || budgetChars <= 0) return Promise.resolve(NO_DEFINITIONS);
    const block = this.blockOf(request);
    const old = this.entries.get(request.documentKey);
    if (old !== undefined && old.block === block && old.version !== undefined && old.version === request.version) return old.result;
    // Started after the keystroke that asked is answered: a resolver that works in this thread
    // (the CLI's TypeScript service) must not delay it. A server that fails costs the definitions only.
    const source = this.source;
    const result = new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => source.resolve(request, window, budgetChars)).catch(() => NO_DEFINITIONS);
    this.entries.set(request.documentKey, { block, version: request.version, result });
    return result;
  }

  /** The definitions the document's prompts hold now. */
  used(documentKey: string): DefinitionContext {
    return this.inUse.get(documentKey) ?? NO_DEFINITIONS;
  }

  /** The prompts switched to these definitions (they are in the model's cache). */
  commit(documentKey: string, context: DefinitionContext): void {
    this.inUse.set(documentKey, context);
  }

  forget(documentKey: string): void {
    this.entries.delete(documentKey);
    this.inUse.delete(documentKey);
  }

  clear(): void {
    this.entries.clear();
    this.inUse.clear();
  }

  private blockOf(request: CursorRequest): number {
    return Math.floor(request.line / this.blockLines);
  }
}
