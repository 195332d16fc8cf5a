/**
 * FIM examples in the repository-level format the editor's prompt uses for other files
 * (src/model/prompt-layout.ts), so that the model learns to read them:
 *
 *   <|repo_name|>name\n (<|file_sep|>path\ntext\n)* <|file_sep|>current path\n <|fim_prefix|> … <|endoftext|>
 *
 * The other files are what the editor gives: the first lines of files next to the current one
 * (the ring, path as its last two segments) and, last, declarations of names the chunk uses that
 * another file of the package declares, in outline (src/context/ts-outline.ts, path from the
 * package's root), one chunk per file as src/context/definition-context.ts groups them. A
 * declaration the chunk does not use is added now and then, so that what the header holds is a
 * hint, not the answer.
 */
import * as ts from 'typescript';
import { dirname } from 'node:path';
import { IDENTIFIER } from '../../src/context/code-mask';
import { parse, tsOutline } from '../../src/context/ts-outline';
import { shuffle } from '../../src/decoding/rng';
import type { BpeTokenizer } from '../model/bpe';
import type { CorpusFile } from './corpus';

export interface RepoSpecials {
    readonly repoName: number;
    readonly fileSep: number;
}

interface Declaration {
    readonly name: string;
    readonly line: number;
    readonly text: string;
}

/** Largest share of a row the other files take (the editor gives them a quarter of the room). */
const HEADER_SHARE = 0.3;
const RING_LINES = 32;
const MAX_DECLARATIONS = 4;
const MAX_OUTLINE_CHARS = 800;

/** Top-level declarations of a file in outline, by the names they declare. */
function declarationsOf(file: CorpusFile): Declaration[] {
    const source = parse(ts, file.path, file.text);
    if (!source) return [];
    const out: Declaration[] = [];
    const add = (name: ts.Node) => {
        const at = source.getLineAndCharacterOfPosition(name.getStart(source));
        const text = tsOutline(ts, source, at.line, at.character).text;
        if (text.trim() && text.length <= MAX_OUTLINE_CHARS) out.push({ name: name.getText(source), line: at.line, text });
    };
    for (const s of source.statements) {
        if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s) || ts.isEnumDeclaration(s)) && s.name) add(s.name);
        else if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) { if (ts.isIdentifier(d.name)) add(d.name); }
        else if (ts.isExpressionStatement(s) && ts.isBinaryExpression(s.expression) && ts.isPropertyAccessExpression(s.expression.left)) add(s.expression.left.name);
    }
    return out;
}

export class RepoRows {
    private readonly byDir = new Map<string, CorpusFile[]>();
    private readonly packageOf = new Map<CorpusFile, string>();
    private readonly packageFiles = new Map<string, CorpusFile[]>();
    private readonly declarations = new Map<CorpusFile, Declaration[]>();
    /** Per package, each declared name's declarations and their files. */
    private readonly declaredIn = new Map<string, Map<string, { file: CorpusFile; d: Declaration }[]>>();

    constructor(files: readonly CorpusFile[], packageDirs: readonly string[], private readonly tok: BpeTokenizer, private readonly sp: RepoSpecials) {
        const dirs = [...packageDirs].sort((a, b) => b.length - a.length);
        for (const f of files) {
            const pkg = dirs.find((d) => f.path.startsWith(`${d}/`));
            if (pkg === undefined) continue;
            this.packageOf.set(f, pkg);
            add(this.packageFiles, pkg, f);
            add(this.byDir, dirname(f.path), f);
        }
    }

    /** Header tokens for a chunk of `file`: other files, then the current file's separator and path. */
    header(file: CorpusFile, chunk: string, row: number, rand: () => number): number[] {
        const pkg = this.packageOf.get(file);
        if (pkg === undefined) return [];
        const rel = (f: CorpusFile) => f.path.slice(pkg.length + 1);
        const repoName = rand() < 0.5 ? 'project' : file.pkg;
        const chunks: { path: string; text: string }[] = [];
        const siblings = (this.byDir.get(dirname(file.path)) ?? []).filter((f) => f !== file);
        for (let n = Math.floor(rand() * 4); n > 0 && siblings.length > 0; n--) {
            const f = siblings.splice(Math.floor(rand() * siblings.length), 1)[0]!;
            chunks.push({ path: f.path.split('/').slice(-2).join('/'), text: f.text.split('\n').slice(0, RING_LINES).join('\n') });
        }
        const used = new Set(chunk.match(IDENTIFIER) ?? []);
        const own = new Set(this.declared(file).map((d) => d.name));
        const picked: { file: CorpusFile; d: Declaration }[] = [];
        for (const name of shuffle([...used], rand)) {
            if (picked.length >= MAX_DECLARATIONS) break;
            if (name.length < 3 || own.has(name)) continue;
            const where = this.declaredInPackage(pkg).get(name);
            if (!where) continue;
            const found = where[Math.floor(rand() * where.length)]!;
            if (!picked.some((p) => p.d === found.d)) picked.push(found);
        }
        if (rand() < 0.3) {
            const others = (this.packageFiles.get(pkg) ?? []).filter((f) => f !== file);
            const f = others[Math.floor(rand() * others.length)];
            const ds = f ? this.declared(f) : [];
            const d = ds[Math.floor(rand() * ds.length)];
            if (f && d && !picked.some((p) => p.d === d)) picked.splice(Math.floor(rand() * (picked.length + 1)), 0, { file: f, d });
        }
        // One chunk per file, declarations in file order; the file of the first pick goes last.
        const byFile = new Map<CorpusFile, Declaration[]>();
        for (const p of picked) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p.d]);
        for (const [f, ds] of [...byFile.entries()].reverse()) chunks.push({ path: rel(f), text: ds.sort((a, b) => a.line - b.line).map((d) => d.text).join('\n\n') });
        if (chunks.length === 0) return [];

        const open = [this.sp.repoName, ...this.tok.encode(`${repoName}\n`)];
        // The editor names the current file from the workspace's root, `tokentree eval` from the repository's.
        const current = rand() < 0.5 ? rel(file) : `node_modules/${file.pkg}/${rel(file)}`;
        const close = [this.sp.fileSep, ...this.tok.encode(`${current}\n`)];
        let budget = Math.floor(row * HEADER_SHARE) - open.length - close.length;
        const kept: number[][] = [];
        // As the prompt layout does: the newest (last) chunks first, each whole or not at all.
        for (let i = chunks.length - 1; i >= 0; i--) {
            const c = chunks[i]!;
            const tokens = [this.sp.fileSep, ...this.tok.encode(`${c.path}\n${c.text.endsWith('\n') ? c.text : `${c.text}\n`}`)];
            if (tokens.length > budget) continue;
            kept.unshift(tokens);
            budget -= tokens.length;
        }
        return kept.length === 0 ? [] : [...open, ...kept.flat(), ...close];
    }

    private declared(f: CorpusFile): Declaration[] {
        let ds = this.declarations.get(f);
        if (ds === undefined) {
            ds = declarationsOf(f);
            this.declarations.set(f, ds);
        }
        return ds;
    }

    private declaredInPackage(pkg: string): Map<string, { file: CorpusFile; d: Declaration }[]> {
        let index = this.declaredIn.get(pkg);
        if (index === undefined) {
            index = new Map();
            for (const file of this.packageFiles.get(pkg) ?? []) {
                // A name declared twice in a file (`exports.x = …` again) stands for its first declaration there.
                const first = new Map<string, Declaration>();
                for (const d of this.declared(file)) {
                    if (!first.has(d.name)) first.set(d.name, d);
                    add(index, d.name, { file, d: first.get(d.name)! });
                }
            }
            this.declaredIn.set(pkg, index);
        }
        return index;
    }
}

/** Appends to the list under `key`, creating it. */
function add<K, V>(map: Map<K, V[]>, key: K, value: V): void {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
}
