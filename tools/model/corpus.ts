/**
 * The training corpus: permissively licensed source files that `npm ci`
 * puts on every machine, at the versions pinned in package-lock.json.
 * The file list and a SHA-256 of the text are recorded in the model so a
 * rebuild can tell whether it saw the same corpus.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface CorpusSource {
    /** Package directory under node_modules. */
    readonly pkg: string;
    readonly license: string;
    /** Directory inside the package to scan (recursively). */
    readonly dir: string;
    readonly include: RegExp;
    readonly exclude?: RegExp;
}

export const DEFAULT_SOURCES: readonly CorpusSource[] = [
    {
        // Type declarations of the JS standard library. lib.dom/webworker are
        // left out: 2.5 MB of generated DOM interfaces would drown the rest.
        pkg: 'typescript',
        license: 'Apache-2.0',
        dir: 'lib',
        include: /^lib\.[^/]*\.d\.ts$/,
        exclude: /^lib\.(dom|webworker)[^/]*$/
    },
    {
        // Compiled TypeScript (ES modules): real function bodies, 4-space indent.
        pkg: 'node-llama-cpp',
        license: 'MIT',
        dir: 'dist',
        include: /\.js$/
    }
];

export interface CorpusDocument {
    /** Path relative to node_modules, with forward slashes. */
    readonly path: string;
    readonly text: string;
}

export interface Corpus {
    readonly documents: readonly CorpusDocument[];
    readonly sha256: string;
    readonly packages: ReadonlyArray<{ name: string; version: string; license: string; files: number; bytes: number }>;
}

function listFiles(root: string, dir: string): string[] {
    const out: string[] = [];
    for (const name of readdirSync(dir).sort()) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) out.push(...listFiles(root, p));
        else out.push(relative(root, p).split('\\').join('/'));
    }
    return out;
}

/** Plain code-unit order: locale-independent, unlike localeCompare. */
function byCodeUnits(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

export function loadCorpus(nodeModules: string, sources: readonly CorpusSource[] = DEFAULT_SOURCES): Corpus {
    const documents: CorpusDocument[] = [];
    const packages: Array<{ name: string; version: string; license: string; files: number; bytes: number }> = [];
    const hash = createHash('sha256');
    for (const src of sources) {
        const pkgDir = join(nodeModules, src.pkg);
        const scanDir = join(pkgDir, src.dir);
        if (!existsSync(scanDir)) throw new Error(`corpus source missing: ${scanDir} (run npm ci)`);
        const pkgJson = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
        const files = listFiles(scanDir, scanDir)
            .filter((f) => src.include.test(f) && !(src.exclude?.test(f) ?? false))
            .sort(byCodeUnits);
        let bytes = 0;
        for (const f of files) {
            // CRLF would make the corpus differ between checkouts of the same package;
            // source-map trailers are compiler output, not code worth predicting.
            const text = readFileSync(join(scanDir, f), 'utf8')
                .replace(/\r\n?/g, '\n')
                .replace(/^\/\/# sourceMappingURL=.*\n?/gm, '');
            const path = `${src.pkg}/${src.dir}/${f}`;
            documents.push({ path, text });
            bytes += Buffer.byteLength(text, 'utf8');
            hash.update(path).update('\0').update(text).update('\0');
        }
        packages.push({ name: src.pkg, version: pkgJson.version, license: src.license, files: files.length, bytes });
    }
    return { documents, sha256: hash.digest('hex'), packages };
}
