// A completion made before closers the line already has (an auto-closed pair, `compute(|, verbose=True)`) may write
// one of them again where the overlap rules cannot see it as a copy: mid-text (`items)` before `, verbose=True)`), or
// after closers of its own (`a))` before `);`). Counting brackets tells: the line once accepted must still close what
// is open before the cursor in order, the completion's closers first, then those of the rest of the line.
import { closes, isCloser, lineCommentFor, openBracketsAtEnd, openBrackets, unmatchedClosers, type OpenBracket } from './bracketScan';
import type { CursorContext } from './cursorContext';

/** Most characters before the cursor read for what is open there (a 1 MiB document's whole took 35 ms to scan). */
const SCAN_LIMIT = 32_768;
/** A line that starts a top-level statement (`def`, `function`, `export`, `@decorator`): nothing is open before it. */
const TOP_LEVEL_LINE = /^[\p{L}_$@]/u;

/**
 * `text`, or where the rest of the line closes brackets open before the cursor and `text` would leave those closers
 * nothing to close, its longest start before one of its closers that fits (`self).__init__()` before `)` keeps
 * `self).__init__(`). Unchanged where the cursor is in a string or comment, where what is open before the cursor is not
 * known, where the rest's closers do not fit it anyway, or where no start fits.
 */
export function cutAtExtraCloser(text: string, ctx: CursorContext): string {
  const lineComment = lineCommentFor(ctx.languageId);
  const restClosers = unmatchedClosers(ctx.lineSuffix, lineComment).map((c) => c.char);
  if (restClosers.length === 0) return text;
  const start = topLevelStart(ctx.prefix);
  const open = start === undefined ? undefined : openBracketsAtEnd(ctx.prefix.slice(start), lineComment);
  if (open === undefined) return text;
  const fits = (completion: string): boolean => closesInOrder(open, completion, restClosers, lineComment);
  if (!fits('') || fits(text)) return text;
  for (let at = text.length - 1; at >= 0; at--) {
    const kept = text.slice(0, at);
    // A closer of code: one in a string or comment is no bracket.
    if (isCloser(text[at]!) && openBracketsAtEnd(kept, lineComment) !== undefined && fits(kept)) return kept;
  }
  return text;
}

/**
 * Where the text before the cursor is at bracket depth 0, read from there on: its start, or the start of its last line
 * at column 0 that starts a statement; undefined when neither is within {@link SCAN_LIMIT} characters of the cursor.
 */
function topLevelStart(prefix: string): number | undefined {
  const from = Math.max(0, prefix.length - SCAN_LIMIT);
  let lineStart = prefix.lastIndexOf('\n') + 1;
  while (lineStart >= from) {
    if (lineStart === 0 || TOP_LEVEL_LINE.test(prefix[lineStart] ?? '')) return lineStart;
    lineStart = lineStart < 2 ? 0 : prefix.lastIndexOf('\n', lineStart - 2) + 1;
  }
  return undefined;
}

/**
 * Whether `completion` and then `restClosers` close brackets in order: the completion's unmatched closers those open
 * before it, the rest's the completion's own still open, then those before it.
 */
function closesInOrder(open: readonly OpenBracket[], completion: string, restClosers: readonly string[], lineComment: string): boolean {
  const stack = [...open];
  for (const closer of unmatchedClosers(completion, lineComment)) {
    const opener = stack.pop();
    if (opener === undefined || !closes(closer.char, opener.char)) return false;
  }
  stack.push(...openBrackets(completion, lineComment));
  for (const closer of restClosers) {
    const opener = stack.pop();
    if (opener === undefined || !closes(closer, opener.char)) return false;
  }
  return true;
}
