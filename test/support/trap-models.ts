import { TableModel } from './table-model';

/**
 * Greedy's trap: "a" is the likelier first word, but every continuation of "a" is unsure,
 * while "b" is followed by near-certain words. Greedy: " a c" (Σ log p = ln .55 + ln .34 +
 * ln .4 = −2.59); best: " b y" (ln .45 + ln .95 + ln .95 = −0.90).
 */
export function trapModel(): TableModel {
  return new TableModel({
    vocab: ['<eos>', 'a', 'b', 'c', 'd', 'x', 'y', 'z'],
    eos: '<eos>',
    rules: {
      '': { a: 0.55, b: 0.45 },
      a: { c: 0.34, d: 0.33, x: 0.33 },
      'a c': { '<eos>': 0.4, y: 0.3, z: 0.3 },
      b: { y: 0.95, z: 0.05 },
      'b y': { '<eos>': 0.95, z: 0.05 },
      d: { '<eos>': 0.5, z: 0.5 },
      x: { '<eos>': 0.5, z: 0.5 },
      y: { '<eos>': 0.5, z: 0.5 },
      z: { '<eos>': 1 },
    },
  });
}

const FILLER = Array.from({ length: 30 }, (_, i) => `t${i}`);

/**
 * Three kinds of step in a row: confident (p = .99), a fork (one .7 option and thirty
 * rare ones: moderate entropy, high varentropy) and an even two-way split (entropy ln 2,
 * varentropy 0), then confident again.
 */
export function forkModel(): TableModel {
  const fork: Record<string, number> = { go: 0.7 };
  for (const t of FILLER) fork[t] = 0.01;
  const after: Record<string, number> = { left: 0.5, right: 0.5 };
  const rules: Record<string, Record<string, number>> = {
    '': { start: 0.99, go: 0.01 },
    start: fork,
    go: after,
    left: { done: 0.99, go: 0.01 },
    right: { done: 0.99, go: 0.01 },
    done: { '<eos>': 1 },
  };
  for (const t of FILLER) rules[t] = after;
  return new TableModel({ vocab: ['<eos>', 'start', 'go', 'left', 'right', 'done', ...FILLER], eos: '<eos>', rules });
}
