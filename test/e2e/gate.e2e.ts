// The gate in the editor: with `tokentree.gate` at a probability no suggestion reaches, no ghost
// text appears, the candidates panel still shows the suggestion, marked as kept back, and
// Accept Until Uncertain does not insert it.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CALIBRATIONS_DIR, SHIPPED_CALIBRATION, storeCalibration } from '../../src/gate/calibration-store';
import { modelIdentity } from '../../src/gate/model-identity';
import { BUILTIN_MODEL_FILE } from '../../src/model/builtin';
import { eventually } from './support/eventually';
import { getServer, getWorkbench } from './support/hooks';
import { repoRoot } from './support/code-server';
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
      // Accept Until Uncertain takes what is on screen: a suggestion kept back is not.
      await wb.runCommand('TokenTree: Accept Until Uncertain');
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(await wb.currentLineText(), '  const top = this.', 'nothing inserted');
    } finally {
      settings.restore();
      await wb.runCommand('File: Revert File').catch(() => undefined);
    }
  });
});

describe('a calibration stored while the editor is open (built-in model)', () => {
  it('applies at once: a predictor that rejects everything keeps the suggestion back under `gate: auto`', async function () {
    this.timeout(300_000);
    const identity = await modelIdentity(path.join(repoRoot, 'models', BUILTIN_MODEL_FILE));
    const file = path.join(DEFAULT_CALIBRATIONS_DIR, `${identity}.json`);
    // Never overwrite a calibration the machine's user fitted.
    if (existsSync(file)) this.skip();
    const wb = getWorkbench();
    const settings = machineSettings(getServer().machineSettingsFile);
    settings.set({ 'tokentree.strategy': 'greedy', 'tokentree.gate': 'auto' });
    try {
      const frame = await wb.openWebviewPanel('TokenTree: Show Candidates Panel');
      await wb.openFile('examples/stack.ts');
      const never = { intercept: -30, features: [], threshold: 0.5, enabled: true, heldOut: { auroc: 0.9, precision: 1, recall: 1, baselinePrecision: 0.1, positions: 10 } };
      storeCalibration({ ...SHIPPED_CALIBRATION, modelIdentity: identity, model: 'e2e', strategies: { greedy: never } });
      await wb.goTo(13, 1);
      await wb.typeText('\n');
      await wb.goTo(13, 1);
      await wb.typeText('  const top = this.');
      await wb.triggerInlineSuggestion();
      // The shipped calibration may keep it back too, at its own threshold: only the stored one says 50%.
      await eventually('the panel to mark a suggestion kept back by the stored calibration', async () => {
        const n = frame.locator('.gate-note.suppressed');
        return (await n.count()) > 0 && /^gate: not shown inline: 0% likely right, below the gate's 50%$/.test(await n.first().innerText());
      }, 60_000);
    } finally {
      rmSync(file, { force: true });
      settings.restore();
      await wb.runCommand('File: Revert File').catch(() => undefined);
      // The shipped calibration is back once the editor has seen the file go.
      await new Promise((r) => setTimeout(r, 2_000));
    }
  });
});
