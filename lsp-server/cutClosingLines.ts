// A cut made because the model repeats itself can land inside brackets the completion opened: a repeated argument cut
// in `log(\n  "a",\n  "a",\n  {…},\n)` would show `log(\n  "a",` open. Where the model's text after the cut closes
// them, its closing lines are kept, so what is shown closes what it opened, as the model wrote it.
import { closingRun, isBalanced, lineCommentFor, openBrackets } from './bracketScan';

/** A line's leading run of closers, as the first group. */
export const LEADING_CLOSERS = /^\s*([)\]}]+)/;

/**
 * The lines of `rest` (what the cut dropped, in order) that close the brackets `kept` leaves open: each line that
 * starts with closers of them, where the lines between are balanced (an argument's own `{…}` skipped whole), kept up
 * to those closers. None when `kept` leaves nothing open, or the model never closes it (a loop until the token cap).
 */
export function closingLinesAfterCut(kept: readonly string[], rest: readonly string[], languageId: string): string[] {
  const lineComment = lineCommentFor(languageId);
  let open = openBrackets(kept.join('\n'), lineComment);
  const closing: string[] = [];
  let between = '';
  for (const line of rest) {
    if (open.length === 0) break;
    const closers = LEADING_CLOSERS.exec(line)?.[1];
    const count = closers !== undefined && isBalanced(between, lineComment) ? closingRun(open, closers).count : 0;
    if (count === 0) {
      between += `${line}\n`;
      continue;
    }
    closing.push(closingPartOf(line, closers!, count));
    open = open.slice(0, open.length - count);
    between = '';
  }
  return closing;
}

/** The line up to its first `count` closers, and the `;` or `,` right after them (`});`). */
export function closingPartOf(line: string, closers: string, count: number): string {
  const end = line.indexOf(closers) + count;
  return line.slice(0, end) + /^[;,]*/.exec(line.slice(end))![0];
}
