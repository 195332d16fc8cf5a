import * as vscode from 'vscode';

/** Where the llama-server API key lives: VS Code's secret storage, never settings (which sync and show in plain text). */
export const SERVER_API_KEY = 'tokentree.server.apiKey';

/** Asks for the key (hidden input); an empty answer removes it. Resolves true when it changed. */
export async function setServerApiKey(secrets: vscode.SecretStorage): Promise<boolean> {
  const had = (await secrets.get(SERVER_API_KEY)) !== undefined;
  const key = await vscode.window.showInputBox({
    title: 'TokenTree: llama-server API key',
    prompt: `The key the server was started with (llama-server --api-key). Leave empty to remove the stored key${had ? ' (one is stored)' : ''}.`,
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) return false;
  if (key.trim() === '') {
    if (!had) return false;
    await secrets.delete(SERVER_API_KEY);
    void vscode.window.showInformationMessage('TokenTree: the server API key was removed.');
    return true;
  }
  await secrets.store(SERVER_API_KEY, key.trim());
  void vscode.window.showInformationMessage('TokenTree: the server API key is stored in VS Code\'s secret storage.');
  return true;
}
