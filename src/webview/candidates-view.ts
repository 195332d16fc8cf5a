import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { parseFromWebview, type CompareState, type PanelState, type SearchState, type ToWebview } from './protocol';

/**
 * The candidates panel, extension side: a webview view in the panel area with a strict
 * nonce-based CSP and no remote resources. Messages from the webview are validated and
 * anything unexpected is dropped.
 */
export class CandidatesView implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'tokentree.candidates';
  private view?: vscode.WebviewView;
  private last: ToWebview = { type: 'empty', reason: 'Type in a code file to see how the completion was decoded.' };
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly actions: { candidate(requestId: number, index: number): void; prefix(requestId: number, tokens: readonly number[]): void; cancel(): void; openContext?(requestId: number, index: number): void },
    private readonly log: vscode.LogOutputChannel,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    view.webview.html = this.html(view.webview, media);
    this.disposables.push(
      view.webview.onDidReceiveMessage((raw: unknown) => {
        const message = parseFromWebview(raw);
        if (!message) {
          this.log.warn('Dropped an invalid message from the candidates panel');
          return;
        }
        if (message.type === 'ready') void view.webview.postMessage(this.last);
        else if (message.type === 'insert') this.actions.candidate(message.requestId, message.candidate);
        else if (message.type === 'insertPrefix') this.actions.prefix(message.requestId, message.tokens);
        else if (message.type === 'openContext') this.actions.openContext?.(message.requestId, message.index);
        else this.actions.cancel();
      }),
      view.onDidDispose(() => (this.view = undefined)),
    );
  }

  show(state: PanelState): void {
    this.post({ type: 'state', state });
  }

  /** The panel shows a search in progress (its last message was a snapshot). */
  get searching(): boolean {
    return this.last.type === 'search';
  }

  /** Whether the panel is on screen (a search is drawn live only then). */
  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  showSearch(search: SearchState): void {
    this.post({ type: 'search', search });
  }

  showComparison(compare: CompareState): void {
    this.post({ type: 'compare', compare });
  }

  clear(reason: string): void {
    this.post({ type: 'empty', reason });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private post(message: ToWebview): void {
    this.last = message;
    void this.view?.webview.postMessage(message);
  }

  private html(webview: vscode.Webview, media: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const css = webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css'));
    const js = webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.js'));
    const csp = `default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}'; img-src ${webview.cspSource}; font-src ${webview.cspSource}`;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${css}" rel="stylesheet">
<title>TokenTree Candidates</title>
</head>
<body>
<main id="root"></main>
<script nonce="${nonce}" src="${js}"></script>
</body>
</html>`;
  }
}
