import type * as TS from 'typescript';
import { DEFAULT_LIMITS, lineOutline, type Outline, type OutlineLimits } from './line-outline';

type Ts = typeof TS;

/**
 * Declarations in outline through TypeScript's parser (no program, no type checking), for
 * TypeScript and JavaScript: a class or interface keeps its header and its members' signatures,
 * a function its doc comment and signature, with its body only when short.
 */

export function scriptKindFor(ts: Ts, fileName: string): TS.ScriptKind | undefined {
  const ext = fileName.slice(fileName.lastIndexOf('.') + 1).toLowerCase();
  return ({ ts: ts.ScriptKind.TS, mts: ts.ScriptKind.TS, cts: ts.ScriptKind.TS, tsx: ts.ScriptKind.TSX, js: ts.ScriptKind.JS, mjs: ts.ScriptKind.JS, cjs: ts.ScriptKind.JS, jsx: ts.ScriptKind.JSX } as Record<string, TS.ScriptKind>)[ext];
}

export function parse(ts: Ts, fileName: string, text: string): TS.SourceFile | undefined {
  const kind = scriptKindFor(ts, fileName);
  return kind === undefined ? undefined : ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
}

/** The declaration at a definition's position in outline; a line outline where the parser finds none. */
export function tsOutline(ts: Ts, file: TS.SourceFile, line: number, character: number, limits: OutlineLimits = DEFAULT_LIMITS): Outline {
  const offset = file.getPositionOfLineAndCharacter(Math.min(line, file.getLineStarts().length - 1), 0) + character;
  const node = declarationAt(ts, file, offset);
  if (!node) return lineOutline(file.text, line, limits);
  const text = outlineOf(ts, file, node, limits);
  const first = file.getLineAndCharacterOfPosition(startWithDoc(ts, file, node)).line;
  const last = file.getLineAndCharacterOfPosition(node.getEnd()).line;
  const lines = text.split('\n');
  return { firstLine: first, lastLine: last, text: lines.length > limits.maxLines ? [...lines.slice(0, limits.maxLines), '…'].join('\n') : text };
}

/** The outermost statement-level declaration around `offset` (a member's class, a property's interface). */
function declarationAt(ts: Ts, file: TS.SourceFile, offset: number): TS.Node | undefined {
  let found: TS.Node | undefined;
  const visit = (node: TS.Node): void => {
    if (offset < node.getStart(file) || offset >= node.getEnd()) return;
    if (isOutlined(ts, node)) {
      found = node;
      return;
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(file, visit);
  return found;
}

function isOutlined(ts: Ts, node: TS.Node): boolean {
  return ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isEnumDeclaration(node)
    || ts.isFunctionDeclaration(node) || ts.isVariableStatement(node) || ts.isModuleDeclaration(node)
    || (ts.isExpressionStatement(node) && ts.isBinaryExpression(node.expression) && node.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken);
}

function startWithDoc(ts: Ts, file: TS.SourceFile, node: TS.Node): number {
  const ranges = ts.getLeadingCommentRanges(file.text, node.getFullStart()) ?? [];
  const doc = ranges.filter((r) => file.text.startsWith('/**', r.pos));
  return doc.length ? doc[doc.length - 1]!.pos : node.getStart(file);
}

function outlineOf(ts: Ts, file: TS.SourceFile, node: TS.Node, limits: OutlineLimits): string {
  const full = (n: TS.Node) => file.text.slice(startWithDoc(ts, file, n), n.getEnd());
  const lineCount = (n: TS.Node) => file.getLineAndCharacterOfPosition(n.getEnd()).line - file.getLineAndCharacterOfPosition(n.getStart(file)).line + 1;
  if (lineCount(node) <= limits.shortBody + 2) return full(node);
  if (ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isEnumDeclaration(node)) {
    return members(ts, file, node, node.members, full, limits);
  }
  if (ts.isFunctionDeclaration(node)) return signature(ts, file, node, node.body);
  if (ts.isVariableStatement(node)) {
    const init = node.declarationList.declarations[0]?.initializer;
    const inner = init && (ts.isParenthesizedExpression(init) ? init.expression : init);
    if (inner && (ts.isArrowFunction(inner) || ts.isFunctionExpression(inner))) return signature(ts, file, node, inner.body);
    if (inner && ts.isClassExpression(inner)) return members(ts, file, node, inner.members, full, limits);
    if (inner && ts.isObjectLiteralExpression(inner)) return members(ts, file, node, inner.properties, full, limits);
  }
  if (ts.isExpressionStatement(node) && ts.isBinaryExpression(node.expression)) {
    // CommonJS: `exports.f = function (…) {…}`, `module.exports = { … }`, `X.prototype.m = …`.
    const right = node.expression.right;
    if (ts.isFunctionExpression(right) || ts.isArrowFunction(right)) return signature(ts, file, node, right.body);
    if (ts.isClassExpression(right)) return members(ts, file, node, right.members, full, limits);
    if (ts.isObjectLiteralExpression(right)) return members(ts, file, node, right.properties, full, limits);
  }
  if (ts.isTypeAliasDeclaration(node) && ts.isTypeLiteralNode(node.type)) return members(ts, file, node, node.type.members, full, limits);
  return full(node);
}

/** Text from the doc comment to the body, with the body as `{ … }`. */
function signature(ts: Ts, file: TS.SourceFile, node: TS.Node, body: TS.Node | undefined): string {
  const start = startWithDoc(ts, file, node);
  if (!body || !ts.isBlock(body)) return file.text.slice(start, node.getEnd());
  return `${file.text.slice(start, body.getStart(file)).trimEnd()} { … }${file.text.slice(body.getEnd(), node.getEnd())}`;
}

/** Header, each member in outline (a method as its signature, a short one whole), and the closing line. */
function members(ts: Ts, file: TS.SourceFile, node: TS.Node, list: TS.NodeArray<TS.Node>, full: (n: TS.Node) => string, limits: OutlineLimits): string {
  if (list.length === 0) return full(node);
  const start = startWithDoc(ts, file, node);
  const head = file.text.slice(start, list[0]!.getFullStart());
  const out: string[] = [head.trimEnd()];
  const shown = chooseMembers(ts, list, limits);
  let skipped = false;
  for (const m of list) {
    if (!shown.has(m)) {
      if (!skipped) out.push(`${' '.repeat(file.getLineAndCharacterOfPosition(m.getStart(file)).character)}…`);
      skipped = true;
      continue;
    }
    skipped = false;
    const indent = ' '.repeat(file.getLineAndCharacterOfPosition(m.getStart(file)).character);
    const body = memberBody(ts, m);
    const lines = file.getLineAndCharacterOfPosition(m.getEnd()).line - file.getLineAndCharacterOfPosition(m.getStart(file)).line + 1;
    const text = body && lines > Math.max(2, Math.floor(limits.shortBody / 2))
      ? `${file.text.slice(m.getStart(file), body.getStart(file)).trimEnd()} { … }${file.text.slice(body.getEnd(), m.getEnd())}`
      : file.text.slice(m.getStart(file), m.getEnd());
    // Object literal and enum members are separated by commas, which belong to neither member's node.
    const comma = (ts.isObjectLiteralExpression(m.parent) || ts.isEnumDeclaration(m.parent)) && (m !== list[list.length - 1] || list.hasTrailingComma) ? ',' : '';
    out.push(indent + text + comma);
  }
  const last = list[list.length - 1]!;
  out.push(file.text.slice(last.getEnd(), node.getEnd()).replace(/^[,;]?\s*\n/, '').replace(/^\s*\n/, ''));
  return out.join('\n');
}

/** Every member, or where they would not fit, the ones the typed name starts with and the first others that fit. */
function chooseMembers(ts: Ts, list: TS.NodeArray<TS.Node>, limits: OutlineLimits): Set<TS.Node> {
  const room = limits.maxLines - 3;
  if (list.length <= room) return new Set(list);
  const focus = limits.focus?.toLowerCase() ?? '';
  const nameOf = (m: TS.Node) => {
    const name = ts.getNameOfDeclaration(m as TS.Declaration);
    return name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name)) ? name.text.toLowerCase() : '';
  };
  const named = focus ? list.filter((m) => nameOf(m).startsWith(focus)).slice(0, room) : [];
  const chosen = new Set(named);
  for (const m of list) if (chosen.size < room) chosen.add(m);
  return chosen;
}

function memberBody(ts: Ts, m: TS.Node): TS.Node | undefined {
  if (ts.isMethodDeclaration(m) || ts.isConstructorDeclaration(m) || ts.isGetAccessorDeclaration(m) || ts.isSetAccessorDeclaration(m)) return m.body;
  if ((ts.isPropertyAssignment(m) || ts.isPropertyDeclaration(m)) && m.initializer) {
    const init = m.initializer;
    if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return ts.isBlock(init.body) ? init.body : undefined;
    if (ts.isObjectLiteralExpression(init)) return init;
  }
  return undefined;
}

/**
 * Names in the type annotations of the innermost function around `offset` (its parameters and
 * its return type), and for JavaScript the types its JSDoc tags name.
 */
export function signatureTypeNames(ts: Ts, file: TS.SourceFile, offset: number): { name: string; offset: number }[] {
  let fn: TS.SignatureDeclaration | undefined;
  const visit = (node: TS.Node): void => {
    if (offset < node.getStart(file) || offset > node.getEnd()) return;
    if (ts.isFunctionLike(node)) fn = node;
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(file, visit);
  if (!fn) return [];
  const out: { name: string; offset: number }[] = [];
  const collect = (node: TS.Node): void => {
    if (ts.isTypeReferenceNode(node)) {
      const name = ts.isIdentifier(node.typeName) ? node.typeName : node.typeName.left;
      if (ts.isIdentifier(name)) out.push({ name: name.text, offset: name.getStart(file) });
    }
    ts.forEachChild(node, collect);
  };
  for (const p of fn.parameters) if (p.type) collect(p.type);
  if (fn.type) collect(fn.type);
  for (const tag of ts.getJSDocTags(fn)) {
    const expr = (tag as { typeExpression?: TS.Node }).typeExpression;
    if (expr) collect(expr);
  }
  return out;
}
