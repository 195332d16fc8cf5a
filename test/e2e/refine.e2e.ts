// Anytime completion in the editor: with MCTS, greedy's suggestion shows first, the search's
// replaces it when it differs, and the panel shows both; with `panel-only` the ghost text stays.
import assert from 'node:assert/strict';
import { eventually } from './support/eventually';
import { getServer, getWorkbench } from './support/hooks';
import { machineSettings } from './support/machine-settings';

type Wb = ReturnType<typeof getWorkbench>;
type Frame = ReturnType<Wb['webviewFrame']>;

const note = async (frame: Frame) => ((await frame.locator('.refine-note').count()) > 0 ? frame.locator('.refine-note').first().innerText() : '');
const ghostText = (wb: Wb) => wb.waitForGhostText(8_000).catch(() => '');
/** The panel's rendering of a suggestion (showToken): spaces as ·, newlines as ↵, back to text. */
const unshow = (s: string) => s.replace(/·/g, ' ').replace(/↵/g, '\n');

/**
 * Types `text` one key at a time until the search behind a first suggestion ends with a panel note
 * containing `want` (a new one: not the note before the key). Returns the ghost text seen first
 * after the key, the one after the search, and the note.
 */
async function typeUntilRefinement(wb: Wb, frame: Frame, text: string, want: string): Promise<{ first: string; final: string; note: string } | undefined> {
  const status = wb.statusBarItem('tokentree.status');
  for (const ch of text) {
    const before = await note(frame);
    await wb.typeText(ch);
    const first = await ghostText(wb);
    await eventually('the search to end', async () => !(await status.innerText()).includes('refining'), 60_000);
    const after = await eventually('the panel to settle', async () => {
      const n = await note(frame);
      return n !== '' && !n.includes('still searching') ? n : undefined;
    }, 20_000).catch(() => '');
    if (after && after !== before && after.includes(want)) return { first, final: await ghostText(wb), note: after };
  }
  return undefined;
}

describe('anytime completion (MCTS, built-in model)', () => {
  it('shows greedy\'s suggestion first and replaces it with the search\'s when it differs, the panel showing both; with panel-only the ghost text stays', async function () {
    this.timeout(600_000);
    const wb = getWorkbench();
    const status = wb.statusBarItem('tokentree.status');
    await eventually('the built-in model to be ready (status bar)', async () => (await status.innerText()).includes('built-in model'), 90_000);
    const settings = machineSettings(getServer().machineSettingsFile);
    // A search of a second or so: long enough to see the first suggestion before it ends.
    // The gate off: this is about the search replacing a suggestion, not about whether one is shown.
    const mcts = { 'tokentree.gate': 'off', 'tokentree.strategy': 'mcts', 'tokentree.mcts.simulations': 96, 'tokentree.mcts.maxModelCalls': 100000, 'tokentree.timeBudgetMs': 8000, 'tokentree.refine': 'replace' };
    const write = (extra: object) => settings.set({ ...mcts, ...extra });
    write({});
    try {
      await eventually('"mcts" in the status bar', async () => (await status.innerText()).includes('mcts'));
      const frame = await wb.openWebviewPanel('TokenTree: Show Candidates Panel');
      // Earlier tests' toasts (downloads, model changes) would cover the panel's tree in the screenshots.
      await wb.runCommand('Notifications: Clear All Notifications');
      await wb.openFile('examples/stack.ts');
      await wb.goTo(13, 1);
      await wb.typeText('\n');
      await wb.goTo(13, 1);

      const replaced = await typeUntilRefinement(wb, frame, '  const top = this.items.length - 1; if (top < 0) return undefined; ', 'replaced the first suggestion');
      assert.ok(replaced, 'a refinement replaced the first suggestion while typing');
      assert.match(replaced.note, /^first suggestion \(greedy\): “.*” · The search's suggestion replaced the first suggestion: (it scores higher|the search ranked it first)/s);
      assert.match(await status.innerText(), /refined/);
      const firstShown = unshow(/“(.*)”/s.exec(replaced.note)![1]!);
      assert.ok(replaced.final.trim().length > 0, 'the refined ghost text shows');
      assert.notEqual(replaced.final.replace(/\s+/g, ' ').trim(), firstShown.replace(/\s+/g, ' ').trim(), 'the ghost text changed');
      await wb.screenshot('30-refine-replaced');

      write({ 'tokentree.refine': 'panel-only' });
      await wb.goTo(30, 1);
      await wb.typeText('\n');
      await wb.goTo(30, 1);
      const kept = await typeUntilRefinement(wb, frame, '  const last = this.items.length - 1; if (last < 0) return undefined; ', 'is offered here');
      assert.ok(kept, 'the search found a different suggestion under panel-only');
      assert.match(await status.innerText(), /better in panel/);
      const greedy = unshow(/“(.*)”/s.exec(kept.note)![1]!);
      // VS Code draws a multi-line ghost text's first line and the rest apart: compare what it draws, in any order.
      const chars = (t: string) => [...t.replace(/\s+/g, '')].sort().join('');
      assert.equal(chars(kept.final), chars(greedy), 'the ghost text keeps the first suggestion');
      assert.equal(chars(kept.final), chars(kept.first), 'the ghost text did not change when the search ended');
      await wb.screenshot('31-refine-panel-only');
    } finally {
      settings.restore();
      // The typing above stays unsaved: later tests find the file as it was.
      await wb.runCommand('File: Revert File').catch(() => undefined);
    }
  });
});
