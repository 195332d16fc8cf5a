// Getting a real model as a user does, in code-server: "Download a Code Model…" with its fit
// check, a pasted URL served by a server on 127.0.0.1 (no hub can be reached here), a cancelled
// and a failed download that leave the model in use, and "Manage Models".
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { beginRange, serveNotFound, servePage } from '../support/range-server';
import { eventually } from './support/eventually';
import { getServer, getWorkbench } from './support/hooks';

const modelFile = path.join(__dirname, '..', '..', 'models', 'tokentree-builtin.gguf');

/** Serves the built-in model with byte ranges at /tokentree-copy.gguf, slowly at /slow.gguf, and an HTML page at /page.gguf. */
function startModelServer(): Promise<{ server: Server; base: string }> {
  const model = fs.readFileSync(modelFile);
  const server = createServer((req, res) => {
    if (req.url === '/page.gguf') return servePage(res);
    if (req.url !== '/tokentree-copy.gguf' && req.url !== '/slow.gguf') return serveNotFound(res);
    const range = beginRange(req, res, model.length);
    if (!range) return;
    const { start, end } = range;
    if (req.url === '/tokentree-copy.gguf') return void res.end(model.subarray(start, end + 1));
    // 16 KB every 100 ms: minutes for the whole file, time enough to cancel.
    let at = start;
    const timer = setInterval(() => {
      if (res.destroyed || at > end) {
        clearInterval(timer);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(model.subarray(at, Math.min(at + 16 * 1024, end + 1)));
      at += 16 * 1024;
    }, 100);
    res.on('close', () => clearInterval(timer));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

describe('Models: download, fit check, cancel, manage (code-server)', function () {
  this.timeout(240_000);
  let server: Server;
  let base: string;
  let downloaded: string;

  const settingsFiles = () => [getServer().machineSettingsFile, path.join(getServer().userDataDir, 'User', 'settings.json')];
  /** tokentree.modelPath as the settings files hold it (code-server keeps machine-scoped settings in the Machine file). */
  const modelPathSetting = () => {
    for (const file of settingsFiles()) {
      if (!fs.existsSync(file)) continue;
      const value = (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>)['tokentree.modelPath'];
      if (typeof value === 'string') return value;
    }
    return undefined;
  };
  const modelsDir = () => {
    const root = path.join(getServer().userDataDir, 'User', 'globalStorage');
    const owner = fs.readdirSync(root).find((d) => d.endsWith('.tokentree'));
    return owner ? path.join(root, owner, 'models') : path.join(root, 'missing');
  };
  const download = async (url: string) => {
    const wb = getWorkbench();
    await wb.runCommand('TokenTree: Download a Code Model…', { opensQuickPick: true });
    await wb.fillQuickInput(url);
    await wb.pickQuickItem(`Download ${url}`);
  };

  before(async () => {
    ({ server, base } = await startModelServer());
    // Earlier tests chose models through the Machine settings; start from the built-in model.
    fs.writeFileSync(getServer().machineSettingsFile, '{}\n');
  });
  after(() => server?.close());

  it('"Download a Code Model…" shows each preset with its size and whether it fits, and a pasted URL is downloaded, chosen and loaded', async () => {
    const wb = getWorkbench();
    await wb.runCommand('TokenTree: Download a Code Model…', { opensQuickPick: true });
    const items = await wb.quickItems();
    assert.ok(items.includes('Qwen2.5-Coder 0.5B Q8_0') && items.includes('Qwen3-Coder 30B-A3B Q8_0') && !items.some((i) => /Codestral/.test(i)), JSON.stringify(items));
    const descriptions = (await eventually('the fit check in every row', async () => {
      const d = await wb.quickItemDescriptions();
      return d.length >= 8 && d.every((x) => /GB · .*(fits|tight|won't fit)$/.test(x)) ? d : undefined;
    }))!;
    assert.match(descriptions[0]!, /^0\.5 GB · .*fits$/);
    await wb.screenshot('12-download-picker');
    await wb.closeQuickInput();

    const url = `${base}/tokentree-copy.gguf`;
    await download(url);
    const done = await eventually('the downloaded model in use', async () => (await wb.notifications()).find((n) => n.includes('completing with 127.0.0.1_tokentree-copy.gguf')), 120_000);
    assert.ok(done);
    // Named from the source: its host, then the file's name.
    downloaded = path.join(modelsDir(), '127.0.0.1_tokentree-copy.gguf');
    assert.equal(fs.readFileSync(downloaded).equals(fs.readFileSync(modelFile)), true, 'the file is the one served');
    assert.equal(modelPathSetting(), downloaded);
    const log = await eventually('the load in the log', async () => (getServer().tokentreeLog().includes(`Loading model ${downloaded}`) ? getServer().tokentreeLog() : ''));
    assert.ok(log);
    await eventually('the status bar on the downloaded model', async () => !(await wb.statusBarItem('tokentree.status').innerText()).includes('built-in'));
    await wb.screenshot('13-downloaded-model-in-use');
  });

  it('cancelling a download keeps the model in use and configures no partial file', async () => {
    const wb = getWorkbench();
    await download(`${base}/slow.gguf`);
    await eventually('the download progress', async () => (await wb.notifications()).some((n) => n.includes('downloading')));
    await wb.screenshot('14-download-progress');
    await wb.clickNotificationButton('downloading', 'Cancel');
    const said = await eventually('the cancel notice', async () => (await wb.notifications()).find((n) => n.includes('download cancelled')));
    assert.match(said!, /keeps using 127\.0\.0\.1_tokentree-copy\.gguf/);
    assert.equal(modelPathSetting(), downloaded);
    assert.ok(!fs.existsSync(path.join(modelsDir(), '127.0.0.1_slow.gguf')), 'no finished file');
  });

  it('an HTML page instead of a model: one clear error, and the model in use stays', async () => {
    const wb = getWorkbench();
    await download(`${base}/page.gguf`);
    const error = await eventually('the error', async () => (await wb.notifications()).find((n) => n.includes('is not a GGUF model file')));
    assert.match(error!, /keeps using 127\.0\.0\.1_tokentree-copy\.gguf/);
    assert.equal(modelPathSetting(), downloaded);
    await wb.screenshot('15-download-not-a-model');
  });

  it('"Manage Models" lists the download with its size, and deleting the model in use goes back to the built-in model', async () => {
    const wb = getWorkbench();
    await wb.runCommand('TokenTree: Manage Models', { opensQuickPick: true });
    const items = await wb.quickItems();
    assert.ok(items.includes('127.0.0.1_tokentree-copy.gguf') && items.includes('The built-in demo model'), JSON.stringify(items));
    const [description] = await wb.quickItemDescriptions();
    assert.match(description!, /^5 MB · in use$/);
    await wb.screenshot('16-manage-models');
    await wb.pickQuickItem('127.0.0.1_tokentree-copy.gguf', { opensQuickPick: true });
    await wb.pickQuickItem('Delete');
    await wb.clickDialogButton('Delete');
    await eventually('the deletion', async () => (await wb.notifications()).some((n) => n.includes('deleted 127.0.0.1_tokentree-copy.gguf')));
    assert.ok(!fs.existsSync(downloaded));
    assert.equal(modelPathSetting(), '');
    await eventually('the built-in model in the status bar', async () => (await wb.statusBarItem('tokentree.status').innerText()).includes('built-in model'), 90_000);
  });
});
