// V8 keeps a substring as a view of the string it was cut from, so a one-line chunk or a declared name kept in the
// index holds its whole file; and a file with one character above U+00FF is stored at two bytes a character, the
// chunks joined from its lines too. The index keeps its own copies, one byte a character where the text allows.

const WIDE = /[^\x00-\xff]/;

/** A copy of `text` that shares no storage with the string it came from, in the narrowest encoding its characters allow. */
export function ownedText(text: string): string {
  return WIDE.test(text) ? Buffer.from(text, 'utf16le').toString('utf16le') : Buffer.from(text, 'latin1').toString('latin1');
}
