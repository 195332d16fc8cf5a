/**
 * "Compare Strategies Here" in the panel: one row per strategy with its best candidate, score,
 * mean log-probability, model calls and time. A candidate inserts on click; "Tree" opens that
 * strategy's full view (candidates and drawn tree).
 */
import type { CompareState, PanelState } from '../protocol';
import { el, formatNumber, showToken } from './render';

export interface CompareHooks {
  insert(state: PanelState, candidate: number): void;
  open(state: PanelState): void;
}

export function compareTable(compare: CompareState, hooks: CompareHooks): HTMLElement {
  const head = el('tr', {}, ['strategy', 'best suggestion', 'score', 'mean log p', 'model calls', 'ms', ''].map((h) => el('th', { text: h })));
  const rows = compare.rows.map((state) => {
    // Candidates the stop rules dropped (nothing but the text after the cursor) come last and are never offered.
    const best = state.candidates.find((c) => !c.dropped);
    const text = best ? (best.suggestion ?? best.text) : '';
    const candidate = el('td', { className: 'compare-candidate' });
    if (best && text) {
      const button = el('button', { className: 'compare-insert', text: showToken(text), ariaLabel: `Insert ${state.strategy}'s best suggestion: ${text}` });
      button.addEventListener('click', () => hooks.insert(state, best.index));
      candidate.appendChild(button);
    } else candidate.textContent = state.candidates.length ? 'nothing to suggest' : 'no candidate';
    const open = el('button', { className: 'compare-open', text: 'Tree', ariaLabel: `Open ${state.strategy}'s candidates and tree` });
    open.addEventListener('click', () => hooks.open(state));
    return el('tr', { className: 'compare-row' }, [
      el('td', { className: 'strategy', text: state.strategy }),
      candidate,
      el('td', { className: 'num', text: best ? formatNumber(best.score, 3) : '' }),
      el('td', { className: 'num', text: best ? formatNumber(best.meanLogprob, 3) : '' }),
      el('td', { className: 'num', text: String(state.stats.modelCalls) }),
      el('td', { className: 'num', text: formatNumber(state.stats.ms, 0) }),
      el('td', {}, [open]),
    ]);
  });
  return el('div', { className: 'compare' }, [
    el('header', {}, [el('span', { className: 'strategy', text: 'Strategies compared' }), el('span', { className: 'where', text: `${compare.fileName}:${compare.line}` })]),
    el('table', { className: 'compare-table', ariaLabel: 'Strategies compared at the cursor' }, [el('thead', {}, [head]), el('tbody', {}, rows)]),
  ]);
}
