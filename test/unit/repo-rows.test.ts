import { strict as assert } from 'node:assert';
import { createRng } from '../../src/decoding/rng';
import { trainBpe } from '../../tools/model/bpe';
import { preTokenize } from '../../tools/model/pretokenize';
import type { CorpusFile } from '../../tools/train/corpus';
import { RepoRows } from '../../tools/train/repo-rows';

const PKG = 'node_modules/shop';
const file = (rel: string, text: string): CorpusFile => ({ path: `${PKG}/${rel}`, pkg: 'shop', text, sha256: rel });

const TYPES = file('src/types.ts', [
  "import type { Money } from './money';",
  '',
  '/** An order as the shop stores it. */',
  'export interface Order {',
  '  id: string;',
  '  lines: OrderLine[];',
  '}',
  '',
  'export interface OrderLine { sku: string; quantity: number }',
  '',
].join('\n'));
const MAIN = file('src/main.ts', [
  "import type { Order } from './types';",
  '',
  'export function total(order: Order): number {',
  '  return order.lines.reduce((n, l) => n + l.quantity, 0);',
  '}',
  '',
].join('\n'));
const OTHER = file('lib/other.js', 'function unrelated(a) {\n  return a;\n}\n');

const REPO_NAME = 1000;
const FILE_SEP = 1001;

describe('repository-format training rows (tools/train/repo-rows.ts)', () => {
  const counts = new Map<string, number>();
  for (const f of [TYPES, MAIN, OTHER]) for (const w of preTokenize(f.text)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const tok = trainBpe(counts, { vocabSize: 400 });
  const rows = new RepoRows([TYPES, MAIN, OTHER], [PKG], tok, { repoName: REPO_NAME, fileSep: FILE_SEP });

  /** The header's parts: the repository name, then each file's text (its path first). */
  const parts = (header: number[]): string[] => {
    const out: string[] = [];
    let run: number[] = [];
    for (const id of header.slice(1)) {
      if (id === FILE_SEP) {
        out.push(tok.decode(run));
        run = [];
      } else run.push(id);
    }
    out.push(tok.decode(run));
    return out;
  };

  it('puts the declarations of names the chunk uses, from other files, before the current file as the prompt layout does', () => {
    const headers = Array.from({ length: 20 }, (_, seed) => rows.header(MAIN, MAIN.text, 1024, createRng(seed)));
    for (const h of headers) {
      assert.equal(h[0], REPO_NAME);
      const p = parts(h);
      assert.match(p[0]!, /^(project|shop)\n$/);
      assert.match(p[p.length - 1]!, /^(node_modules\/shop\/)?src\/main\.ts\n$/, 'the current file is named last');
      assert.ok(!p.some((x) => x.includes('function total')), 'the current file declares total: it is not fetched');
      assert.ok(h.length <= Math.floor(1024 * 0.3));
    }
    const withOrder = headers.map(parts).filter((p) => p.some((x) => x.startsWith('src/types.ts\n') && x.includes('export interface Order {\n  id: string;')));
    assert.ok(withOrder.length >= 18, `Order's outline in ${withOrder.length} of 20 headers`);
    // The definitions go last, after the first lines of neighbouring files (only the ring's chunk holds the import).
    const ring = (x: string) => x.includes("import type { Money }");
    for (const p of headers.map(parts)) assert.ok(!ring(p[p.length - 2]!), JSON.stringify(p));
    assert.ok(headers.map(parts).some((p) => p.some(ring)), 'the ring shows up too');
  });

  it('keeps within the row: chunks that do not fit are left out whole, and nothing fits in a tiny row', () => {
    for (let seed = 0; seed < 10; seed++) {
      const h = rows.header(MAIN, MAIN.text, 120, createRng(seed));
      assert.ok(h.length <= 36, `${h.length} tokens`);
      // A chunk is whole: its text ends with its line break, as the layout writes it.
      for (const p of h.length ? parts(h).slice(1) : []) assert.ok(p.endsWith('\n'), JSON.stringify(p));
    }
    assert.deepEqual(rows.header(MAIN, MAIN.text, 10, createRng(1)), []);
  });

  it('gives nothing for a file outside the packages it knows', () => {
    const stray: CorpusFile = { path: 'elsewhere/x.ts', pkg: 'x', text: 'Order', sha256: 'x' };
    assert.deepEqual(rows.header(stray, stray.text, 512, createRng(1)), []);
  });
});
