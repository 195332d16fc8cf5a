// Mocha root hooks (loaded through test/e2e/.mocharc.json): one code-server and one browser page
// for the whole run, since starting the workbench costs tens of seconds. Tests get it with
// getWorkbench(); a failed test leaves a screenshot in test-results/e2e/.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { resultsDir, startCodeServer, vsixPath, type CodeServer } from './code-server';
import { launchBrowser, Workbench } from './workbench';

let server: CodeServer | undefined;
let browser: Browser | undefined;
let workbench: Workbench | undefined;

export function getWorkbench(): Workbench {
  if (!workbench) throw new Error('the workbench did not start (see the "before all" hook error)');
  return workbench;
}

export function getServer(): CodeServer {
  if (!server) throw new Error('code-server did not start (see the "before all" hook error)');
  return server;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(240_000);
    fs.rmSync(resultsDir, { recursive: true, force: true });
    // Beam search: on the small demo model its best candidate is reliably non-empty at the
    // positions the tests type at, where greedy sometimes (correctly) proposes nothing.
    // The header check would refuse the damaged model of the abort test before llama.cpp could
    // abort on it; skipping it shows that even an abort leaves the editor running. Mesa's software
    // Vulkan device stands in for a GPU (ggml skips CPU-type devices unless named): tests only.
    server = await startCodeServer({
      vsix: vsixPath(), settings: { 'tokentree.strategy': 'beam' }, env: { TOKENTREE_TEST_SKIP_HEADER_CHECK: '1', GGML_VK_VISIBLE_DEVICES: '0' },
    });
    browser = await launchBrowser();
    workbench = await Workbench.open(browser, server.url);
    // Tests start once TokenTree's contributions are registered (the extension host is up).
    await workbench.waitForCommand('TokenTree: Show Log');
    await workbench.screenshot('00-workbench');
  },

  async afterEach(this: Mocha.Context) {
    const test = this.currentTest;
    if (test?.state === 'failed' && workbench) await workbench.screenshot(`failed-${test.fullTitle()}`).catch(() => undefined);
  },

  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    if (workbench?.consoleErrors.length) {
      fs.writeFileSync(path.join(resultsDir, 'browser-errors.log'), workbench.consoleErrors.join('\n') + '\n');
    }
    await browser?.close().catch(() => undefined);
    await server?.stop();
  },
};
