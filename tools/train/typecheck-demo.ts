/**
 * Does the model's suggestion at the demo's cursor type-check? Completes `examples/stack.ts` at
 * `isEmpty(): boolean { return |` with every strategy, as `tokentree complete` does (the editor's
 * prompt window, stop rules and token healing), inserts each first suggestion, and runs the
 * TypeScript checker on the file. The built-in model is held to greedy's suggestion type-checking
 * there (models/MODEL_CARD.md).
 *
 *   npm run model:typecheck-demo -- [--model PATH] [--json]
 */
import { resolve } from 'node:path';
import ts from 'typescript';
import { completeAsEditor, readPosition, withSession } from '../../src/cli/complete';
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

/** Every strategy at the demo's cursor, on one load of the model, as `tokentree complete` runs each. */
export async function typecheckDemo(model: string | undefined): Promise<TypecheckResult[]> {
  const position = readPosition(['--file', DEMO.file, '--line', String(DEMO.line), '--column', String(DEMO.column), ...(model ? ['--model', model] : [])]);
  return withSession(position, async (session) => {
    const results: TypecheckResult[] = [];
    for (const strategy of STRATEGY_NAMES) {
      const best = (await completeAsEditor(session, position, strategy)).candidates[0];
      const suggestion = best?.shown?.text ?? best?.text ?? '';
      // The position already holds the file split at the cursor.
      const errors = typeErrors(resolve(DEMO.file), position.prefix + suggestion + position.suffix);
      results.push({ strategy, suggestion, ...(errors.length > 0 ? { error: errors[0] } : {}) });
    }
    return results;
  });
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--model');
  void typecheckDemo(i >= 0 ? argv[i + 1] : undefined).then((results) => {
    if (argv.includes('--json')) console.log(JSON.stringify(results));
    else for (const r of results) console.log(`${r.strategy.padEnd(8)} ${r.error === undefined ? 'type-checks' : 'error      '} ${JSON.stringify(r.suggestion)}${r.error ? ` (${r.error})` : ''}`);
  }, (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  });
}
