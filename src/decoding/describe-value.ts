/**
 * A bad value as an error message may quote it: at most `max` characters, control characters
 * escaped (JSON style), and nested structures named rather than printed, so that a 5 MB line,
 * terminal escape codes or a deeply nested object cannot flood or drive the user's terminal.
 */
export function describeValue(x: unknown, max = 80): string {
  if (typeof x === 'string') return quoteText(x, max);
  if (typeof x === 'number' || typeof x === 'boolean' || x === null || x === undefined) return String(x);
  if (Array.isArray(x)) return `an array of ${x.length}`;
  return typeof x === 'object' ? 'an object' : typeof x;
}

/** `text` in double quotes, cut to `max` characters with an ellipsis, control characters escaped. */
export function quoteText(text: string, max = 80): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One line of a message for a terminal: control characters escaped, at most `max` characters. */
export function terminalLine(text: string, max = 300): string {
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? ' ' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
