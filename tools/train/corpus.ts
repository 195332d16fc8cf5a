/**
 * Training corpus for the trained code model: permissively licensed
 * TypeScript/JavaScript that `npm ci` installs for this repository.
 *
 * Packages come from package-lock.json (so the list is the same on every
 * machine that ran `npm ci` on this lock file); each package's licence is read
 * from its installed package.json and only MIT, Apache-2.0, BSD-2/3-Clause and
 * ISC (or an OR-expression that offers one of them) are used. Files are
 * normalised (LF newlines, no BOM, no source-map trailers), minified or
 * generated-looking files are skipped, exact duplicates (by SHA-256) are kept
 * once, and a few whole packages are held out for evaluation.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ALLOWED_LICENSES = ['MIT', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', 'ISC'] as const;

/** Held out whole (every installed copy of each name) for evaluation: small, plain, readable JS/TS. */
export const HELDOUT_PACKAGES = ['semver', 'commander', 'picomatch'] as const;

const CODE_FILE = /\.(?:ts|mts|cts|tsx|js|mjs|cjs|jsx)$/;
const MAX_FILE_BYTES = 200_000;
const MAX_LINE = 400;

export interface CorpusFile {
    /** Path relative to the repository root, forward slashes (node_modules/...). */
    readonly path: string;
    readonly pkg: string;
    readonly text: string;
    readonly sha256: string;
}

export interface PackageRecord {
    readonly name: string;
    readonly version: string;
    readonly license: string;
    /** Directory relative to the repository root. */
    readonly dir: string;
    files: number;
    bytes: number;
}

export interface Corpus {
    readonly train: CorpusFile[];
    readonly heldout: CorpusFile[];
    readonly packages: PackageRecord[];
    readonly heldoutPackages: PackageRecord[];
    readonly skipped: { license: string[]; minified: number; large: number; duplicate: number; capped: number };
    /** SHA-256 over the training files' paths and texts, in order. */
    readonly sha256: string;
}

/** SPDX licence → allowed licence it offers, or null. Handles "(A OR B)". */
export function permissive(license: unknown): string | null {
    if (typeof license !== 'string') return null;
    const options = license.replace(/[()]/g, '').split(/\s+OR\s+/i).map((s) => s.trim());
    for (const o of options) if ((ALLOWED_LICENSES as readonly string[]).includes(o)) return o;
    return null;
}

function byCodeUnits(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

function listCode(dir: string, rel = ''): string[] {
    const out: string[] = [];
    for (const name of readdirSync(join(dir, rel)).sort(byCodeUnits)) {
        const r = rel ? `${rel}/${name}` : name;
        const st = statSync(join(dir, r));
        if (st.isDirectory()) {
            if (name === 'node_modules') continue; // nested packages are their own lock entries
            out.push(...listCode(dir, r));
        } else if (CODE_FILE.test(name) && !/\.min\.[cm]?js$/.test(name)) out.push(r);
    }
    return out;
}

/** Files in a package that the corpus may use (TypeScript: only its standard library declarations). */
function packageFiles(pkgName: string, dir: string, preferSource: boolean): string[] {
    if (pkgName === 'typescript') {
        // lib.dom / lib.webworker are generated DOM typings that would dominate the rest.
        return listCode(join(dir, 'lib')).filter((f) => /^lib\.[^/]*\.d\.ts$/.test(f) && !/^lib\.(dom|webworker)/.test(f)).map((f) => `lib/${f}`);
    }
    if (preferSource && existsSync(join(dir, 'src')) && statSync(join(dir, 'src')).isDirectory()) {
        // A published package often ships its source once and its build two or three times over.
        const source = listCode(join(dir, 'src'));
        if (source.length > 0) return source.map((f) => `src/${f}`);
    }
    return listCode(dir);
}

export function normalise(raw: string): string {
    return raw
        .replace(/^\uFEFF/, '')
        .replace(/\r\n?/g, '\n')
        .replace(/^\/\/# sourceMappingURL=.*\n?/gm, '');
}

/** Minified, bundled or generated data: very long lines. */
export function looksGenerated(text: string): boolean {
    const lines = text.split('\n');
    let long = 0;
    for (const l of lines) {
        if (l.length > 4 * MAX_LINE) return true;
        if (l.length > MAX_LINE) long++;
    }
    return long > 0.01 * lines.length;
}

export interface CorpusOptions {
    readonly root: string;
    /** Most bytes taken from one package, so a few huge packages do not dominate. */
    readonly perPackageBytes: number;
    /** More package directories (relative to root, each with its package.json): registry.ts's downloads. */
    readonly extraPackageDirs?: readonly string[];
    /** Their per-package cap (they are larger and fewer than the installed packages). */
    readonly extraPackageBytes?: number;
}

export function loadTrainingCorpus(o: CorpusOptions): Corpus {
    const lock = JSON.parse(readFileSync(join(o.root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    const skipped = { license: [] as string[], minified: 0, large: 0, duplicate: 0, capped: 0 };
    const packages: PackageRecord[] = [];
    const heldoutPackages: PackageRecord[] = [];
    const train: CorpusFile[] = [];
    const heldout: CorpusFile[] = [];
    const seen = new Set<string>();
    const entries = Object.keys(lock.packages).filter((p) => p.startsWith('node_modules/')).sort(byCodeUnits);
    // Held-out packages first, so a copy of one of their files elsewhere is a duplicate, not training data.
    const isHeldout = (p: string): boolean => (HELDOUT_PACKAGES as readonly string[]).includes(p.slice(p.lastIndexOf('node_modules/') + 13));
    const ordered = [...entries.filter(isHeldout), ...entries.filter((p) => !isHeldout(p)), ...(o.extraPackageDirs ?? [])];
    const extra = new Set(o.extraPackageDirs ?? []);
    for (const dir of ordered) {
        const cap = extra.has(dir) ? (o.extraPackageBytes ?? o.perPackageBytes) : o.perPackageBytes;
        const pj = join(o.root, dir, 'package.json');
        if (!existsSync(pj)) continue; // optional dependency for another platform
        const meta = JSON.parse(readFileSync(pj, 'utf8')) as { name?: string; version?: string; license?: unknown };
        const name = meta.name ?? dir.slice(dir.lastIndexOf('node_modules/') + 13);
        if (extra.has(dir) && (HELDOUT_PACKAGES as readonly string[]).includes(name)) throw new Error(`${dir} is the held-out package ${name}`);
        const rawLicense = typeof meta.license === 'object' && meta.license !== null ? (meta.license as { type?: unknown }).type : meta.license;
        const license = permissive(rawLicense);
        if (license === null) {
            skipped.license.push(`${name} (${String(rawLicense)})`);
            continue;
        }
        const held = isHeldout(dir);
        const rec: PackageRecord = { name, version: meta.version ?? '', license: String(rawLicense), dir, files: 0, bytes: 0 };
        // Pseudo-random but fixed file order, so the per-package cap samples the whole package.
        const files = packageFiles(name, join(o.root, dir), extra.has(dir))
            .map((rel) => ({ rel, key: createHash('sha256').update(rel).digest('hex') }))
            .sort((a, b) => byCodeUnits(a.key, b.key))
            .map((f) => f.rel);
        for (const rel of files) {
            const abs = join(o.root, dir, rel);
            if (statSync(abs).size > MAX_FILE_BYTES) {
                skipped.large++;
                continue;
            }
            const text = normalise(readFileSync(abs, 'utf8'));
            if (text.trim().length === 0) continue;
            if (looksGenerated(text)) {
                skipped.minified++;
                continue;
            }
            const sha256 = createHash('sha256').update(text).digest('hex');
            if (seen.has(sha256)) {
                skipped.duplicate++;
                continue;
            }
            const bytes = Buffer.byteLength(text);
            if (!held && rec.bytes + bytes > cap) {
                skipped.capped++;
                continue;
            }
            seen.add(sha256);
            rec.files++;
            rec.bytes += bytes;
            (held ? heldout : train).push({ path: `${dir}/${rel}`, pkg: name, text, sha256 });
        }
        if (rec.files > 0) (held ? heldoutPackages : packages).push(rec);
    }
    const hash = createHash('sha256');
    for (const f of train) hash.update(f.path).update('\0').update(f.sha256).update('\0');
    return { train, heldout, packages, heldoutPackages, skipped, sha256: hash.digest('hex') };
}
