// Page objects for the VS Code workbench that code-server serves. Selectors are VS Code's own DOM
// classes (stable across releases for years, but not an API): when an update breaks one, it
// breaks here only.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { chromiumBin, resultsDir } from './code-server';

// No sandbox: CI runs as root. No /dev/shm: containers often give it 64 MB, which crashes tabs.
// The rest keeps Chromium from reaching out to Google services.
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumBin, headless: !process.env.E2E_HEADED, args: CHROMIUM_ARGS, timeout: 60_000 });
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const exactly = (s: string) => new RegExp(`^\\s*${escapeRegExp(s)}\\s*$`);
// Monaco renders spaces as non-breaking spaces.
const plain = (s: string | null) => (s ?? '').replace(/\u00a0/g, ' ');

export class Workbench {
  /** Uncaught page errors and console errors, for diagnosing a failure. */
  readonly consoleErrors: string[] = [];

  private constructor(readonly page: Page) {
    page.on('pageerror', (e) => this.consoleErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && this.consoleErrors.push(`console: ${m.text()}`));
  }

  static async open(browser: Browser, url: string): Promise<Workbench> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const workbench = new Workbench(page);
    try {
      await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
      await workbench.waitForReady();
    } catch (err) {
      const shot = await workbench.screenshot('startup-failed').catch(() => 'none');
      throw new Error(`the workbench did not load at ${url} (screenshot: ${shot}): ${(err as Error).message}`);
    }
    return workbench;
  }

  /** The workbench is up and the explorer shows the workspace folder. */
  async waitForReady(): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await this.page.locator('.part.statusbar').waitFor({ timeout: 60_000 });
    await this.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
  }

  get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  private quickInputRows(): Locator {
    return this.quickInput.locator('.quick-input-list .monaco-list-row');
  }

  /**
   * F1 opens the palette; Ctrl+Shift+P can be taken by the browser. A palette that something
   * else closes while it opens (a walkthrough moving on takes the focus) is left inert and then
   * hidden: it is opened again, at most twice more.
   */
  private async openQuickInput(text: string): Promise<void> {
    const input = this.quickInput.locator('input.input');
    for (let attempt = 0; ; attempt++) {
      await this.page.locator('.monaco-workbench').focus();
      await this.page.keyboard.press('F1');
      try {
        await input.waitFor({ state: 'visible' });
        await input.fill(text, { timeout: attempt < 2 ? 5_000 : 30_000 });
        return;
      } catch (err) {
        if (attempt >= 2) throw err;
        if (await this.quickInput.isVisible()) await this.page.keyboard.press('Escape');
      }
    }
  }

  async closeQuickInput(): Promise<void> {
    if (await this.quickInput.isVisible()) await this.page.keyboard.press('Escape');
    await this.quickInput.waitFor({ state: 'hidden' });
  }

  /** Labels the command palette shows for a query (closes the palette again). */
  async commandPaletteItems(query: string): Promise<string[]> {
    await this.openQuickInput(`>${query}`);
    // The list filters asynchronously: read until two reads agree.
    let previous = '';
    let labels: string[] = [];
    for (let i = 0; i < 20; i++) {
      await this.page.waitForTimeout(150);
      labels = (await this.quickInputRows().locator('.label-name').allTextContents()).map((l) => plain(l).trim());
      const key = labels.join('\n');
      if (key === previous && (labels.length > 0 || i > 6)) break;
      previous = key;
    }
    await this.closeQuickInput();
    return labels;
  }

  /**
   * Waits until the palette offers a command: contributed commands appear only once the
   * extension host has started, which is seconds after the workbench itself renders.
   */
  async waitForCommand(title: string, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let items: string[] = [];
    while (Date.now() < deadline) {
      items = await this.commandPaletteItems(title);
      if (items.includes(title)) return;
      await this.page.waitForTimeout(1000);
    }
    throw new Error(`the command palette did not offer "${title}" within ${timeoutMs / 1000}s; it showed ${JSON.stringify(items)}`);
  }

  /**
   * Runs a command by its palette title, e.g. "TokenTree: Show Log". A command that opens its
   * own QuickPick keeps the quick input open: pass `opensQuickPick` to wait for that instead.
   */
  async runCommand(title: string, options: { opensQuickPick?: boolean } = {}): Promise<void> {
    await this.openQuickInput(`>${title}`);
    const row = this.quickInputRows().filter({ has: this.page.locator('.label-name', { hasText: exactly(title) }) }).first();
    try {
      await row.waitFor({ timeout: 10_000 });
    } catch {
      const shown = (await this.quickInputRows().locator('.label-name').allTextContents()).map(plain);
      await this.closeQuickInput();
      throw new Error(`command "${title}" is not in the command palette; it shows: ${JSON.stringify(shown)}`);
    }
    await row.click();
    if (options.opensQuickPick) await row.waitFor({ state: 'detached', timeout: 10_000 });
    else await this.quickInput.waitFor({ state: 'hidden' });
  }

  /** Moves the cursor of the active editor to a 1-based line and column (Go to Line/Column). */
  async goTo(line: number, column: number): Promise<void> {
    await this.openQuickInput(`:${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await this.quickInput.waitFor({ state: 'hidden' });
  }

  /** Picks the row of an open QuickPick whose label is exactly `label` (`opensQuickPick`: the pick opens another). */
  async pickQuickItem(label: string, options: { opensQuickPick?: boolean } = {}): Promise<void> {
    const row = this.quickInputRows().filter({ has: this.page.locator('.label-name', { hasText: exactly(label) }) }).first();
    await row.waitFor({ timeout: 10_000 });
    await row.click();
    if (options.opensQuickPick) await row.waitFor({ state: 'detached', timeout: 10_000 });
    else await this.quickInput.waitFor({ state: 'hidden' });
  }

  /** Types into the open QuickPick's input (its value), as a user pastes a URL. */
  async fillQuickInput(text: string): Promise<void> {
    await this.quickInput.locator('input.input').fill(text);
  }

  /** The descriptions (the grey text after each label) of the open QuickPick's rows. */
  async quickItemDescriptions(): Promise<string[]> {
    await this.quickInputRows().first().waitFor({ timeout: 10_000 });
    return (await this.quickInputRows().locator('.label-description').allTextContents()).map((l) => plain(l).trim());
  }

  /**
   * Clicks a button of the notification whose message contains `message`: on its toast, or,
   * once the toast has gone, in the notification center.
   */
  async clickNotificationButton(message: string, button: string): Promise<void> {
    const toast = this.page.locator('.notification-toast').filter({ hasText: message }).first();
    const where = (await toast.isVisible()) ? toast : await this.inNotificationCenter(message);
    await where.locator('.monaco-button', { hasText: exactly(button) }).first().click();
  }

  /** Notifications in the notification center, which keeps those whose toast has gone (it opens the center). */
  async notificationCenter(): Promise<string[]> {
    await this.runCommand('Notifications: Show Notifications');
    const messages = this.page.locator('.notifications-center .notification-list-item-message');
    await messages.first().waitFor({ timeout: 5000 }).catch(() => undefined);
    return (await messages.allInnerTexts()).map(plain);
  }

  private async inNotificationCenter(message: string): Promise<Locator> {
    await this.runCommand('Notifications: Show Notifications');
    const item = this.page.locator('.notifications-center .notification-list-item').filter({ hasText: message }).first();
    await item.waitFor({ timeout: 5000 });
    // Actions show when the item is focused or hovered.
    await item.hover();
    return item;
  }

  /** Clicks a button of the open modal dialog. */
  async clickDialogButton(label: string): Promise<void> {
    await this.page.locator('.monaco-dialog-box .monaco-button', { hasText: exactly(label) }).first().click();
  }

  /** Accepts the open QuickPick as it is (a multi-select with its preselected rows). */
  async acceptQuickPick(): Promise<void> {
    await this.quickInput.locator('input.input').press('Enter');
    await this.quickInput.waitFor({ state: 'hidden' });
  }

  /** Labels of the rows of the open QuickPick. */
  async quickItems(): Promise<string[]> {
    await this.quickInputRows().first().waitFor({ timeout: 10_000 });
    return (await this.quickInputRows().locator('.label-name').allTextContents()).map((l) => plain(l).trim());
  }

  /** Opens a workspace-relative file through Quick Open and waits for its editor. */
  async openFile(relativePath: string): Promise<Locator> {
    const name = path.basename(relativePath);
    await this.openQuickInput(relativePath);
    const row = this.quickInputRows().filter({ has: this.page.locator('.label-name', { hasText: exactly(name) }) }).first();
    await row.waitFor({ timeout: 20_000 });
    await row.click();
    await this.page.locator(`.tabs-container .tab.active[data-resource-name="${name}"]`).waitFor();
    const editor = this.activeEditor();
    await editor.locator('.view-lines').waitFor();
    return editor;
  }

  activeEditor(): Locator {
    return this.page.locator('.editor-group-container.active .monaco-editor[data-uri]').first();
  }

  /** Focuses the active editor and puts the cursor at the end of the document. */
  async focusEditorEnd(): Promise<void> {
    await this.activeEditor().locator('.view-lines').click();
    await this.page.keyboard.press('Control+End');
  }

  /** Types into the focused editor like a user (one key event per character). */
  async typeText(text: string, delayMs = 15): Promise<void> {
    await this.page.keyboard.type(text, { delay: delayMs });
  }

  /** The rendered (visible) lines of the active editor, top to bottom. */
  async visibleEditorLines(): Promise<string[]> {
    const lines = await this.activeEditor().locator('.view-lines .view-line').evaluateAll((els) =>
      els.map((el) => ({ top: el.getBoundingClientRect().top, text: el.textContent ?? '' })),
    );
    return lines.sort((a, b) => a.top - b.top).map((l) => plain(l.text));
  }

  /** The rendered text of the cursor's line (inline ghost text, if shown, is part of it). */
  async currentLineText(): Promise<string> {
    const editor = this.activeEditor();
    const cursorTop = await editor.locator('.cursor').first().evaluate((el) => el.getBoundingClientRect().top);
    const lines = await editor.locator('.view-lines .view-line').evaluateAll((els, top) => {
      const hit = els.find((el) => Math.abs(el.getBoundingClientRect().top - top) < 4);
      return hit?.textContent ?? null;
    }, cursorTop);
    return plain(lines);
  }

  /** Texts of the status bar items, left to right (icons are not included). */
  async readStatusBar(): Promise<string[]> {
    const items = await this.page.locator('.part.statusbar .statusbar-item').evaluateAll((els) =>
      els.map((el) => (el.textContent ?? '').trim()).filter((t) => t.length > 0),
    );
    return items.map(plain);
  }

  /** A status bar item by its extension-given id, e.g. "tokentree.status" (VS Code prefixes it with the extension id). */
  statusBarItem(id: string): Locator {
    return this.page.locator(`.part.statusbar .statusbar-item[id$="${id}"]`);
  }

  /** Asks the active editor for inline suggestions now, as Alt+\ does. */
  async triggerInlineSuggestion(): Promise<void> {
    await this.runCommand('Trigger Inline Suggestion');
  }

  /** Waits for inline-suggestion ghost text in the active editor and returns it. */
  async waitForGhostText(timeoutMs = 30_000): Promise<string> {
    const ghost = this.activeEditor().locator('.ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text');
    await ghost.first().waitFor({ state: 'visible', timeout: timeoutMs });
    return plain((await ghost.allTextContents()).join(''));
  }

  /** Visible notification toasts (errors from the extension show up here). */
  async notifications(): Promise<string[]> {
    return (await this.page.locator('.notification-toast .notification-list-item-message').allInnerTexts()).map(plain);
  }

  /** Shows an output channel through the panel's channel picker and returns its text. */
  async outputChannelText(channel: string): Promise<string> {
    await this.runCommand('Output: Show Output Channels...');
    const row = this.quickInputRows().filter({ has: this.page.locator('.label-name', { hasText: exactly(channel) }) }).first();
    try {
      await row.waitFor({ timeout: 10_000 });
    } catch {
      const shown = (await this.quickInputRows().locator('.label-name').allTextContents()).map(plain);
      await this.closeQuickInput();
      throw new Error(`output channel "${channel}" does not exist; channels: ${JSON.stringify(shown)}`);
    }
    await row.click();
    return this.outputPanelText();
  }

  /** Text of the output view in the panel (what is rendered of it). */
  async outputPanelText(): Promise<string> {
    const view = this.page.locator('.part.panel .monaco-editor .view-lines').first();
    await view.waitFor();
    return plain(await view.innerText());
  }

  /**
   * Runs the command that reveals a webview and returns the frame holding its content. Webviews
   * are an iframe (VS Code's host page) around another iframe (#active-frame, the extension's HTML).
   */
  async openWebviewPanel(commandTitle: string): Promise<FrameLocator> {
    await this.runCommand(commandTitle);
    await this.page.locator('iframe.webview.ready').first().waitFor();
    const frame = this.webviewFrame();
    await frame.locator('body').waitFor();
    return frame;
  }

  /** The content frame of the n-th ready webview (0: the first in the DOM). */
  webviewFrame(index = 0): FrameLocator {
    return this.page.locator('iframe.webview.ready').nth(index).contentFrame().locator('#active-frame').contentFrame();
  }

  /**
   * A picture of the first webview (the candidates panel) for the README: the panel maximized
   * while it is taken. Saved with the other screenshots, and into $E2E_README_SHOTS when set
   * (`E2E_README_SHOTS=docs/images npm run test:e2e` refreshes the README's pictures).
   */
  async panelPicture(name: string): Promise<string> {
    await this.runCommand('View: Toggle Maximized Panel');
    // No hover tooltip of the workbench over the picture, and no notification toast (hidden, not
    // dismissed: the notification center keeps it for the tests that read it).
    await this.page.mouse.move(1, 1);
    const hidden = await this.page.addStyleTag({ content: '.notifications-toasts { visibility: hidden !important; }' });
    await this.page.waitForTimeout(800);
    fs.mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `${name}.png`);
    await this.page.locator('iframe.webview.ready').first().screenshot({ path: file });
    await hidden.evaluate((style) => style.remove());
    await this.runCommand('View: Toggle Maximized Panel');
    const readme = process.env.E2E_README_SHOTS;
    if (readme) fs.copyFileSync(file, path.join(path.resolve(readme), `${name}.png`));
    return file;
  }

  /**
   * Where the explored tree is on screen: its node circles whose centre is inside both the
   * drawing's box and the webview's own viewport (all of them, and the main path's: the root's
   * row), and the median height of the labels drawn there.
   */
  async treeInView(frame: FrameLocator): Promise<{ circles: number; inside: number; share: number; path: number; pathInside: number; rootInside: boolean; labelPx: number; canvas: { width: number; height: number } }> {
    type Box = { left: number; top: number; right: number; bottom: number; width: number; height: number };
    type Element = { getBoundingClientRect(): Box; getAttribute(name: string): string | null };
    type Page = { document: { querySelector(s: string): Element; querySelectorAll(s: string): Iterable<Element> }; innerWidth: number; innerHeight: number };
    return frame.locator('body').evaluate(() => {
      const { document, innerWidth, innerHeight } = globalThis as unknown as Page;
      const canvas = document.querySelector('svg.tree-canvas').getBoundingClientRect();
      const [left, right, top, bottom] = [Math.max(canvas.left, 0), Math.min(canvas.right, innerWidth), Math.max(canvas.top, 0), Math.min(canvas.bottom, innerHeight)];
      const nodes = [...document.querySelectorAll('circle.tree-node')].map((c) => ({ box: c.getBoundingClientRect(), cy: c.getAttribute('cy'), root: c.getAttribute('data-id') === '' }));
      // No named inner functions: the bundler's name helper does not exist in the page.
      const seen = nodes.map((n) => {
        const [x, y] = [n.box.left + n.box.width / 2, n.box.top + n.box.height / 2];
        return x >= left && x <= right && y >= top && y <= bottom;
      });
      const rootAt = nodes.find((n) => n.root)?.cy;
      const onPath = nodes.map((n) => n.cy === rootAt);
      const labels = [...document.querySelectorAll('g.tree-labels text')].map((t) => t.getBoundingClientRect()).filter((b) => b.top >= top && b.bottom <= bottom && b.left >= left && b.left <= right).map((b) => b.height).sort((a, b) => a - b);
      const inside = seen.filter(Boolean).length;
      return {
        circles: nodes.length, inside, share: nodes.length ? inside / nodes.length : 0,
        path: onPath.filter(Boolean).length, pathInside: seen.filter((s, i) => s && onPath[i]).length, rootInside: seen.some((s, i) => s && nodes[i]!.root),
        labelPx: labels.length ? labels[labels.length >> 1]! : 0, canvas: { width: canvas.width, height: canvas.height },
      };
    });
  }

  /** A picture of one element (a quick pick, a webview) into test-results/e2e/, and into `dir` when given. */
  async elementPicture(locator: Locator, name: string, dir?: string): Promise<string> {
    fs.mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `${name}.png`);
    await this.page.mouse.move(1, 1);
    await locator.screenshot({ path: file });
    if (dir) fs.copyFileSync(file, path.join(path.resolve(dir), `${name}.png`));
    return file;
  }

  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }
}
