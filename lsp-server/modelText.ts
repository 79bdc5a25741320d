// Text as the model read it in training: the corpus turns CRLF into LF and drops a leading byte-order mark
// (training/corpus/build_corpus.py), so a Windows file's `\r`s in a prompt are characters the model never saw. With
// them left in, four of six small CRLF files got worse completions (`{` for `a + b;`, an empty block). A lone CR is a
// line end too (LSP counts it as one; old Mac files, Neovim's fileformat=mac): it becomes LF the same way.
// Everything that becomes prompt text passes through here; completions go back with the document's line ending.

export type LineEnding = '\n' | '\r\n' | '\r';

/**
 * `text` with CRLF and lone CR line ends as LF; when it `startsDocument`, without a byte-order mark (elsewhere U+FEFF
 * is a zero-width no-break space, which stays).
 */
export function asModelText(text: string, startsDocument: boolean): string {
  const lf = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  return startsDocument && lf.charCodeAt(0) === 0xfeff ? lf.slice(1) : lf;
}

/**
 * The line ending completions are given back with: CRLF where the document has one, else LF where it has one, else a
 * lone CR's (a stray CR in an LF file made every completion's lines end in CR).
 */
export function lineEndingOf(text: string): LineEnding {
  if (text.includes('\r\n')) return '\r\n';
  if (text.includes('\n')) return '\n';
  return text.includes('\r') ? '\r' : '\n';
}

/** LF-ended `text` with the document's line ending. */
export function withLineEnding(text: string, eol: LineEnding): string {
  return eol === '\n' ? text : text.replace(/\n/g, eol);
}
