// A block written before closers the editor auto-closed (`if (user) {|}`) is followed by them once accepted: they must
// land on a line of their own, not after its last statement (`return user.id;}`), and close the block the cursor's
// line opened, not one the completion left open on its last line (`if (v === 0) {}`).
import { lineCommentFor, openBracketsAtEnd } from './bracketScan';
import { LEADING_CLOSERS } from './cutClosingLines';
import type { CursorContext } from './cursorContext';
import { indentWidth } from './indentation';

/**
 * A block's lines (line 0 continues the cursor's line) where the rest of the cursor's line starts with closers: the
 * lines from the first that opens a bracket the block leaves open go (the document's closer would be its: a block cut
 * inside an `if` it opened), and the block ends with a line of the cursor line's indentation, where those closers go.
 * Not after a closing line at the cursor line's level or out (`}` of a bracket the block opened on line 0):
 * `foo(|)` + `bar, {` … `}` gives `})`.
 */
export function endBeforeAutoClosed(lines: readonly string[], ctx: CursorContext): string[] {
  if (!LEADING_CLOSERS.test(ctx.lineSuffix)) return [...lines];
  const kept = lines.slice(0, Math.max(1, firstOpeningLine(lines, lineCommentFor(ctx.languageId))));
  while (kept.length > 1 && kept.at(-1)!.trim() === '') kept.pop();
  if (kept.length === 1) return kept;
  const indent = /^[ \t]*/.exec(ctx.linePrefix)![0];
  const last = kept.at(-1)!;
  return LEADING_CLOSERS.test(last) && indentWidth(last) <= indentWidth(indent) ? kept : [...kept, indent];
}

/**
 * The first of `lines` after line 0 that opens a bracket nothing after it closes; `lines.length` where none does, or
 * where they end in a string or comment (not known).
 */
function firstOpeningLine(lines: readonly string[], lineComment: string): number {
  const text = lines.join('\n');
  const afterLine0 = lines[0]!.length + 1;
  const opener = (openBracketsAtEnd(text, lineComment) ?? []).find((open) => open.index >= afterLine0);
  return opener === undefined ? lines.length : text.slice(0, opener.index).split('\n').length - 1;
}
