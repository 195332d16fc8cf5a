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
  external: ['vscode', 'node-llama-cpp'],
  logLevel: 'info',
};
const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // The candidates panel's browser side: no Node, no modules, loaded under a nonce CSP.
  { bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: false, logLevel: 'info', entryPoints: ['src/webview/browser/main.ts'], outfile: 'media/panel.js' },
];
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
