/** A word as a POSIX shell reads it back: as it is when it holds only plain characters, else single-quoted. */
export function shellWord(word: string): string {
  if (/^[\w.:,=/@+%-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
