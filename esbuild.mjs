// Bundles the extension and the CLI into dist/. node-llama-cpp stays external: it ships
// native binaries and is loaded at run time with import(); vscode is provided by the host.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  // typescript: loaded lazily from dist/typescript.js (its own bundle, below).
  external: ['vscode', 'node-llama-cpp', 'typescript'],
  logLevel: 'info',
  // ESM dependencies (fdir, under tinyglobby) read import.meta.url, which a CJS bundle lacks.
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: "const __importMetaUrl = require('url').pathToFileURL(__filename).href;" },
};
const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  // The model process (src/model-process): llama.cpp runs there, so nothing it does takes the editor down.
  { ...common, entryPoints: ['src/model-process/worker.ts'], outfile: 'dist/model-worker.js' },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: "#!/usr/bin/env node\nconst __importMetaUrl = require('url').pathToFileURL(__filename).href;" } },
  { ...common, entryPoints: ['src/syntax/typescript-bundle.ts'], outfile: 'dist/typescript.js', external: [], minify: true, sourcemap: false, logLevel: 'warning' },
  // The candidates panel's browser side: no Node, no modules, loaded under a nonce CSP.
  { bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: false, logLevel: 'info', entryPoints: ['src/webview/browser/main.ts'], outfile: 'media/panel.js' },
];
// Benchmarks run the code as it ships, bundled like dist/ (into out/bench/, which is not packaged).
// Under tsx every closure the engine creates also gets a __name() call (tsx keeps function names),
// which cost 2-4% of a greedy step on the built-in model: a cost users never pay.
const benches = ['bench/process-overhead.ts', 'bench/snapshots.ts', 'bench/healing.ts', 'bench/completion.ts', 'bench/decoding.ts', 'bench/typing.ts', 'bench/branch.ts', 'tools/bench-step.ts', 'tools/bench-backend.ts'];
if (process.argv.includes('--bench')) {
  await Promise.all(benches.map((entry) => esbuild.build({
    ...common, entryPoints: [entry], outfile: `out/bench/${entry.split('/').pop().replace(/\.ts$/, '.js')}`, logLevel: 'warning',
  })));
} else if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
