// Text as the model read it in training: the corpus turns CRLF into LF and drops a leading byte-order mark
// (training/corpus/build_corpus.py), so a Windows file's `\r`s in a prompt are characters the model never saw. With
// them left in, four of six small CRLF files got worse completions (`{` for `a + b;`, an empty block).
// Everything that becomes prompt text passes through here; completions go back with the document's line ending.

/**
 * `text` with CRLF line ends as LF; when it `startsDocument`, without a byte-order mark (elsewhere U+FEFF is a
 * zero-width no-break space, which stays).
 */
export function asModelText(text: string, startsDocument: boolean): string {
  const lf = text.includes('\r\n') ? text.replace(/\r\n/g, '\n') : text;
  return startsDocument && lf.charCodeAt(0) === 0xfeff ? lf.slice(1) : lf;
}

/** LF-ended `text` with the document's line ending. */
export function withLineEnding(text: string, eol: '\n' | '\r\n'): string {
  return eol === '\n' ? text : text.replace(/\n/g, eol);
}
