import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve as resolvePath } from 'node:path';
import type * as TS from 'typescript';
import { loadTypescript } from '../syntax/typescript-oracle';
import type { DefinitionQuery } from './cursor-identifiers';
import type { DefinitionResolver, DefinitionTarget, ResolverDocument } from './definition-resolver';

type Ts = typeof TS;

/** Larger files are left out of a project: generated or minified code says little in outline. */
const MAX_FILE_BYTES = 1_000_000;
/** A configuration that lists more files than this roots the program at the current file instead. */
const MAX_ROOT_FILES = 3000;
/** Most declarations followed from one module's `module.exports = { … }`. */
const MAX_EXPORTS = 8;

interface Project {
  readonly root: string;
  readonly options: TS.CompilerOptions;
  readonly roots: string[];
  readonly service: TS.LanguageService;
  readonly overrides: Map<string, { text: string; version: number }>;
}

/**
 * Definitions from TypeScript's language service over the files on disk around a document, for
 * the CLI (eval, complete, type) and for TypeScript and JavaScript only. A project is the nearest
 * tsconfig.json or jsconfig.json (its paths, baseUrl and allowJs), else the nearest package.json's
 * folder with JavaScript allowed and CommonJS `require` resolved as Node does.
 */
export class TsServiceResolver implements DefinitionResolver {
  private readonly projects = new Map<string, Project>();
  private readonly texts = new Map<string, string | undefined>();
  private ts?: Ts;
  private registry?: TS.DocumentRegistry;

  async resolve(doc: ResolverDocument, queries: readonly DefinitionQuery[], signal: AbortSignal): Promise<readonly (readonly DefinitionTarget[])[]> {
    if (!/\.(m|c)?[jt]sx?$/i.test(doc.file)) return queries.map(() => []);
    const file = resolvePath(doc.file);
    const project = this.projectFor(file);
    const old = project.overrides.get(file);
    if (old?.text !== doc.text) project.overrides.set(file, { text: doc.text, version: (old?.version ?? 0) + 1 });
    if (!project.roots.includes(file)) project.roots.push(file);
    const starts = lineStartsOf(doc.text);
    return queries.map((q) => {
      if (signal.aborted || q.line >= starts.length) return [];
      try {
        return this.targets(project, file, starts[q.line]! + q.character, q.typeDefinition);
      } catch {
        return []; // a file the service cannot read costs that query only
      }
    });
  }

  /** Where the name at `offset` of `file` (as on disk unless resolved with other text before) is declared. */
  declarationsAt(file: string, text: string, offset: number): readonly DefinitionTarget[] {
    const project = this.projectFor(resolvePath(file));
    const path = resolvePath(file);
    const old = project.overrides.get(path);
    if (old?.text !== text) project.overrides.set(path, { text, version: (old?.version ?? 0) + 1 });
    if (!project.roots.includes(path)) project.roots.push(path);
    try {
      return this.targets(project, path, offset, false);
    } catch {
      return [];
    }
  }

  private targets(project: Project, file: string, offset: number, typeDefinition: boolean): DefinitionTarget[] {
    const service = project.service;
    let infos: readonly TS.DefinitionInfo[] = [];
    if (typeDefinition) infos = (service.getTypeDefinitionAtPosition(file, offset) ?? []).filter((d) => !isWholeFile(d));
    if (infos.length === 0) infos = service.getDefinitionAtPosition(file, offset) ?? [];
    infos = infos.flatMap((d) => (isWholeFile(d) ? this.moduleExports(project, d) : [d])).flatMap((d) => this.throughAlias(project, d));
    const out: DefinitionTarget[] = [];
    for (const d of infos) {
      const text = this.textOf(project, d.fileName);
      if (text === undefined) continue;
      let start = d.textSpan.start;
      if (isWholeFile(d)) {
        // A module (`require('./x')`): what it exports is what the cursor uses.
        const exported = /^(module\.exports\s*=|export\s+(default|=))/m.exec(text);
        if (!exported) continue;
        start = exported.index;
      }
      const { line, character } = positionOf(text, start);
      out.push({ file: d.fileName, path: relative(project.root, d.fileName).split('\\').join('/'), line, character, text });
    }
    return out;
  }

  /**
   * A module (`const totals = require('./totals')`; `totals.|`): the declarations of what its
   * `module.exports = { a, b: c }` names, else the statement itself.
   */
  private moduleExports(project: Project, d: TS.DefinitionInfo): readonly TS.DefinitionInfo[] {
    const text = this.textOf(project, d.fileName);
    const exported = text === undefined ? null : /^module\.exports\s*=\s*\{([^}]*)\}/m.exec(text);
    if (!exported) return [d];
    const from = exported.index + exported[0].indexOf('{') + 1;
    const found: TS.DefinitionInfo[] = [];
    for (const m of exported[1]!.matchAll(/(?:^|[\s,:])([A-Za-z_$][\w$]*)\s*(?=[,}]|$)/g)) {
      if (found.length >= MAX_EXPORTS) break;
      const at = from + m.index! + m[0].length - m[1]!.length - (m[0].length - m[0].trimEnd().length);
      found.push(...(project.service.getDefinitionAtPosition(d.fileName, at) ?? []).filter((n) => n.fileName !== d.fileName || n.textSpan.start < exported.index || n.textSpan.start > exported.index + exported[0].length));
    }
    return found.length ? found : [d];
  }

  /**
   * `exports.Command = Command;` or `module.exports = parse;` says nothing in outline: the
   * declaration of the name it exports does (one step, within the same file).
   */
  private throughAlias(project: Project, d: TS.DefinitionInfo): readonly TS.DefinitionInfo[] {
    const text = this.textOf(project, d.fileName);
    if (text === undefined) return [d];
    const lineStart = text.lastIndexOf('\n', d.textSpan.start - 1) + 1;
    const lineEnd = text.indexOf('\n', d.textSpan.start);
    const line = text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd);
    const alias = /^(\s*(?:module\.)?exports(?:\.[\w$]+)?\s*=\s*)([A-Za-z_$][\w$]*)\s*;?\s*$/.exec(line);
    if (!alias) return [d];
    const next = project.service.getDefinitionAtPosition(d.fileName, lineStart + alias[1]!.length) ?? [];
    const found = next.filter((n) => n.fileName !== d.fileName || n.textSpan.start < lineStart || n.textSpan.start > lineStart + line.length);
    return found.length ? found : [d];
  }

  private textOf(project: Project, fileName: string): string | undefined {
    const override = project.overrides.get(fileName);
    if (override) return override.text;
    if (!this.texts.has(fileName)) {
      let text: string | undefined;
      try {
        text = statSync(fileName).size <= MAX_FILE_BYTES ? readFileSync(fileName, 'utf8') : undefined;
      } catch {
        text = undefined;
      }
      this.texts.set(fileName, text);
    }
    return this.texts.get(fileName);
  }

  private projectFor(file: string): Project {
    const ts = (this.ts ??= loadTypescript());
    this.registry ??= ts.createDocumentRegistry();
    const found = findConfig(dirname(file));
    const key = found?.config ?? found?.root ?? dirname(file);
    const cached = this.projects.get(key);
    if (cached) return cached;
    const { root, options, roots } = readProject(ts, found, file);
    const overrides = new Map<string, { text: string; version: number }>();
    const libPath = ts.getDefaultLibFilePath(options);
    const libOk = existsSync(libPath);
    const settings: TS.CompilerOptions = { ...options, noEmit: true, ...(libOk ? {} : { noLib: true }) };
    const host: TS.LanguageServiceHost = {
      getCompilationSettings: () => settings,
      getScriptFileNames: () => project.roots,
      getScriptVersion: (f) => String(overrides.get(f)?.version ?? 0),
      getScriptSnapshot: (f) => {
        const text = overrides.get(f)?.text ?? this.textOf(project, f);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => root,
      getDefaultLibFileName: () => libPath,
      fileExists: (f) => overrides.has(f) || ts.sys.fileExists(f),
      readFile: (f) => overrides.get(f)?.text ?? ts.sys.readFile(f),
      directoryExists: (d) => ts.sys.directoryExists(d),
      getDirectories: (d) => ts.sys.getDirectories(d),
      realpath: ts.sys.realpath,
      useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
    };
    const project: Project = { root, options: settings, roots, overrides, service: ts.createLanguageService(host, this.registry) };
    this.projects.set(key, project);
    return project;
  }

  dispose(): void {
    for (const p of this.projects.values()) p.service.dispose();
    this.projects.clear();
  }
}

const isWholeFile = (d: TS.DefinitionInfo) => d.kind === 'module' || d.kind === 'script' || (d.textSpan.start === 0 && d.textSpan.length === 0);

/** The nearest tsconfig.json or jsconfig.json above `dir`, or the nearest package.json's folder. */
function findConfig(dir: string): { config?: string; root: string } | undefined {
  let packageRoot: string | undefined;
  for (let d = dir; ; d = dirname(d)) {
    for (const name of ['tsconfig.json', 'jsconfig.json']) if (existsSync(join(d, name))) return { config: join(d, name), root: packageRoot ?? d };
    if (packageRoot === undefined && existsSync(join(d, 'package.json'))) packageRoot = d;
    // A package's own folder ends the walk: a config above it belongs to another project.
    if (packageRoot !== undefined || dirname(d) === d) return packageRoot === undefined ? undefined : { root: packageRoot };
  }
}

function readProject(ts: Ts, found: { config?: string; root: string } | undefined, file: string): { root: string; options: TS.CompilerOptions; roots: string[] } {
  const fallback: TS.CompilerOptions = {
    allowJs: true, checkJs: false, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10, maxNodeModuleJsDepth: 0, skipLibCheck: true,
  };
  // A package inside node_modules (an installed one read as a project): its own JavaScript files are
  // external libraries to TypeScript, loaded only this many requires deep.
  if (/[\\/]node_modules[\\/]/.test(file)) fallback.maxNodeModuleJsDepth = 4;
  if (!found?.config) return { root: found?.root ?? dirname(file), options: fallback, roots: [file] };
  const root = dirname(found.config);
  const read = ts.readConfigFile(found.config, ts.sys.readFile);
  if (read.error) return { root, options: fallback, roots: [file] };
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, found.config);
  const jsconfig = found.config.endsWith('jsconfig.json');
  // jsconfig.json means JavaScript: allowJs unless it says otherwise, as VS Code reads it.
  const options: TS.CompilerOptions = { ...(jsconfig ? { allowJs: true, maxNodeModuleJsDepth: 2 } : {}), ...parsed.options, skipLibCheck: true };
  const roots = parsed.fileNames.length > 0 && parsed.fileNames.length <= MAX_ROOT_FILES ? parsed.fileNames.map((f) => resolvePath(f)) : [file];
  return { root, options, roots };
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

function positionOf(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset);
  const line = (before.match(/\n/g) ?? []).length;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}
