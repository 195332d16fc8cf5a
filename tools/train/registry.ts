/**
 * Fetches the extra training packages of registry-packages.json from the npm registry into
 * .cache/train/registry/ (`npm pack`, whose download npm checks against the registry's integrity),
 * once: a package already unpacked is not fetched again. Returns the unpacked package
 * directories, relative to the repository root, for corpus.ts.
 *
 *   npx tsx tools/train/registry.ts [--out .cache/train/registry]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { HELDOUT_PACKAGES } from './corpus';

const LIST = join(__dirname, 'registry-packages.json');

export interface RegistryPackage {
    readonly spec: string;
    /** Unpacked package root (holding its package.json), relative to the repository root. */
    readonly dir: string;
    readonly integrity: string;
}

export function registrySpecs(): string[] {
    const specs = (JSON.parse(readFileSync(LIST, 'utf8')) as { packages: string[] }).packages;
    for (const s of specs) {
        const name = s.slice(0, s.lastIndexOf('@'));
        if ((HELDOUT_PACKAGES as readonly string[]).includes(name)) throw new Error(`${s} is a held-out package`);
        if (!/^(@[a-z0-9.-]+\/)?[a-z0-9._-]+@\d+\.\d+\.\d+$/.test(s)) throw new Error(`not a pinned package: ${s}`);
    }
    return specs;
}

/** Unpacks each pinned package (fetching what is missing); throws when one cannot be fetched. */
export function fetchRegistryPackages(root: string, out = join(root, '.cache', 'train', 'registry')): RegistryPackage[] {
    mkdirSync(out, { recursive: true });
    return registrySpecs().map((spec) => {
        const slug = spec.replace(/^@/, '').replace(/\//g, '__');
        const dir = join(out, slug);
        const record = join(dir, 'pack.json');
        if (!existsSync(record)) {
            const tmp = `${dir}.partial`;
            rmSync(tmp, { recursive: true, force: true });
            mkdirSync(tmp, { recursive: true });
            const packed = JSON.parse(
                execFileSync('npm', ['pack', spec, '--json', '--pack-destination', tmp], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
            ) as Array<{ filename: string; integrity: string }>;
            execFileSync('tar', ['-xzf', join(tmp, packed[0].filename), '-C', tmp]);
            rmSync(join(tmp, packed[0].filename));
            writeFileSync(join(tmp, 'pack.json'), JSON.stringify({ spec, integrity: packed[0].integrity }));
            rmSync(dir, { recursive: true, force: true });
            renameSync(tmp, dir);
        }
        const { integrity } = JSON.parse(readFileSync(record, 'utf8')) as { integrity: string };
        return { spec, dir: relative(root, join(dir, 'package')), integrity };
    });
}

if (require.main === module) {
    const root = resolve(__dirname, '..', '..');
    const i = process.argv.indexOf('--out');
    const got = fetchRegistryPackages(root, i > 0 ? resolve(process.argv[i + 1]) : undefined);
    console.log(`${got.length} packages under ${relative(root, join(got[0].dir, '..', '..'))}`);
}
