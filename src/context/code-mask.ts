/**
 * Source text with its comments and string contents blanked out (same length, same line breaks),
 * so that a scan for identifiers and brackets sees code only. A lexer per language would be more
 * exact; these rules cover the C family, JavaScript's template literals, and '#' comments.
 */
export function maskCode(text: string, languageId: string): string {
  const hashComments = HASH_COMMENT_LANGUAGES.has(languageId);
  const out = text.split('');
  const blank = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (out[i] !== '\n') out[i] = ' ';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if ((c === '/' && next === '/' && !hashComments) || (c === '#' && hashComments)) {
      const end = lineEnd(text, i);
      blank(i, end);
      i = end;
    } else if (c === '/' && next === '*' && !hashComments) {
      const close = text.indexOf('*/', i + 2);
      const end = close < 0 ? text.length : close + 2;
      blank(i, end);
      i = end;
    } else if (c === '"' || c === "'" || c === '`') {
      const end = stringEnd(text, i, c);
      // The quotes stay, so that `foo('x')` still reads as a call with an argument.
      blank(i + 1, Math.max(i + 1, end - 1));
      i = end;
    } else i++;
  }
  return out.join('');
}

const HASH_COMMENT_LANGUAGES = new Set(['python', 'shellscript', 'ruby', 'perl', 'r', 'yaml', 'dockerfile', 'makefile', 'powershell']);

function lineEnd(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end < 0 ? text.length : end;
}

/** Index after a string's closing quote; an unclosed ' or " string ends at its line's end. */
function stringEnd(text: string, from: number, quote: string): number {
  for (let i = from + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') i++;
    else if (c === quote) return i + 1;
    else if (c === '\n' && quote !== '`') return i;
  }
  return text.length;
}

export const IDENTIFIER = /[A-Za-z_$][\w$]*/g;

/** Words no language server defines: keywords and literals of the languages TokenTree is used with most. */
export const KEYWORDS = new Set(
  ('abstract and as assert async await boolean break byte case catch char class const continue debugger def default del delete do double elif else enum ' +
    'except export extends false final finally float fn for from func function get global goto if implements import in instanceof int interface is ' +
    'lambda let long match mod module mut namespace native new nil none None not null number object of or package pass private protected pub public raise ' +
    'readonly require return self Self set short static string struct super switch symbol synchronized this throw throws trait true True False try type ' +
    'typeof undefined unknown use var void volatile where while with yield any never bigint declare keyof infer satisfies impl loop crate').split(' '),
);
