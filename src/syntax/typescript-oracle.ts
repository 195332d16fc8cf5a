import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SyntaxOracle } from '../decoding/value';

type Ts = typeof import('typescript');

/**
 * TypeScript's own parser as a syntax oracle: syntactic diagnostics only (no type
 * checking, no program), a millisecond or two for a file of a few hundred lines.
 * TypeScript is loaded on first use so that activation does not pay for it.
 */
export function typescriptOracle(languageId: string): SyntaxOracle | undefined {
  const kind = scriptKind(languageId);
  if (kind === undefined) return undefined;
  let ts: Ts | undefined;
  return {
    errors(text) {
      ts ??= loadTypescript();
      return parseErrorCount(ts, text, kind);
    },
  };
}

/**
 * Syntax errors in `text`. The parser leaves them on the source file as `parseDiagnostics`, an
 * internal field (no program needed, the fastest way); where a TypeScript version lacks it,
 * `transpileModule`'s syntactic diagnostics (public, a few times slower) give the same count.
 */
export function parseErrorCount(ts: Ts, text: string, kind: 'ts' | 'tsx' | 'js' | 'jsx', internals: 'auto' | 'public' = 'auto'): number {
  const fileName = `candidate.${kind}`;
  if (internals === 'auto') {
    const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, scriptKindOf(ts, kind));
    const diagnostics = (file as unknown as { parseDiagnostics?: unknown }).parseDiagnostics;
    if (Array.isArray(diagnostics)) return diagnostics.length;
  }
  const out = ts.transpileModule(text, { fileName, reportDiagnostics: true, compilerOptions: { jsx: ts.JsxEmit.Preserve, noEmit: true } });
  return out.diagnostics?.length ?? 0;
}

/** The bundled copy next to the built code (dist/typescript.js), else the installed package (tests, dev). */
export function loadTypescript(): Ts {
  const bundled = join(__dirname, 'typescript.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, see above
  return (existsSync(bundled) ? require(bundled) : require('typescript')) as Ts;
}

function scriptKind(languageId: string): 'ts' | 'tsx' | 'js' | 'jsx' | undefined {
  switch (languageId) {
    case 'typescript':
      return 'ts';
    case 'typescriptreact':
      return 'tsx';
    case 'javascript':
      return 'js';
    case 'javascriptreact':
      return 'jsx';
    default:
      return undefined;
  }
}

function scriptKindOf(ts: Ts, kind: 'ts' | 'tsx' | 'js' | 'jsx') {
  return { ts: ts.ScriptKind.TS, tsx: ts.ScriptKind.TSX, js: ts.ScriptKind.JS, jsx: ts.ScriptKind.JSX }[kind];
}

/** Language id from a file name, for the CLI. */
export function languageOf(fileName: string): string {
  const ext = fileName.slice(fileName.lastIndexOf('.') + 1).toLowerCase();
  return { ts: 'typescript', mts: 'typescript', cts: 'typescript', tsx: 'typescriptreact', js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascriptreact' }[ext] ?? 'plaintext';
}
