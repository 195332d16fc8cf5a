/**
 * Integration tests inside VS Code desktop (Electron), for machines that can run it.
 *
 *   npm run test:electron                         # downloads VS Code stable into .vscode-test/
 *   VSCODE_EXECUTABLE=/path/to/code npm run test:electron   # uses a local VS Code instead
 *
 * Not part of `npm test`: CI here cannot download or run VS Code desktop; the browser suite
 * (test/e2e, code-server) covers the same user paths there.
 */
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../..');
  const workspace = path.join(root, 'examples');
  const code = await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(__dirname, 'suite', 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-gpu'],
    ...(process.env.VSCODE_EXECUTABLE ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE } : {}),
  });
  process.exitCode = code;
}

main().catch((e) => {
  console.error(`electron tests failed to run: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
