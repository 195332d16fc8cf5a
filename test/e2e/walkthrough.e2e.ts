// The newcomer's path: the walkthrough opens, and its buttons run TokenTree's commands.
// E2E_WALKTHROUGH_SHOTS=media/walkthrough refreshes the walkthrough's pictures of the pickers.
import assert from 'node:assert/strict';
import { eventually } from './support/eventually';
import { getWorkbench } from './support/hooks';

const shots = process.env.E2E_WALKTHROUGH_SHOTS;

describe('the walkthrough', () => {
  it('"TokenTree: Get Started" opens the walkthrough, and its "Choose a Strategy" button opens the strategy picker', async function () {
    this.timeout(120_000);
    const wb = getWorkbench();
    await wb.runCommand('TokenTree: Get Started');
    const walkthrough = wb.page.locator('.gettingStartedContainer');
    await eventually('the TokenTree walkthrough', async () => (await walkthrough.innerText().catch(() => '')).includes('Get Started with TokenTree'), 30_000);
    for (const step of ['Download a code model', 'Enable the GPU', 'Choose a strategy', 'Open the candidates panel', 'Compare strategies here']) {
      assert.ok(await walkthrough.getByText(step, { exact: true }).first().isVisible(), `step "${step}"`);
    }
    await walkthrough.getByText('Choose a strategy', { exact: true }).first().click();
    const button = walkthrough.getByText('Choose a Strategy', { exact: true }).first();
    await button.waitFor({ state: 'visible' });
    await wb.screenshot('20-walkthrough');
    await button.click();
    const items = await eventually('the strategy picker', async () => {
      const shown = await wb.quickItems().catch(() => [] as string[]);
      return shown.some((i) => /mcts/.test(i)) ? shown : undefined;
    }, 20_000);
    assert.ok(items, 'the strategy picker opened');
    for (const name of ['greedy', 'top-p', 'min-p', 'entropy', 'beam', 'mcts']) assert.ok(items.some((i) => i.includes(name)), `${name} in ${JSON.stringify(items)}`);
    await wb.screenshot('21-walkthrough-strategy-picker');
    // The walkthrough marks the step done and moves on, which can take the focus (and the picker)
    // away: the picture is of the picker opened from the palette.
    await wb.closeQuickInput();
    await wb.runCommand('TokenTree: Select Decoding Strategy', { opensQuickPick: true });
    await wb.elementPicture(wb.page.locator('.quick-input-widget:visible').first(), 'strategy', shots);
    await wb.closeQuickInput();
  });

  it('the download picker it opens marks each model fits, tight or won\'t fit', async function () {
    this.timeout(120_000);
    const wb = getWorkbench();
    await wb.runCommand('TokenTree: Download a Code Model…', { opensQuickPick: true });
    await eventually('the fit check in every row', async () => {
      const d = await wb.quickItemDescriptions();
      return d.length >= 8 && d.every((x) => /(fits|tight|won't fit)$/.test(x)) ? d : undefined;
    }, 60_000);
    await wb.elementPicture(wb.page.locator('.quick-input-widget:visible').first(), 'download', shots);
    await wb.closeQuickInput();
  });
});
