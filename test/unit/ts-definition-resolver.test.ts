import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gatherDefinitions } from '../../src/context/definition-context';
import { TsServiceResolver } from '../../src/context/ts-service-resolver';
import { definitionsAt } from '../../src/context/cli-definitions';

/** Writes a small project (file path → text) into a fresh folder. */
function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tt-defs-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

/** Definitions at the `|` of `file` (the marker is removed from the text the resolver sees). */
async function at(resolver: TsServiceResolver, root: string, file: string, languageId: string) {
  const source = readFileSync(join(root, file), 'utf8');
  const offset = source.indexOf('|');
  const text = source.slice(0, offset) + source.slice(offset + 1);
  return gatherDefinitions({ doc: { file: join(root, file), text, languageId }, offset, window: { first: 0, last: 1000 }, resolver, budgetChars: 4000, deadlineMs: 30_000 });
}

describe('TypeScript language service resolver', () => {
  const roots: string[] = [];
  const resolver = new TsServiceResolver();
  after(() => {
    resolver.dispose();
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  it('follows tsconfig paths and baseUrl to an interface across three files', async () => {
    const root = project({
      'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, baseUrl: '.', paths: { '@model/*': ['src/model/*'] } }, include: ['src'] }),
      'src/model/types.ts': '/** A customer order. */\nexport interface Order {\n  id: string;\n  quantity: number;\n  unitPrice: number;\n}\n',
      'src/model/store.ts': "import type { Order } from './types';\n\nexport function loadOrder(id: string): Order {\n  return { id, quantity: 1, unitPrice: 2 };\n}\n",
      'src/main.ts': "import { loadOrder } from '@model/store';\n\nexport function cost(id: string): number {\n  const order = loadOrder(id);\n  return order.|\n}\n",
    });
    roots.push(root);
    const ctx = await at(resolver, root, 'src/main.ts', 'typescript');
    const types = ctx.chunks.find((c) => c.path === 'src/model/types.ts');
    assert.ok(types, JSON.stringify(ctx.chunks));
    assert.ok(types.text.startsWith('/** A customer order. */\nexport interface Order {'), types.text);
    assert.ok(types.text.includes('unitPrice: number;'));
    // The interface is what `order.` needs most: it goes last, next to the current file.
    assert.equal(ctx.chunks[ctx.chunks.length - 1]!.path, 'src/model/types.ts');
    assert.ok(ctx.used.some((u) => u.symbol === 'order' && u.path === 'src/model/types.ts' && u.firstLine === 0 && u.lastLine === 5));
    assert.ok(ctx.chunks.some((c) => c.path === 'src/model/store.ts' && c.text.includes('export function loadOrder(id: string): Order')));
  });

  it('gives tokentree complete the same definitions for a cursor between a prefix and a suffix', async () => {
    const root = project({
      'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true } }),
      'src/types.ts': 'export interface Order {\n  id: string;\n  unitPrice: number;\n}\n',
      'src/main.ts': "import type { Order } from './types';\n\nexport function cost(order: Order): number {\n  return order.\n}\n",
    });
    roots.push(root);
    const text = readFileSync(join(root, 'src/main.ts'), 'utf8');
    const at = text.indexOf('order.\n') + 'order.'.length;
    const chunks = await definitionsAt(join(root, 'src/main.ts'), 'typescript', text.slice(0, at), text.slice(at));
    assert.deepEqual(chunks, [{ path: 'src/types.ts', text: 'export interface Order {\n  id: string;\n  unitPrice: number;\n}' }]);
  });

  it('resolves CommonJS require in plain JavaScript (no configuration: the package folder)', async () => {
    const root = project({
      'package.json': '{"name":"shop"}',
      'lib/prices.js': "'use strict';\n\n/**\n * Price of a line with tax.\n * @param {number} net\n */\nfunction withTax(net, rate) {\n  return net * (1 + rate);\n}\n\nmodule.exports = { withTax, RATE: 0.2 };\n",
      'index.js': "const prices = require('./lib/prices');\n\nfunction total(lines) {\n  return lines.map((l) => prices.withTax(l.net, |\n}\n",
    });
    roots.push(root);
    const ctx = await at(resolver, root, 'index.js', 'javascript');
    const prices = ctx.chunks.find((c) => c.path === 'lib/prices.js');
    assert.ok(prices, JSON.stringify(ctx.chunks));
    assert.ok(prices.text.includes('Price of a line with tax.\n * @param {number} net\n */\nfunction withTax(net, rate)'), prices.text);
    assert.ok(ctx.used.some((u) => u.symbol === 'withTax'));
  });

  it('honours jsconfig.json paths in a JavaScript project', async () => {
    const root = project({
      'jsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '~/*': ['src/*'] }, module: 'commonjs' } }),
      'src/util/format.js': 'export function money(cents, currency) {\n  return `${currency} ${(cents / 100).toFixed(2)}`;\n}\n',
      'src/app.js': "import { money } from '~/util/format';\n\nexport const label = (c) => money(c, |);\n",
    });
    roots.push(root);
    const ctx = await at(resolver, root, 'src/app.js', 'javascript');
    assert.ok(ctx.chunks.some((c) => c.path === 'src/util/format.js' && c.text.startsWith('export function money(cents, currency)')), JSON.stringify(ctx.chunks));
  });
});
