/** Makes whitespace in a token visible: a token that is a newline or indentation still shows. */
export function showToken(text: string): string {
  return text.replace(/\n/g, '↵').replace(/\t/g, '→').replace(/ /g, '·') || '∅';
}
