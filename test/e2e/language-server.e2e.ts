// Runs after extension.e2e.ts (mocha takes the files in name order): it clears the notifications,
// the first-run notice among them, which that file checks.
// Definitions from the language server in the editor: typing `order.` in main.ts, with the
// Order interface declared in types.ts, puts the interface's outline in the prompt (the panel's
// context list shows what the prompt held, a click opens it) and the log names the lookup.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { eventually } from './support/eventually';
import { getServer, getWorkbench } from './support/hooks';

const TYPES = '/** A customer order. */\nexport interface Order {\n  id: string;\n  quantity: number;\n  unitPrice: number;\n}\n';
const MAIN = "import type { Order } from './types';\n\nexport function cost(order: Order): number {\n  const total = 0;\n  return total;\n}\n";

describe('definitions from the language server (built-in model)', () => {
  it('typing order. puts the Order interface in the prompt: the panel lists it and opens it, the log names it', async function () {
    this.timeout(300_000);
    const wb = getWorkbench();
    const status = wb.statusBarItem('tokentree.status');
    await eventually('the built-in model to be ready (status bar)', async () => (await status.innerText()).includes('built-in model'), 90_000);
    const dir = path.join(getServer().workspace, 'defs');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'types.ts'), TYPES);
    fs.writeFileSync(path.join(dir, 'main.ts'), MAIN);
    const frame = await wb.openWebviewPanel('TokenTree: Show Candidates Panel');
    await wb.runCommand('Notifications: Clear All Notifications');
    await wb.openFile('defs/main.ts');
    // A new line 5 above `return total;`: nothing right of the cursor, so typing asks for completions.
    await wb.goTo(5, 1);
    await wb.typeText('\n');
    await wb.goTo(5, 1);
    await wb.typeText('  const price = order.');
    // The lookup runs when the cursor stops; TypeScript's server may still be starting: keep typing a little.
    const log = await eventually('the lookup in the log', async () => {
      const text = getServer().tokentreeLog();
      if (/Definitions for defs\/main\.ts:5 .*[oO]rder \(defs\/types\.ts:1-6\)/.test(text)) return text;
      await wb.typeText('u');
      await new Promise((r) => setTimeout(r, 1500));
      return undefined;
    }, 120_000).catch(async () => {
      await wb.screenshot('41-definitions-no-lookup');
      const panelText = await frame.locator('body').innerText().catch(() => '');
      assert.fail(`no lookup named order's interface; editor line: ${await wb.currentLineText()}; panel: ${panelText.slice(0, 300)}; TokenTree log: ${getServer().tokentreeLog().split('\n').slice(-40).join('\n')}`);
    });
    assert.ok(log);
    // The next completion after the idle fold-in holds the definitions: the panel says so.
    const entry = (await eventually('the declaration in the panel\'s context list', async () => {
      await wb.typeText('n');
      const items = frame.locator('.context-open');
      for (let i = 0; i < await items.count(); i++) if ((await items.nth(i).innerText()).includes('defs/types.ts:1-6')) return items.nth(i);
      await new Promise((r) => setTimeout(r, 1500));
      return undefined;
    }, 120_000))!;
    assert.match(await entry.innerText(), /^order → defs\/types\.ts:1-6$/);
    await wb.screenshot('40-definitions-panel');
    await entry.click();
    await eventually('types.ts opened at the interface', async () => (await wb.visibleEditorLines()).some((l) => l.includes('export interface Order')), 20_000);
  });
});
