// The gate in the editor: with `tokentree.gate` at a probability no suggestion reaches, no ghost
// text appears, and the candidates panel still shows the suggestion, marked as kept back.
import assert from 'node:assert/strict';
import { eventually } from './support/eventually';
import { getServer, getWorkbench } from './support/hooks';
import { machineSettings } from './support/machine-settings';

describe('the gate (built-in model)', () => {
  it('keeps an unlikely suggestion out of the ghost text and shows it in the panel with its probability', async function () {
    this.timeout(300_000);
    const wb = getWorkbench();
    const status = wb.statusBarItem('tokentree.status');
    await eventually('the built-in model to be ready (status bar)', async () => (await status.innerText()).includes('built-in model'), 90_000);
    const settings = machineSettings(getServer().machineSettingsFile);
    settings.set({ 'tokentree.strategy': 'greedy', 'tokentree.gate': 0.999999 });
    try {
      await eventually('"greedy" in the status bar', async () => (await status.innerText()).includes('greedy'));
      const frame = await wb.openWebviewPanel('TokenTree: Show Candidates Panel');
      await wb.openFile('examples/stack.ts');
      await wb.goTo(13, 1);
      await wb.typeText('\n');
      await wb.goTo(13, 1);
      await wb.typeText('  const top = this.');
      await wb.triggerInlineSuggestion();
      const note = await eventually('the panel to mark a suggestion kept back', async () => {
        const n = frame.locator('.gate-note.suppressed');
        return (await n.count()) > 0 ? n.first().innerText() : undefined;
      }, 60_000);
      assert.match(note ?? '', /^gate: not shown inline: \d+% likely right, below the gate's 100%(; weighed most: .+)?$/);
      assert.ok((await frame.locator('.candidate').count()) > 0, 'the panel lists the suggestion');
      assert.equal(await wb.waitForGhostText(5_000).catch(() => ''), '', 'no ghost text');
      await wb.screenshot('40-gate-kept-back');
    } finally {
      settings.restore();
      await wb.runCommand('File: Revert File').catch(() => undefined);
    }
  });
});
