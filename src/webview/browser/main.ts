/**
 * The candidates panel, browser side. Renders with DOM APIs and textContent only: every
 * string from the model is untrusted text and is only ever assigned as text content.
 */
import type { CompareState, FromWebview, PanelCandidate, PanelState, PanelToken, SearchState, ToWebview } from '../protocol';
import { compareTable } from './compare-view';
import type { DrawnNode } from '../tree-layout';
import { el, probabilityClass, showToken, formatNumber } from './render';
import { TreeView } from './tree-view';

declare function acquireVsCodeApi(): { postMessage(message: FromWebview): void; setState(state: unknown): void; getState(): unknown };

const vscode = acquireVsCodeApi();
const root = document.getElementById('root')!;
const tooltip = el('div', { className: 'tooltip', role: 'tooltip', id: 'token-tooltip' });
document.body.appendChild(tooltip);
let current: PanelState | undefined;
const chosen = el('div', { className: 'chosen', role: 'status' });
const treeView = new TreeView({
  select: (node) => showChosen(node),
  showTooltip: (anchor, lines, alternatives) => showTooltipRows(anchor, lines.join(' · '), alternatives),
  hideTooltip,
});

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  if (!message || typeof message !== 'object') return;
  if (message.type === 'state' && message.state && Array.isArray(message.state.candidates)) render(message.state);
  else if (message.type === 'compare' && message.compare && Array.isArray(message.compare.rows)) renderCompare(message.compare);
  else if (message.type === 'search' && message.search && message.search.tree) renderSearch(message.search);
  else if (message.type === 'empty') renderEmpty(String(message.reason ?? ''));
});

const saved = vscode.getState() as PanelState | undefined;
if (saved && Array.isArray(saved.candidates)) render(saved);
else renderEmpty('Type in a code file to see how the completion was decoded.');
vscode.postMessage({ type: 'ready' });

function renderEmpty(reason: string): void {
  root.replaceChildren(el('p', { className: 'empty', text: reason }));
}

/** Snapshots of one search share this id: the drawing keeps its folds opened, and the view once the user moves it. */
const SEARCH_ID = -1;

/** A search in progress: its tree so far, growing with each snapshot, and a way to stop it. */
function renderSearch(search: SearchState): void {
  const cancel = el('button', { className: 'cancel-search', text: 'Cancel' });
  cancel.addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));
  const header = el('header', { className: 'searching' }, [
    el('span', { className: 'strategy', text: search.strategy }),
    el('span', { className: 'stats', role: 'status', text: `searching… ${formatNumber(search.elapsedMs / 1000, 1)} s · ${search.tree.nodeCount + search.tree.dropped} nodes explored` }),
    cancel,
  ]);
  const state: PanelState = { requestId: SEARCH_ID, strategy: search.strategy, fileName: '', line: 0, fim: true, stats: { modelCalls: 0, tokensEvaluated: 0, ms: search.elapsedMs }, candidates: [], tree: search.tree };
  current = undefined;
  treeView.render(state);
  const bar = treeView.bar('Explored so far · scroll to zoom, drag to pan');
  root.replaceChildren(header, el('div', { className: 'panel-body' }, [el('section', { className: 'tree-pane' }, [bar, treeView.element])]));
}

function renderCompare(compare: CompareState): void {
  vscode.setState(undefined);
  current = undefined;
  root.replaceChildren(compareTable(compare, {
    insert: (state, candidate) => vscode.postMessage({ type: 'insert', requestId: state.requestId, candidate }),
    open: (state) => render(state, () => renderCompare(compare)),
  }));
}

/** `back`: the comparison this state was opened from. */
function render(state: PanelState, back?: () => void): void {
  vscode.setState(state);
  current = state;
  const header = el('header', {}, [
    el('span', { className: 'strategy', text: state.strategy }),
    el('span', { className: 'where', text: `${state.fileName}:${state.line}` }),
    el('span', { className: 'stats', text: `${state.stats.modelCalls} model calls · ${state.stats.tokensEvaluated} tokens evaluated · ${formatNumber(state.stats.ms, 0)} ms${state.fim ? '' : ' · prefix-only prompt'}` }),
  ]);
  // Which completion this is: two completions at one place can read the same (a test tells them apart).
  header.dataset.request = String(state.requestId);
  if (state.healed) header.appendChild(el('span', { className: 'healed-note', text: `token healing re-typed “${showToken(state.healed)}”` }));
  if (state.refine) header.appendChild(el('span', { className: 'refine-note', role: 'status', text: `first suggestion (greedy): “${showToken(state.refine.first)}” · ${state.refine.note}` }));
  if (state.gate) header.appendChild(el('span', { className: state.gate.suppressed ? 'gate-note suppressed' : 'gate-note', role: 'status', text: `gate: ${state.gate.note}` }));
  if (state.context?.length) header.appendChild(contextList(state));
  const list = el('ol', { className: 'candidates', role: 'listbox', ariaLabel: 'Candidates' });
  state.candidates.forEach((c) => list.appendChild(candidateItem(state, c)));
  treeView.render(state);
  const summary = treeView.bar(treeSummary(state));
  chosen.replaceChildren();
  if (back) {
    const button = el('button', { className: 'back', text: 'Back to the comparison' });
    button.addEventListener('click', back);
    header.prepend(button);
  }
  root.replaceChildren(header, el('div', { className: 'panel-body' }, [listPane(state, list), el('section', { className: 'tree-pane' }, [summary, treeView.element, chosen])]));
  (list.firstElementChild as HTMLElement | null)?.setAttribute('tabindex', '0');
}

/** The other files' context the prompt held: a declaration opens where it is declared. File names and symbols are shown as text only. */
function contextList(state: PanelState): HTMLElement {
  const entries = state.context ?? [];
  const definitions = entries.filter((c) => c.kind === 'definition').length;
  const items = el('ul', { className: 'context-items' });
  entries.forEach((c, index) => {
    const where = `${c.path}${c.lines ? `:${c.lines.first}-${c.lines.last}` : ''}`;
    const label = c.kind === 'definition' ? `${c.symbol ?? ''} → ${where}` : `${where} (recent)`;
    if (c.kind !== 'definition') return void items.appendChild(el('li', { text: label }));
    const open = el('button', { className: 'context-open', text: label, ariaLabel: `Open ${where}` });
    open.addEventListener('click', () => vscode.postMessage({ type: 'openContext', requestId: state.requestId, index }));
    items.appendChild(el('li', {}, [open]));
  });
  const details = el('details', { className: 'context-list' }, [el('summary', { text: `context sent: ${definitions} declaration${definitions === 1 ? '' : 's'}, ${entries.length - definitions} recent file chunk${entries.length - definitions === 1 ? '' : 's'}` }), items]);
  details.setAttribute('open', '');
  return details;
}

/** The user's choice to fold the list away holds for later completions too. */
let listOpen = true;

/** The candidates, foldable so that a short panel gives the tree all its room. */
function listPane(state: PanelState, list: HTMLElement): HTMLElement {
  const offered = state.candidates.filter((c) => !c.dropped).length;
  const pane = el('details', { className: 'list-pane' }, [el('summary', { text: `Candidates (${offered})` }), list]);
  (pane as HTMLDetailsElement).open = listOpen;
  pane.addEventListener('toggle', () => (listOpen = (pane as HTMLDetailsElement).open));
  return pane;
}

function treeSummary(state: PanelState): string {
  const hidden = state.tree.dropped ? ` (${state.tree.dropped} more not kept)` : '';
  return `Explored tree · ${state.tree.nodeCount} nodes${hidden} · drawn in ${formatNumber(treeView.lastRenderMs, 1)} ms · scroll to zoom, drag to pan, click a node for its text`;
}

/** The text from the cursor to a chosen node, with a button that inserts exactly that. */
function showChosen(node: DrawnNode): void {
  const state = current;
  if (!state) return;
  const insert = el('button', { text: 'Insert this' });
  insert.addEventListener('click', () => vscode.postMessage({ type: 'insertPrefix', requestId: state.requestId, tokens: [...node.tokens] }));
  // The first tokens may re-type what token healing took off the prompt: the document has that text already.
  const healed = state.healed ?? '';
  const text = node.prefix.startsWith(healed) ? node.prefix.slice(healed.length) : '';
  if (!text) {
    chosen.replaceChildren(el('span', { className: 'where', text: 'This node re-types what you typed (token healing): nothing to insert.' }));
    return;
  }
  chosen.replaceChildren(el('span', { className: 'where', text: 'From the cursor: ' }), el('code', { className: 'chosen-text', text: text.replace(/\n/g, '↵\n') }), insert);
}

const CUT_REASONS: Readonly<Record<string, string>> = {
  'repeats-suffix': 'cut: repeats the text after the cursor',
  'end-of-suggestion': 'cut: the suggestion ends here',
};

function candidateItem(state: PanelState, c: PanelCandidate): HTMLElement {
  const scores = [`score ${formatNumber(c.score, 3)}`, `Σ log p ${formatNumber(c.sumLogprob, 2)}`, `mean ${formatNumber(c.meanLogprob, 3)}`];
  if (c.visits !== undefined) scores.push(`visits ${c.visits}`);
  if (c.value !== undefined) scores.push(`value ${formatNumber(c.value, 3)}`);
  scores.push(c.finish);
  const tokens = el('div', { className: 'tokens' });
  // Token texts spell the healed text first, then the candidate's text; the cut is in the latter's characters.
  const healed = state.healed?.length ?? 0;
  const cutAt = c.cut ? healed + c.cut.at : Number.POSITIVE_INFINITY;
  let offset = 0;
  c.tokens.forEach((t, i) => {
    const span = tokenSpan(t, i);
    if (offset < healed) span.classList.add('healed');
    if (offset >= cutAt) span.classList.add('cut');
    if (c.cut && offset < cutAt && offset + t.text.length >= cutAt) {
      tokens.append(span, el('span', { className: 'cut-mark', text: `✂ ${CUT_REASONS[c.cut.reason] ?? 'cut'}` }));
    } else tokens.appendChild(span);
    offset += t.text.length;
  });
  if (c.cut && cutAt === 0) tokens.prepend(el('span', { className: 'cut-mark', text: `✂ ${CUT_REASONS[c.cut.reason] ?? 'cut'}` }));
  const label = c.dropped ? `Dropped candidate: ${c.text} (nothing but the text after the cursor)` : `Candidate ${c.index + 1}: ${c.text}`;
  const item = el('li', { className: c.dropped ? 'candidate dropped' : 'candidate', role: 'option', tabindex: '-1', ariaLabel: label }, [
    el('div', { className: 'meta' }, [
      el('span', { className: 'rank', text: c.dropped ? 'dropped' : `#${c.index + 1}` }),
      el('span', { className: 'scores', text: scores.join(' · ') }),
    ]),
    tokens,
  ]);
  if (c.dropped) {
    item.setAttribute('aria-disabled', 'true');
    return item;
  }
  const insert = () => vscode.postMessage({ type: 'insert', requestId: state.requestId, candidate: c.index });
  item.addEventListener('click', (e) => {
    if (!(e.target as HTMLElement).classList.contains('token')) insert();
  });
  item.addEventListener('dblclick', insert);
  item.addEventListener('keydown', (e) => onCandidateKey(e, item, insert));
  return item;
}

function onCandidateKey(e: KeyboardEvent, item: HTMLElement, insert: () => void): void {
  const move = (to: Element | null) => {
    if (!(to instanceof HTMLElement)) return;
    item.setAttribute('tabindex', '-1');
    to.setAttribute('tabindex', '0');
    to.focus();
  };
  if (e.target !== item) return;
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    insert();
  } else if (e.key === 'ArrowDown') {
    e.preventDefault();
    move(item.nextElementSibling);
  } else if (e.key === 'ArrowUp') {
    e.preventDefault();
    move(item.previousElementSibling);
  } else if (e.key === 'ArrowRight') {
    e.preventDefault();
    (item.querySelector('.token') as HTMLElement | null)?.focus();
  }
}

function tokenSpan(t: PanelToken, index: number): HTMLElement {
  const p = Math.exp(t.logprob);
  const span = el('span', {
    className: `token ${probabilityClass(p)}${t.entropy >= 1.5 ? ' uncertain' : ''}`,
    tabindex: '-1',
    text: showToken(t.text),
    ariaLabel: `token ${index + 1}: ${t.text}, probability ${formatNumber(p * 100, 1)}%, entropy ${t.entropyIsBound ? 'at least ' : ''}${formatNumber(t.entropy, 2)} nats`,
    ariaDescribedby: 'token-tooltip',
  });
  const show = () => showTooltip(span, t);
  span.addEventListener('mouseenter', show);
  span.addEventListener('focus', show);
  span.addEventListener('mouseleave', hideTooltip);
  span.addEventListener('blur', hideTooltip);
  span.addEventListener('keydown', (e) => {
    const to = e.key === 'ArrowRight' ? span.nextElementSibling : e.key === 'ArrowLeft' ? span.previousElementSibling : null;
    if (to instanceof HTMLElement) {
      e.preventDefault();
      to.focus();
    } else if (e.key === 'Escape' || (e.key === 'ArrowLeft' && !to)) {
      e.preventDefault();
      (span.closest('.candidate') as HTMLElement | null)?.focus();
    }
  });
  return span;
}

function showTooltip(anchor: HTMLElement, t: PanelToken): void {
  const head = `p ${formatNumber(Math.exp(t.logprob) * 100, 1)}% · entropy ${t.entropyIsBound ? '≥ ' : ''}${formatNumber(t.entropy, 2)} nats${t.regime ? ` · ${t.regime}` : ''}`;
  // A completion made while the panel was hidden read no alternatives (they cost a top list per token).
  showTooltipRows(anchor, head, t.alternatives.map((a) => ({ text: a.text, p: Math.exp(a.logprob) })), 'Alternatives are recorded while this panel is open.');
}

function showTooltipRows(anchor: Element, head: string, alternatives: readonly { text: string; p: number }[], noneNote?: string): void {
  const rows = alternatives.map((a) => el('tr', {}, [el('td', { className: 'alt-text', text: showToken(a.text) }), el('td', { className: 'num', text: `${formatNumber(a.p * 100, 1)}%` })]));
  const body = rows.length === 0 && noneNote ? el('div', { className: 'tooltip-note', text: noneNote }) : el('table', {}, rows);
  tooltip.replaceChildren(el('div', { text: head }), body);
  const box = anchor.getBoundingClientRect();
  tooltip.style.left = `${Math.max(4, Math.min(box.left, window.innerWidth - 240))}px`;
  tooltip.style.top = `${box.bottom + 4}px`;
  tooltip.classList.add('visible');
}

function hideTooltip(): void {
  tooltip.classList.remove('visible');
}
