/**
 * The staged VSIX holds exactly what should ship (`vsce ls` on the stage of scripts/package.mjs):
 * the bundles, the built-in model, the panel and walkthrough media, the manifest, README, LICENSE
 * and CHANGELOG, and node-llama-cpp with its run-time dependencies and this platform's binaries,
 * without their type declarations, source maps, docs or llama.cpp sources. Needs `npm run build`.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

const TOP_LEVEL = [
  'package.json', 'README.md', 'LICENSE', 'CHANGELOG.md',
  'dist/extension.js', 'dist/cli.js', 'dist/model-worker.js', 'dist/typescript.js',
  'models/tokentree-code.gguf', 'models/MODEL_CARD.md',
  'media/panel.js', 'media/panel.css', 'media/icon.svg', 'media/icon.png',
  'media/walkthrough/download.png', 'media/walkthrough/gpu.svg', 'media/walkthrough/strategy.png',
  'media/walkthrough/panel.png', 'media/walkthrough/compare.png',
];

/** node-llama-cpp and what it needs at run time, found here the way Node resolves them. */
function runtimeClosure(): Set<string> {
  const found = new Set<string>();
  const resolveFrom = (name: string, from: string): string => {
    for (let dir = from; dir.startsWith(ROOT); dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
    }
    throw new Error(`${name} is not installed (from ${from})`);
  };
  const walk = (dir: string) => {
    const rel = dir.slice(ROOT.length + 1).split('\\').join('/');
    if (found.has(rel)) return;
    found.add(rel);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) walk(resolveFrom(dep, dir));
  };
  walk(resolveFrom('node-llama-cpp', ROOT));
  found.add(`node_modules/@node-llama-cpp/${process.platform === 'darwin' ? 'mac' : process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`);
  return found;
}

describe('the staged package', function () {
  this.timeout(120_000);
  let files: string[];

  before(function () {
    if (!existsSync(join(ROOT, 'dist', 'extension.js'))) this.skip();
    const out = execFileSync(process.execPath, [join(ROOT, 'scripts', 'package.mjs'), '--no-build', '--list'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    files = out.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('package:'));
  });

  it('outside node_modules: exactly the bundles, the built-in model, the media, manifest, README, LICENSE and CHANGELOG', () => {
    assert.deepEqual(files.filter((f) => !f.startsWith('node_modules/')).sort(), [...TOP_LEVEL].sort());
  });

  it('node_modules: exactly node-llama-cpp\'s run-time closure and this platform\'s binary package', () => {
    const packages = new Set<string>();
    for (const f of files.filter((x) => x.startsWith('node_modules/'))) {
      const parts = f.split('/');
      // The deepest node_modules/<name> (or node_modules/@scope/<name>) holding the file.
      const at = parts.lastIndexOf('node_modules');
      packages.add(parts.slice(0, at + (parts[at + 1]!.startsWith('@') ? 3 : 2)).join('/'));
    }
    assert.deepEqual([...packages].sort(), [...runtimeClosure()].sort());
  });

  it('nothing that only serves development: no type declarations, source maps, docs, llama.cpp sources or templates', () => {
    const unwanted = files.filter((f) =>
      /\.d\.[mc]?ts$|\.map$/.test(f) ||
      (/\.md$/i.test(f) && f.startsWith('node_modules/') && !/LICEN[CS]E/i.test(f)) ||
      /node-llama-cpp\/(llama\/(gitRelease\.bundle|addon|cmake|CMakeLists)|templates)\b/.test(f) ||
      /^(src|test|bench|tools|scripts|docs|examples)\//.test(f));
    assert.deepEqual(unwanted, []);
  });

  it('the manifest is ready for the Marketplace and Open VSX', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown> & { icon: string; contributes: { walkthroughs: { steps: { media: Record<string, string>; description: string }[] }[] } };
    for (const key of ['icon', 'repository', 'bugs', 'homepage', 'keywords', 'galleryBanner', 'preview', 'license']) assert.ok(manifest[key] !== undefined, key);
    const png = readFileSync(join(ROOT, manifest.icon));
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
    const steps = manifest.contributes.walkthroughs[0]!.steps;
    assert.ok(steps.length >= 5);
    for (const step of steps) {
      assert.ok(existsSync(join(ROOT, step.media.image ?? step.media.svg!)), JSON.stringify(step.media));
      assert.match(step.description, /\]\(command:tokentree\.\w+\)/);
    }
  });
});
