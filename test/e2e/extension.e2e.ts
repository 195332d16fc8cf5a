// What a user sees of TokenTree in a real VS Code (code-server in Chromium). Add assertions here
// through the page objects in support/workbench.ts.
import assert from 'node:assert/strict';
import { getWorkbench } from './support/hooks';

/** Polls until check() returns a truthy value, else fails with the last value seen. */
async function eventually<T>(what: string, check: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  do {
    last = await check();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 500));
  } while (Date.now() < deadline);
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}; last: ${JSON.stringify(last)}`);
}

describe('TokenTree in VS Code (code-server)', () => {
  it('is installed: the command palette lists its commands', async () => {
    const items = await getWorkbench().commandPaletteItems('TokenTree:');
    assert.ok(items.includes('TokenTree: Show Log'), `palette shows ${JSON.stringify(items)}`);
  });

  it('activates: "TokenTree: Show Log" shows the TokenTree channel with the activation line', async () => {
    const wb = getWorkbench();
    await wb.runCommand('TokenTree: Show Log');
    await eventually('"TokenTree activated" in the output panel', async () => (await wb.outputPanelText()).includes('TokenTree activated'));
    await wb.screenshot('01-log-channel');
  });

  it('opens examples/stack.ts and typing edits it', async () => {
    const wb = getWorkbench();
    await wb.openFile('examples/stack.ts');
    await wb.focusEditorEnd();
    await wb.typeText('\n// typed by e2e');
    await eventually('the typed line in the editor', async () => (await wb.currentLineText()).includes('// typed by e2e'));
    await wb.screenshot('02-typed');
  });

  it('shows the candidates view: a webview whose document renders', async () => {
    const wb = getWorkbench();
    const frame = await wb.openWebviewPanel('TokenTree: Show Candidates Panel');
    await eventually('text in the candidates webview', async () => (await frame.locator('body').innerText()).trim());
    await wb.screenshot('03-candidates-view');
  });
});
