import * as vscode from 'vscode';
import { CompletionController } from './providers/completion-controller';
import { TokenTreeInlineProvider } from './providers/inline-provider';
import { RequestGate } from './providers/request-gate';
import { leadOf } from './providers/selected-item';
import { pickModelFile, pickStrategy, toggleCompletions, useModel } from './host/commands';
import { compareStrategiesHere } from './host/compare-command';
import { editorEngine } from './host/engine';
import { trackEditedContext } from './host/context-tracking';
import { enableGpu, offerGpuAgain } from './host/gpu-command';
import { downloadModel, manageModels, offerRealModel } from './host/model-downloads';
import { ModelHost } from './host/model-host';
import { SERVER_API_KEY, setServerApiKey } from './host/server-key';
import { acceptEntropy, migrateConfidenceSettings, readControllerSettings, readDebounceMs, readModelSettings, readStrategy, reportClampedMaxTokens, setSettingsWarning } from './host/settings';
import { RepeatLimitedLog } from './host/repeat-log';
import { ShownSuggestions } from './host/shown-suggestions';
import { StatusBar } from './host/status-bar';
import { CandidatesView } from './webview/candidates-view';
import { toPanelState, toSearchState } from './webview/panel-state';
import type { PanelContext, PanelState } from './webview/protocol';
import { editorDefinitionSource } from './host/editor-definitions';
import type { TreeJSON } from './decoding/candidate-tree';
import type { CompletionResult } from './decoding/completion';
import { describeRefinement, type Refinement } from './providers/refinement';
import { describeGate } from './providers/gate-policy';
import type { Suggestion } from './providers/controller-types';
import { GateCalibrations } from './host/gate-calibrations';
import { DEFAULT_CALIBRATIONS_DIR, ensureCalibrationsDir } from './gate/calibration-store';
import { builtinModelPath } from './model/builtin';

let models: ModelHost | undefined;

/** Activation and wiring only. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('TokenTree', { log: true });
  const showLog = () => log.show(true);
  setSettingsWarning((message) => {
    log.warn(message);
    void vscode.window.showWarningMessage(message, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'tokentree');
    });
  });
  const selectModel = async () => {
    const path = await pickModelFile();
    if (path !== undefined && models) await useModel(models, path);
  };
  models = new ModelHost(log, { selectModel: () => void selectModel(), showLog }, () => context.secrets.get(SERVER_API_KEY));
  const status = new StatusBar();
  status.update({ strategy: readStrategy(), enabled: readControllerSettings().enabled });
  const shown = new ShownSuggestions();
  // The panel follows the active editor: each document's last completion.
  const panelStates = new Map<string, PanelState>();

  const panel = new CandidatesView(context.extensionUri, {
    candidate: (id, index) => void insertFromPanel(shown.insertCandidate(id, index)),
    prefix: (id, tokens) => void insertFromPanel(shown.insertPrefix(id, tokens)),
    cancel: () => {
      controller.cancelInFlight();
      panel.clear('The search was cancelled.');
    },
    openContext: (id, index) => {
      const entry = contextLinks.get(id)?.[index];
      if (entry?.file) void vscode.window.showTextDocument(vscode.Uri.parse(entry.file), { selection: new vscode.Range(entry.firstLine, 0, entry.lastLine, 0), preview: true });
    },
  }, log);
  // The context each completion shown in the panel used, by its id: a click on a declaration opens it.
  const contextLinks = new Map<number, readonly { readonly file?: string; readonly firstLine: number; readonly lastLine: number }[]>();
  const contextState = (id: number, documentKey: string): Partial<PanelState> => {
    const definitions = controller.definitions.used(documentKey);
    const recent = controller.contextOf(documentKey).filter((c) => !definitions.chunks.includes(c));
    const context: PanelContext[] = [
      ...definitions.used.map((u) => ({ kind: 'definition' as const, path: u.path, symbol: u.symbol, lines: { first: u.firstLine + 1, last: u.lastLine + 1 } })),
      ...recent.map((c) => ({ kind: 'recent' as const, path: c.path })),
    ];
    contextLinks.set(id, [...definitions.used, ...recent.map(() => ({ firstLine: 0, lastLine: 0 }))]);
    if (contextLinks.size > 50) contextLinks.delete(contextLinks.keys().next().value!);
    return context.length ? { context } : {};
  };
  const snapshots = { wanted: () => panel.visible, show: (strategy: string, tree: TreeJSON, ms: number) => panel.showSearch(toSearchState(strategy, tree, ms)) };
  const engine = editorEngine(models, snapshots);
  const failures = new RepeatLimitedLog((line) => log.error(line));
  // The panel's note on an anytime completion, by the result it is shown with.
  const refineNotes = new WeakMap<CompletionResult, { first: string; note: string }>();
  const gates = new GateCalibrations((message) => log.warn(message));
  const refreshGate = () => {
    const s = readModelSettings();
    void gates.refresh(s.serverUrl ? undefined : s.modelPath || builtinModelPath()).then(() => log.info(`Gate calibration: ${gates.from === 'stored' ? 'fitted for this model' : 'shipped (built-in model)'}`));
  };
  ensureCalibrationsDir();
  const calibrations = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(DEFAULT_CALIBRATIONS_DIR), '*.json'));
  // Each completion that reached the editor, counted once: shown inline, or kept back by the gate.
  const gateCounts = { shown: 0, suppressed: 0 };
  const counted = new WeakSet<CompletionResult>();
  const gateState = (suggestions: readonly Suggestion[]): Partial<PanelState> => {
    const first = suggestions[0];
    if (first?.result && !counted.has(first.result)) {
      counted.add(first.result);
      gateCounts[first.gate?.suppressed ? 'suppressed' : 'shown']++;
      status.update({ gate: gateCounts });
    }
    return first?.gate ? { gate: { suppressed: first.gate.suppressed, probability: first.gate.probability, note: describeGate(first.gate) } } : {};
  };
  const onRefined = (r: Refinement) => {
    status.update({ refine: r.replaced ? 'replaced' : r.reason === undefined ? 'same' : 'kept' });
    const final = r.final[0]?.result;
    if (!final) return;
    const refine = { first: r.first[0]?.text ?? '', note: describeRefinement(r) };
    refineNotes.set(final, refine);
    if (r.reason !== undefined) log.info(refine.note);
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === r.request.documentKey);
    // The user has moved on: the panel follows the newer completion.
    if (!document || r.kept === 'moved') return;
    // VS Code asks the provider again, which the cache answers with the new suggestion (and the panel follows).
    if (r.replaced) return void vscode.commands.executeCommand('editor.action.inlineSuggest.hide').then(() => vscode.commands.executeCommand('editor.action.inlineSuggest.trigger'));
    // After the suggest widget's selected item: recorded at the editor's cursor, behind the item's rest.
    const cursor = r.request.cursor ?? r.request;
    const lead = leadOf(r.request);
    if (lead === undefined) return;
    const position = new vscode.Position(cursor.line, cursor.character);
    const id = shown.record(document, position, r.final, lead);
    const state = { ...toPanelState(id, vscode.workspace.asRelativePath(document.uri), position.line + 1, final), refine, ...gateState(r.final), ...contextState(id, r.request.documentKey) };
    panelStates.set(r.request.documentKey, state);
    panel.show(state);
  };
  const controller = new CompletionController(engine, readControllerSettings, new RequestGate(readDebounceMs, { soon: () => models?.wake() }), {
    onFirst: (_req, result, suggestions) => {
      status.update({ refine: 'running' });
      refineNotes.set(result, { first: suggestions[0]?.text ?? '', note: `${readStrategy()} is still searching…` });
    },
    onRefined,
    onRefineCancelled: () => status.update({ refine: 'none' }),
    onResult: (_req, result, suggestions) => {
      if (result.maxTokensClamped) reportClampedMaxTokens(result.maxTokensClamped);
      // A drawn search that ends with nothing to suggest must not stay on "searching".
      if (panel.searching && suggestions.length === 0) panel.clear(`${result.strategy} found no suggestion here.`);
      status.update({
        last: { ms: result.stats.ms, promptTokens: result.promptTokens, promptTokensEvaluated: result.promptTokensEvaluated, generated: result.candidates[0]?.tokens.length ?? 0 },
      });
    },
    onError: (e) => {
      failures.report(`Completion failed: ${e instanceof Error ? e.message : String(e)}`);
      if (panel.searching) panel.clear('The search failed; see TokenTree: Show Log.');
    },
  }, {
    // A refinement replaces the ghost text only where it was made: same document version, same cursor.
    calibration: () => gates.current,
    definitions: editorDefinitionSource((line) => log.info(line)),
    where: (key) => {
      const editor = vscode.window.activeTextEditor;
      if (editor?.document.uri.toString() !== key) return undefined;
      return { version: editor.document.version, line: editor.selection.active.line, character: editor.selection.active.character };
    },
  });
  const provider = new TokenTreeInlineProvider(
    controller,
    (document, position, suggestions, lead) => {
      const id = shown.record(document, position, suggestions, lead);
      const result = suggestions[0]?.result;
      if (!result) return;
      const refine = refineNotes.get(result);
      const state = { ...toPanelState(id, vscode.workspace.asRelativePath(document.uri), position.line + 1, result), ...(refine ? { refine } : {}), ...gateState(suggestions), ...contextState(id, document.uri.toString()) };
      panelStates.set(document.uri.toString(), state);
      panel.show(state);
    },
  );

  context.subscriptions.push(
    log,
    { dispose: () => controller.dispose() },
    status,
    panel,
    models.onDidChangeState((model) => {
      status.update({ model });
      // The gate's calibration follows the model: its own when `tokentree calibrate` stored one.
      if (model.kind === 'ready') refreshGate();
    }),
    calibrations,
    // `tokentree calibrate` run while the editor is open: its calibration applies at once (and a
    // deleted one gives way to the shipped one).
    ...[calibrations.onDidCreate, calibrations.onDidChange, calibrations.onDidDelete].map((on) => on(() => models?.state.kind === 'ready' && refreshGate())),
    vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, provider),
    vscode.window.registerWebviewViewProvider(CandidatesView.viewId, panel),
    vscode.commands.registerCommand('tokentree.selectStrategy', pickStrategy),
    vscode.commands.registerCommand('tokentree.selectModel', selectModel),
    vscode.commands.registerCommand('tokentree.toggle', async () => status.update({ enabled: await toggleCompletions() })),
    vscode.commands.registerCommand('tokentree.showLog', showLog),
    vscode.commands.registerCommand('tokentree.setServerApiKey', async () => {
      if (await setServerApiKey(context.secrets)) void models?.reset().then(() => (readModelSettings().serverUrl ? models?.get() : undefined)).catch(() => undefined);
    }),
    vscode.commands.registerCommand('tokentree.downloadModel', () => (models ? downloadModel(context, models, log) : undefined)),
    vscode.commands.registerCommand('tokentree.manageModels', () => (models ? manageModels(context, models) : undefined)),
    vscode.commands.registerCommand('tokentree.enableGpu', () => (models ? enableGpu(context, models, log) : undefined)),
    vscode.commands.registerCommand('tokentree.compareStrategies', () => compareStrategiesHere(controller, engine, shown, panel)),
    vscode.commands.registerCommand('tokentree.showCandidates', () => vscode.commands.executeCommand(`${CandidatesView.viewId}.focus`)),
    vscode.commands.registerCommand('tokentree.openWalkthrough', () => vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#tokentree.start`, false)),
    vscode.commands.registerTextEditorCommand('tokentree.acceptUntilUncertain', (editor) => shown.acceptUntilUncertain(editor, acceptEntropy())),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('tokentree.strategy')) status.update({ strategy: readStrategy() });
      if (e.affectsConfiguration('tokentree.enabled')) status.update({ enabled: readControllerSettings().enabled });
      if (e.affectsConfiguration('tokentree')) controller.invalidate();
      if (e.affectsConfiguration('tokentree.modelPath') || e.affectsConfiguration('tokentree.server.url')) models?.choose();
      // A new model is loaded at once, so that its errors show when the user chose it, not at the next keystroke.
      if (['modelPath', 'gpu', 'gpuLayers', 'threads', 'contextSize', 'server.url', 'server.timeoutMs'].some((k) => e.affectsConfiguration(`tokentree.${k}`))) {
        void models?.reset().then(() => (readControllerSettings().enabled ? models?.get() : undefined)).catch(() => undefined);
      }
    }),
    // Context from other files: where the user edits and looks.
    trackEditedContext(controller.ring),
    vscode.window.onDidChangeActiveTextEditor((editor) => {
      if (!editor) return;
      const state = panelStates.get(editor.document.uri.toString());
      if (state) panel.show(state);
      else panel.clear(`No completion yet in ${vscode.workspace.asRelativePath(editor.document.uri)}.`);
    }),
    // Accepting part of a suggestion (by word or line) inserts several characters at once: no refinement may replace it now.
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.some((c) => c.rangeLength === 0 && c.text.length > 1)) controller.notePartialAccept(e.document.uri.toString());
    }),
    vscode.workspace.onDidCloseTextDocument((d) => {
      controller.forget(d.uri.toString());
      panelStates.delete(d.uri.toString());
    }),
  );
  log.info('TokenTree activated');
  void migrateConfidenceSettings().then((done) => done.forEach((line) => log.info(line)), () => undefined);
  offerGpuAgain(context);
  offerRealModel(context);
  // Load the model in the background now: the first keystroke should not wait for it, and
  // VS Code drops inline requests that take too long. A failure is reported once, as usual.
  if (readControllerSettings().enabled) setTimeout(() => void models?.get().catch(() => undefined), 0);
}

async function insertFromPanel(inserted: Promise<boolean>): Promise<void> {
  if (!(await inserted)) {
    void vscode.window.showInformationMessage('TokenTree: the document changed since that completion; the candidate no longer applies.');
  }
}

export async function deactivate(): Promise<void> {
  await models?.dispose();
  models = undefined;
}
