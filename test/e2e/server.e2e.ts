// The model on a llama-server, as a user with a GPU box meets it: tokentree.server.url in the
// machine settings, then ghost text, the candidates panel with its explored tree, and the status
// bar naming the server; emptying the setting brings the built-in model back.
import assert from 'node:assert/strict';
import path from 'node:path';
import { freePort, startLlamaServer, type RunningServer } from '../support/llama-server';
import { eventually } from './support/eventually';
import { getServer, getWorkbench } from './support/hooks';
import { machineSettings } from './support/machine-settings';

const builtinModel = path.join(__dirname, '..', '..', 'models', 'tokentree-code.gguf');

describe('TokenTree on a llama-server (code-server)', function () {
  this.timeout(300_000);
  let llama: RunningServer;
  let settings: ReturnType<typeof machineSettings> | undefined;

  before(async () => {
    llama = await startLlamaServer({ model: builtinModel, slots: 4, contextPerSlot: 256 });
    settings = machineSettings(getServer().machineSettingsFile);
  });
  after(async () => {
    settings?.restore();
    await llama?.stop();
  });

  it('completes through the server: ghost text, candidates and the explored tree in the panel, the server in the status bar', async () => {
    const wb = getWorkbench();
    // The gate off: which keystroke first shows ghost text (where the comparison then runs) must
    // not hang on a calibration fitted for another model; the gate has its own tests.
    settings!.set({ 'tokentree.server.url': llama.url, 'tokentree.strategy': 'beam', 'tokentree.gate': 'off' });
    const status = wb.statusBarItem('tokentree.status');
    await eventually('the server ready (status bar)', async () => (await status.innerText()).includes('(server)'), 90_000);
    await wb.openFile('examples/stack.ts');
    await wb.focusEditorEnd();
    await wb.typeText('\nconst other = new Stack<string>();\n');
    let ghost = '';
    for (const ch of 'other.push("a");') {
      await wb.typeText(ch);
      ghost = await wb.waitForGhostText(8_000).catch(() => '');
      if (ghost.trim()) break;
    }
    // The log only on failure: reading it opens the output channel, which hides the ghost text.
    if (!ghost.trim()) assert.fail(`no ghost text through the server; log: ${await wb.outputChannelText('TokenTree').catch(() => '')}`);
    await wb.screenshot('10-server-ghost-text');
    const frame = await wb.openWebviewPanel('TokenTree: Show Candidates Panel');
    await eventually('candidates from the server in the panel', async () => (await frame.locator('.candidate').count()) > 0, 60_000);
    // Greedy's suggestion comes first (tokentree.refine): the panel then shows beam's search.
    await eventually('beam\'s search in the panel', async () => /beam/.test(await frame.locator('header .strategy').innerText()), 60_000);
    assert.ok((await frame.locator('circle.tree-node').count()) > 1, 'the explored tree is drawn');
    await wb.screenshot('11-server-panel');
    const log = getServer().tokentreeLog();
    assert.ok(log.includes(`llama-server ready at ${llama.url}`), 'the log names the server');
    // Every strategy through the server, side by side.
    await wb.runCommand('TokenTree: Compare Strategies Here', { opensQuickPick: true });
    await wb.acceptQuickPick();
    const rows = wb.webviewFrame().locator('.compare-row');
    await eventually('six strategies compared through the server', async () => (await rows.count()) === 6, 180_000);
    assert.ok((await wb.webviewFrame().locator('.compare-insert').count()) > 0, 'some strategy has a suggestion');
    await wb.screenshot('12-server-compare');
  });

  it('says which server does not answer, and goes back to the local model when the setting is emptied', async () => {
    const wb = getWorkbench();
    const status = wb.statusBarItem('tokentree.status');
    const dead = `http://127.0.0.1:${await freePort()}`;
    settings!.set({ 'tokentree.server.url': dead });
    const shown = (await eventually('a notification naming the server', async () => (await wb.notifications()).find((n) => n.includes(dead)), 90_000))!;
    assert.match(shown, /No llama-server answers at/);
    assert.match(await status.innerText(), /model error/);
    await wb.screenshot('13-server-unreachable');
    settings!.restore();
    await eventually('the built-in model again (status bar)', async () => (await status.innerText()).includes('built-in model'), 90_000);
  });
});
