/**
 * A word as a POSIX shell reads it back: as it is when it holds only plain characters, else single-quoted;
 * with a control character (a newline, an escape) $'…'-quoted with \xHH escapes, so a fix command stays
 * one line and prints no terminal escape (bash, zsh, ksh and POSIX.1-2024 sh read it back).
 */
export function shellWord(word: string): string {
  if (/^[\w.:,=/@+%-]+$/.test(word)) return word;
  if (/[\u0000-\u001f\u007f]/.test(word)) {
    const escaped = word.replace(/[\\'\u0000-\u001f\u007f]/g, (c) => (c === '\\' || c === "'" ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
    return `$'${escaped}'`;
  }
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
