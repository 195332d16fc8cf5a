// Writes tokentree-<version>.vsix for one platform:
//   npm run package -- [--target linux-x64] [--gpu vulkan|cuda] [--out file.vsix] [--no-build] [--list]
// --list stages and prints what the VSIX would hold (`vsce ls`), one path a line, without packing.
// vsce's own dependency walk would ship every optional node-llama-cpp binary package (CUDA alone
// is 500 MB), so we stage a directory with exactly what runs (dist/, models/, media/,
// node-llama-cpp's run-time dependency closure and the one binary package for the target) and
// let vsce pack that; .vscodeignore prunes the staged node_modules. See docs/packaging.md.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    target: { type: 'string' },
    gpu: { type: 'string' },
    out: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
  },
});

// VS Code target (what vsce and the Marketplace call it) -> node-llama-cpp binary packages.
const BINARIES = {
  'linux-x64': { cpu: ['linux-x64'], vulkan: ['linux-x64-vulkan'], cuda: ['linux-x64-cuda', 'linux-x64-cuda-ext'] },
  'linux-arm64': { cpu: ['linux-arm64'] },
  'linux-armhf': { cpu: ['linux-armv7l'] },
  'darwin-arm64': { cpu: ['mac-arm64-metal'] },
  'darwin-x64': { cpu: ['mac-x64'] },
  'win32-x64': { cpu: ['win-x64'], vulkan: ['win-x64-vulkan'], cuda: ['win-x64-cuda', 'win-x64-cuda-ext'] },
  'win32-arm64': { cpu: ['win-arm64'] },
};
const hostTarget = `${process.platform}-${process.arch === 'arm' ? 'armhf' : process.arch}`;
const target = args.target ?? hostTarget;
const fail = (msg) => {
  console.error(`package: ${msg}`);
  process.exit(1);
};
if (!BINARIES[target]) fail(`unknown --target ${target}; one of ${Object.keys(BINARIES).join(', ')}`);
if (args.gpu && !BINARIES[target][args.gpu]) fail(`--gpu ${args.gpu} has no prebuilt binaries for ${target}`);
const binaryPackages = [...BINARIES[target].cpu, ...(args.gpu ? BINARIES[target][args.gpu] : [])].map((p) => `@node-llama-cpp/${p}`);

const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const out = path.resolve(args.out ?? path.join(root, `${manifest.name}-${manifest.version}.vsix`));
const cache = path.join(root, '.cache', 'package');
// --list stages in a folder of its own, so a test can list while a package is being built.
fs.mkdirSync(cache, { recursive: true });
const stage = args.list ? fs.mkdtempSync(path.join(cache, 'list-')) : path.join(cache, 'stage');
const run = (cmd, argv, cwd = root) => execFileSync(cmd, argv, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });

if (!args['no-build']) run(process.execPath, ['esbuild.mjs']);
fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(stage, { recursive: true });

// The manifest without what only matters in the repo (vsce would run vscode:prepublish etc.).
const shipped = { ...manifest };
delete shipped.scripts;
delete shipped.devDependencies;
fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(shipped, null, 2) + '\n');

const copy = (rel, filter) => {
  const from = path.join(root, rel);
  if (!fs.existsSync(from)) return false;
  fs.cpSync(from, path.join(stage, rel), { recursive: true, filter: filter && ((src) => filter(path.relative(from, src))) });
  return true;
};
if (!copy('dist')) fail('dist/ is missing; run without --no-build');
for (const f of ['README.md', 'LICENSE', 'LICENSE.md', 'LICENSE.txt', 'CHANGELOG.md', '.vscodeignore']) copy(f);
copy('media');
// Only the default model ships (src/model/builtin.ts); the constructed bigram model is a
// test fixture of the repository, not something users run.
const BUILTIN = 'tokentree-code.gguf';
if (!fs.existsSync(path.join(root, 'models', BUILTIN))) {
  console.error(`package: models/${BUILTIN} is missing: the VSIX would have no built-in model`);
  process.exit(1);
}
copy('models', (rel) => rel === '' || rel === 'MODEL_CARD.md' || rel === BUILTIN);
// Say which model ships and its size: the VSIX size is mostly binaries and the model.
for (const f of fs.existsSync(path.join(stage, 'models')) ? fs.readdirSync(path.join(stage, 'models')) : []) {
  if (f.endsWith('.gguf')) console.log(`package: model ${f} (${(fs.statSync(path.join(stage, 'models', f)).size / 1048576).toFixed(1)} MiB)`);
}

// node-llama-cpp and everything it imports, copied at the same node_modules paths so that
// Node resolves them inside the extension exactly as it does here.
const nodeModules = path.join(root, 'node_modules');
function findPackage(name, fromDir) {
  for (let dir = fromDir; dir.startsWith(root); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
  }
  return null;
}
const closure = new Set();
(function walk(dir) {
  if (closure.has(dir)) return;
  closure.add(dir);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    const found = findPackage(dep, dir);
    if (!found) fail(`${dep} (needed by ${pkg.name}) is not installed; run npm ci`);
    walk(found);
  }
})(findPackage('node-llama-cpp', root) ?? fail('node-llama-cpp is not installed; run npm ci'));
for (const dir of closure) {
  fs.cpSync(dir, path.join(stage, path.relative(root, dir)), {
    recursive: true,
    filter: (src) => !path.relative(dir, src).split(path.sep).includes('node_modules'),
  });
}

// The binaries must be the version node-llama-cpp expects, else it ignores them. Packages for
// other platforms are not installed here (npm skips them), so fetch them with npm pack.
const nlcVersion = JSON.parse(fs.readFileSync(path.join(nodeModules, 'node-llama-cpp', 'package.json'), 'utf8')).version;
for (const name of binaryPackages) {
  const dest = path.join(stage, 'node_modules', name);
  const local = path.join(nodeModules, name);
  const localVersion = fs.existsSync(local) && JSON.parse(fs.readFileSync(path.join(local, 'package.json'), 'utf8')).version;
  if (localVersion === nlcVersion) {
    fs.cpSync(local, dest, { recursive: true });
    continue;
  }
  const tarballs = path.join(cache, 'tarballs');
  fs.mkdirSync(tarballs, { recursive: true });
  console.log(`package: fetching ${name}@${nlcVersion} with npm pack`);
  let file;
  try {
    file = execFileSync('npm', ['pack', `${name}@${nlcVersion}`, '--loglevel=error', '--pack-destination', tarballs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop();
  } catch (err) {
    fail(`cannot get ${name}@${nlcVersion} for --target ${target}: ${String(err.stderr).split('\n').find((l) => /notarget|404/.test(l)) ?? err.message}`);
  }
  fs.mkdirSync(dest, { recursive: true });
  run('tar', ['-xzf', path.join(tarballs, file), '-C', dest, '--strip-components=1']);
}

const vsce = path.join(nodeModules, '@vscode', 'vsce', 'vsce');
if (args.list) {
  try {
    run(process.execPath, [vsce, 'ls'], stage);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
  process.exit(0);
}
// vsce asks on stdin about a missing repository/license; stdin is closed, so it must not ask.
// Relative links and pictures in the README are rewritten to the repository's, since docs/ does not ship.
const hasLicense = ['LICENSE', 'LICENSE.md', 'LICENSE.txt'].some((f) => fs.existsSync(path.join(stage, f)));
run(process.execPath, [
  vsce, 'package', '--target', target, '--out', out,
  '--allow-missing-repository', ...(hasLicense ? [] : ['--skip-license']),
], stage);
const mb = (fs.statSync(out).size / 1024 / 1024).toFixed(1);
console.log(`package: ${path.relative(process.cwd(), out)} (${target}${args.gpu ? ` + ${args.gpu}` : ''}, ${mb} MiB)`);
