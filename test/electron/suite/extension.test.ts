import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('TokenTree in VS Code desktop', () => {
  it('activates and registers its commands', async () => {
    const ext = vscode.extensions.getExtension('tokentree.tokentree');
    assert.ok(ext, 'the extension is installed');
    await ext.activate();
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['selectStrategy', 'showCandidates', 'selectModel', 'toggle', 'showLog', 'acceptUntilUncertain']) {
      assert.ok(commands.includes(`tokentree.${id}`), `tokentree.${id}`);
    }
  });

  it('contributes its settings with their defaults, the model path machine-scoped', () => {
    const c = vscode.workspace.getConfiguration('tokentree');
    assert.equal(c.get('strategy'), 'greedy');
    assert.equal(c.get('modelPath'), '');
    assert.equal(c.inspect('modelPath')?.workspaceValue, undefined);
  });

  it('inserts a completion from the built-in model when a suggestion is accepted', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: 'export function isEmpty(items: number[]): boolean {\n  return \n}\n' });
    const editor = await vscode.window.showTextDocument(doc);
    const end = new vscode.Position(1, 9);
    editor.selection = new vscode.Selection(end, end);
    const before = doc.getText();
    // Trigger, wait for the model (first use loads it), then accept what is shown.
    const changed = await until('an accepted inline suggestion', async () => {
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      await new Promise((r) => setTimeout(r, 1500));
      await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
      return doc.getText() !== before ? doc.getText() : undefined;
    }, 120_000);
    assert.ok(changed.startsWith('export function isEmpty(items: number[]): boolean {\n  return '), changed);
  });

  it('switching the strategy setting is picked up without reloading', async () => {
    await vscode.workspace.getConfiguration('tokentree').update('strategy', 'beam', vscode.ConfigurationTarget.Global);
    assert.equal(vscode.workspace.getConfiguration('tokentree').get('strategy'), 'beam');
    await vscode.workspace.getConfiguration('tokentree').update('strategy', undefined, vscode.ConfigurationTarget.Global);
  });
});
