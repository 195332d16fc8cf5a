// Ghost text beside VS Code's suggest widget: while the widget is open, VS Code shows an inline
// completion only if it extends the selected item, so the completion follows the item.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { eventually } from './support/eventually';
import { getServer, getWorkbench } from './support/hooks';
import { machineSettings } from './support/machine-settings';

const USE = "import { Stack } from '../examples/stack';\n\nconst stack = new Stack<number>();\n";

describe('ghost text with the suggest widget open (built-in model)', () => {
  it('follows the selected item: the ghost text starts with it and changes with it; Tab takes the item, the rest stays, a second Tab takes it', async function () {
    this.timeout(300_000);
    const wb = getWorkbench();
    const status = wb.statusBarItem('tokentree.status');
    await eventually('the built-in model to be ready (status bar)', async () => (await status.innerText()).includes('built-in model'), 90_000);
    const settings = machineSettings(getServer().machineSettingsFile);
    // The gate off: this is about what the widget lets through, not about whether a suggestion is likely right.
    settings.set({ 'tokentree.gate': 'off', 'tokentree.strategy': 'greedy' });
    try {
      await eventually('"greedy" in the status bar', async () => (await status.innerText()).includes('greedy'));
      const dir = path.join(getServer().workspace, 'widget');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'use.ts'), USE);
      await wb.runCommand('Notifications: Clear All Notifications');
      await wb.openFile('widget/use.ts');
      await wb.focusEditorEnd();
      // TypeScript's members of Stack once its server has read the files; VS Code's words before.
      await eventually('TypeScript done analyzing', async () => !(await wb.readStatusBar()).some((t) => /Analyzing|Initializing/.test(t)), 60_000).catch(() => undefined);
      const widget = wb.activeEditor().locator('.suggest-widget.visible');
      const selected = async () => plainLabel(await widget.locator('.monaco-list-row.focused .label-name').first().innerText({ timeout: 2_000 }));
      await wb.typeText('stack.');
      await eventually('the suggest widget open with an item selected', async () => {
        if ((await selected().catch(() => '')) !== '') return true;
        if (!(await widget.count())) await wb.page.keyboard.press('Control+Space');
        await new Promise((r) => setTimeout(r, 1_000));
        return false;
      }, 90_000);
      // Down the list: each item gets its own ghost text, starting with it, where the model's text
      // after it does not run on into its name (the built-in model's often does: then none).
      const ghostAfter = async (item: string) => eventually(`ghost text after "${item}" with the widget open`, async () => {
        const text = await wb.waitForGhostText(2_000).catch(() => '');
        return text.startsWith(item) && (await widget.count()) > 0 ? text : undefined;
      }, 12_000).catch(() => undefined);
      const seen: string[] = [];
      let item = await selected();
      let ghost = await ghostAfter(item);
      const without: string[] = [];
      for (let i = 0; i < 8; i++) {
        if (ghost) seen.push(`${item} → ${ghost}`);
        else without.push(item);
        if (ghost && seen.length === 1) await wb.screenshot('11-ghost-text-with-suggest-widget');
        if (seen.length === 2) break;
        await wb.page.keyboard.press('ArrowDown');
        const before = item;
        item = await eventually('another item selected', async () => {
          const now = await selected();
          return now !== before ? now : undefined;
        }) as string;
        ghost = await ghostAfter(item);
      }
      console.log(`      ghost text beside the widget: ${seen.join(' · ')}; none after ${JSON.stringify(without)}`);
      assert.equal(seen.length, 2, 'two items with ghost text of their own');
      assert.ok(ghost);
      // Tab takes the item; the rest of the suggestion stays as ghost text, and a second Tab takes it.
      await wb.page.keyboard.press('Tab');
      const rest = await eventually('the rest as ghost text, the widget closed', async () => {
        const text = await wb.waitForGhostText(3_000).catch(() => '');
        return text && (await widget.count()) === 0 ? text : undefined;
      }, 30_000);
      // The editor draws ghost text only as far as the view: texts agree as far as both go.
      const agree = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);
      assert.ok(agree(rest!, ghost.slice(item.length)), `the rest "${rest}" of "${ghost}"`);
      await wb.page.keyboard.press('Tab');
      // Escape hides any ghost text that follows, which the rendered line would include.
      await wb.page.keyboard.press('Escape');
      await new Promise((r) => setTimeout(r, 500));
      const line = await wb.currentLineText();
      console.log(`      "${item}" selected, ghost text "${ghost}"; Tab, then "${rest}"; Tab: the line reads "${line}"`);
      assert.ok(agree(`stack.${ghost}`, line) && line.length > `stack.${item}`.length, `the item and the completion after it inserted: "${line}"`);
    } finally {
      settings.restore();
    }
  });
});

/** A suggest row's label without the highlight's markup spacing. */
const plainLabel = (s: string) => s.replace(/\s+/g, '').trim();
