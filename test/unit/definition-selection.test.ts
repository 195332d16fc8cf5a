import * as assert from 'node:assert/strict';
import { selectQueries } from '../../src/context/cursor-identifiers';
import { fitDefinitions, gatherDefinitions } from '../../src/context/definition-context';
import type { DefinitionResolver, DefinitionTarget } from '../../src/context/definition-resolver';
import { lineOutline } from '../../src/context/line-outline';

/** A document with `|` marking the cursor. */
function at(source: string) {
  const offset = source.indexOf('|');
  const text = source.slice(0, offset) + source.slice(offset + 1);
  return { text, offset };
}

const whole = { first: 0, last: 1000 };

describe('definition selection', () => {
  it('asks about the receiver of a member access being typed, for its type', () => {
    const { text, offset } = at("import { load } from './orders';\nfunction show(id: string) {\n  const order = load(id);\n  return order.|\n}\n");
    const q = selectQueries({ text, languageId: 'typescript', offset, window: whole });
    assert.equal(q[0]!.name, 'order');
    assert.equal(q[0]!.reason, 'receiver');
    assert.equal(q[0]!.typeDefinition, true);
    assert.equal(q[0]!.member, undefined, 'nothing typed after the dot yet');
    assert.deepEqual([q[0]!.line, q[0]!.character], [3, 9]);
  });

  it('asks about the callee of an open call, not a finished one', () => {
    const { text, offset } = at('const t = fmt(1);\nconst x = total(order, |');
    const q = selectQueries({ text, languageId: 'javascript', offset, window: { first: 1, last: 2 } });
    assert.equal(q[0]!.name, 'total');
    assert.equal(q[0]!.reason, 'callee');
    assert.ok(!q.some((x) => x.reason === 'callee' && x.name === 'fmt'));
  });

  it('asks about the types in the enclosing function signature (no parser: capitalised names in the header)', () => {
    const { text, offset } = at('fn price(order: &Order, rates: Vec<Rate>) -> Money {\n    let x = |\n}\n');
    const q = selectQueries({ text, languageId: 'rust', offset, window: whole });
    const types = q.filter((x) => x.reason === 'signature-type').map((x) => x.name);
    assert.deepEqual(types.sort(), ['Money', 'Order', 'Rate', 'Vec']);
  });

  it('does not fetch a name the window declares, and fetches one it only imports', () => {
    const { text, offset } = at("import { TAX } from './rates';\nconst local = 2;\nfunction f(a) {\n  return local * TAX + a + |\n}\n");
    const q = selectQueries({ text, languageId: 'javascript', offset, window: whole }).map((x) => x.name);
    assert.ok(q.includes('TAX'), q.join());
    assert.ok(!q.includes('local'), q.join());
    assert.ok(!q.includes('a'), q.join());
    assert.ok(!q.includes('return'));
  });

  it('asks about a parameter\'s type that only an import declares, not about the parameter', () => {
    const { text, offset } = at("import type { Order } from './types';\n\nexport function cost(order: Order, n = LIMIT): number {\n  |\n}\n");
    const q = selectQueries({ text, languageId: 'typescript', offset, window: whole }).map((x) => x.name);
    assert.ok(q.includes('Order') && q.includes('LIMIT'), q.join());
    assert.ok(!q.includes('order') && !q.includes('n'), q.join());
  });

  it('ignores names in strings and comments', () => {
    const { text, offset } = at("function f() {\n  // uses Hidden\n  log('Secret');\n  |\n}\n");
    const q = selectQueries({ text, languageId: 'javascript', offset, window: whole }).map((x) => x.name);
    assert.ok(!q.includes('Hidden') && !q.includes('Secret'));
    assert.ok(q.includes('log'));
  });
});

describe('definition outlines and budget', () => {
  const types: DefinitionTarget = {
    file: '/p/types.ts', path: 'types.ts', line: 1, character: 17,
    text: '/** An order. */\nexport interface Order {\n  id: string;\n  lines: Line[];\n  total(): number;\n}\n',
  };
  const service = `export class Service {\n  constructor(private db: Db) {}\n  /** Loads one. */\n  async load(id: string): Promise<Order> {\n${'    step();\n'.repeat(12)}    return x;\n  }\n  count = 0;\n}\n`;

  it('keeps an interface whole with its doc comment, and a long class as its members\' signatures', () => {
    const q = [{ name: 'order', line: 0, character: 0, reason: 'receiver' as const, weight: 100, typeDefinition: true }];
    const ctx = fitDefinitions('/p/main.ts', whole, q, [[types, { file: '/p/service.ts', path: 'service.ts', line: 0, character: 13, text: service }]], 10_000);
    assert.equal(ctx.chunks.length, 2);
    const byPath = Object.fromEntries(ctx.chunks.map((c) => [c.path, c.text]));
    assert.equal(byPath['types.ts'], types.text.trimEnd());
    assert.ok(byPath['service.ts']!.includes('async load(id: string): Promise<Order> { … }'), byPath['service.ts']);
    assert.ok(!byPath['service.ts']!.includes('step()'));
    assert.ok(byPath['service.ts']!.includes('count = 0;'));
    assert.deepEqual(ctx.used.map((u) => [u.path, u.firstLine, u.lastLine]), [['service.ts', 0, 19], ['types.ts', 0, 5]]);
  });

  it('keeps the commas between an exported object\'s members', () => {
    const text = `module.exports = {\n  MAX: 10,\n  parse,\n${'  x: 1,\n'.repeat(12)}  run(a) {\n${'    a();\n'.repeat(8)}  },\n};\n`;
    const q = [{ name: 'm', line: 0, character: 0, reason: 'receiver' as const, weight: 100, typeDefinition: true }];
    const ctx = fitDefinitions('/p/main.js', whole, q, [[{ file: '/p/lib.js', path: 'lib.js', line: 0, character: 0, text }]], 10_000);
    assert.equal(ctx.chunks[0]!.text, `module.exports = {\n  MAX: 10,\n  parse,\n${'  x: 1,\n'.repeat(12)}  run(a) { … },\n};`);
  });

  it('lists the members the typed name starts with when a class is too long to list whole', () => {
    const text = `class Command {\n${Array.from({ length: 60 }, (_, i) => `  m${i}() { return ${i}; }\n`).join('')}  createCommand(name) { return name; }\n}\n`;
    const q = [{ name: 'cmd', line: 0, character: 0, reason: 'receiver' as const, weight: 100, typeDefinition: true, member: 'cre' }];
    const ctx = fitDefinitions('/p/main.js', whole, q, [[{ file: '/p/command.js', path: 'command.js', line: 0, character: 6, text }]], 10_000);
    const lines = ctx.chunks[0]!.text.split('\n');
    assert.ok(lines.includes('  createCommand(name) { return name; }'), ctx.chunks[0]!.text);
    assert.ok(lines.length <= 41 && lines.includes('  …'));
    assert.equal(lines[1], '  m0() { return 0; }');
  });

  it('drops a declaration the prompt window holds and keeps the best ones within the budget', () => {
    const q = [
      { name: 'a', line: 0, character: 0, reason: 'callee' as const, weight: 80, typeDefinition: false },
      { name: 'b', line: 0, character: 0, reason: 'block-name' as const, weight: 20, typeDefinition: false },
      { name: 'c', line: 0, character: 0, reason: 'block-name' as const, weight: 25, typeDefinition: false },
    ];
    const text = 'function a() { return 1; }\nfunction b() { return 2; }\nfunction c() { return 3; }\n';
    const t = (line: number, file = '/p/lib.js'): DefinitionTarget => ({ file, path: 'lib.js', line, character: 9, text });
    const inWindow = fitDefinitions('/p/lib.js', { first: 0, last: 2 }, q, [[t(0)], [t(1)], [t(2)]], 1000);
    assert.deepEqual(inWindow.used.map((u) => u.symbol), ['c']);
    const tight = fitDefinitions('/p/main.js', whole, q, [[t(0)], [t(1)], [t(2)]], 70);
    assert.deepEqual(tight.used.map((u) => u.symbol).sort(), ['a', 'c']);
    assert.equal(tight.chunks[0]!.text, 'function a() { return 1; }\nfunction c() { return 3; }'.replace('\n', '\n\n'));
  });

  it('outlines other languages by indentation: a long class keeps its members\' first lines', () => {
    const py = 'class Order:\n    """An order."""\n    def total(self):\n' + '        x = 1\n'.repeat(10) + '        return x\n    def lines(self):\n        return []\n\nother = 1\n';
    const o = lineOutline(py, 0);
    assert.equal(lineOutline('fn a() {\n' + '    x();\n'.repeat(12) + '}\n', 0).text, 'fn a() {\n    …\n}');
    assert.equal(o.text, 'class Order:\n    """An order."""\n    def total(self):\n      …\n    def lines(self):\n      …');
    assert.equal(o.lastLine, 15);
  });

  it('gives no definitions when the resolver misses its deadline', async () => {
    const never: DefinitionResolver = { resolve: () => new Promise(() => undefined) };
    const { text, offset } = at("import { o } from './o';\no.|");
    const t0 = Date.now();
    const ctx = await gatherDefinitions({ doc: { file: '/p/m.ts', text, languageId: 'typescript' }, offset, window: whole, resolver: never, budgetChars: 1000, deadlineMs: 50 });
    assert.deepEqual(ctx.chunks, []);
    assert.ok(Date.now() - t0 < 1000);
  });
});
