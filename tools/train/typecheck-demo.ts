/**
 * Does the model's suggestion at the demo's cursor type-check? Completes `examples/stack.ts` at
 * `isEmpty(): boolean { return |` with every strategy, as `tokentree complete` does (the editor's
 * prompt window, stop rules and token healing), inserts each first suggestion, and runs the
 * TypeScript checker on the file. The built-in model is held to greedy's suggestion type-checking
 * there (models/MODEL_CARD.md).
 *
 *   npm run model:typecheck-demo -- [--model PATH] [--json]   (builds dist/ first)
 *   npx tsx tools/train/typecheck-demo.ts [--model models/tokentree-code.gguf] [--json]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import { STRATEGY_NAMES } from '../../src/decoding/strategies';

export const DEMO = { file: 'examples/stack.ts', line: 23, column: 12 } as const;

export interface TypecheckResult {
  readonly strategy: string;
  readonly suggestion: string;
  /** The checker's first error, or undefined when the file type-checks. */
  readonly error?: string;
}

/** The checker's errors for one in-memory file (strict, ES2022 library, no other files). */
export function typeErrors(fileName: string, text: string): string[] {
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, lib: ['lib.es2022.d.ts'], types: [] };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => (resolve(name) === resolve(fileName) ? text : readFile(name));
  host.getSourceFile = (name, version, onError, create) =>
    resolve(name) === resolve(fileName) ? ts.createSourceFile(name, text, version) : getSourceFile(name, version, onError, create);
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
}

/** `text` with `insertion` at a 1-based line and column. */
export function insertAt(text: string, line: number, column: number, insertion: string): string {
  const lines = text.split('\n');
  const at = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + column - 1;
  return text.slice(0, at) + insertion + text.slice(at);
}

export function typecheckDemo(model: string | undefined): TypecheckResult[] {
  const source = readFileSync(DEMO.file, 'utf8');
  return STRATEGY_NAMES.map((strategy) => {
    const args = ['dist/cli.js', 'complete', '--file', DEMO.file, '--line', String(DEMO.line), '--column', String(DEMO.column), '--strategy', strategy, '--json'];
    if (model) args.push('--model', model);
    const out = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })) as { candidates: Array<{ suggestion: string }> };
    const suggestion = out.candidates[0]?.suggestion ?? '';
    const errors = typeErrors(resolve(DEMO.file), insertAt(source, DEMO.line, DEMO.column, suggestion));
    return { strategy, suggestion, ...(errors.length > 0 ? { error: errors[0] } : {}) };
  });
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--model');
  const results = typecheckDemo(i >= 0 ? argv[i + 1] : undefined);
  if (argv.includes('--json')) console.log(JSON.stringify(results));
  else for (const r of results) console.log(`${r.strategy.padEnd(8)} ${r.error === undefined ? 'type-checks' : 'error      '} ${JSON.stringify(r.suggestion)}${r.error ? ` (${r.error})` : ''}`);
}
