// Whether a text is minified code (a bundle, `*.min.js`): its lines run to hundreds of characters. The workspace
// index leaves such files out, and completions skip them: the model only loops there, and reading the one long line
// around the cursor held the server's thread for 200-300 ms a request in a 900 KB bundle.

/** Shorter texts are never called minified: a few long lines are a data table or a generated constant. */
const MIN_MINIFIED_CHARS = 4096;
/** The lines whose average length decides. */
const SAMPLED_LINES = 200;
/** Above this average line length the text is minified. */
const MINIFIED_LINE_CHARS = 300;

export function isMinified(text: string): boolean {
  if (text.length < MIN_MINIFIED_CHARS) return false;
  const lines = text.split('\n', SAMPLED_LINES);
  const sampled = lines.reduce((n, l) => n + l.length, 0);
  return sampled / lines.length > MINIFIED_LINE_CHARS;
}
