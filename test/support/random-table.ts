import { TableModel } from './table-model';

/**
 * A TableModel whose next word depends on the last two words, with probabilities from a fixed
 * linear congruential generator: a model with many distinct positions for search tests.
 */
export function randomTableModel(words = 6, seed = 7): TableModel {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const vocab = ['<eos>', ...Array.from({ length: words }, (_, i) => `w${i}`)];
  const rules: Record<string, Record<string, number>> = {};
  const row = () => {
    // The end of generation is rare, so that completions run several tokens.
    const weights = vocab.map((w) => rand() ** 3 * (w === '<eos>' ? 0.05 : 1));
    const total = weights.reduce((a, b) => a + b, 0);
    return Object.fromEntries(vocab.map((w, i) => [w, weights[i]! / total]));
  };
  rules[''] = row();
  for (const a of vocab.slice(1)) {
    rules[a] = row();
    for (const b of vocab.slice(1)) rules[`${a} ${b}`] = row();
  }
  return new TableModel({ vocab, eos: '<eos>', rules });
}
