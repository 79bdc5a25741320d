// A block written before closers the editor auto-closed (`if (user) {|}`) is followed by them once accepted: they must
// land on a line of their own, not after its last statement (`return user.id;}`), and close the block the cursor's
// line opened, not one the completion left open on its last line (`if (v === 0) {}`).
import { lineCommentFor, openBracketsAtEnd } from './bracketScan';
import type { CursorContext } from './cursorContext';
import { indentWidth } from './indentation';

const STARTS_WITH_CLOSER = /^\s*[)\]}]/;

/**
 * A block's lines (line 0 continues the cursor's line) where the rest of the cursor's line starts with closers: last
 * lines that open a bracket the block leaves open go (the document's closer would be theirs), and the block ends with a
 * line of the cursor line's indentation, where those closers go. Not after a closing line at the cursor line's level
 * or out (`}` of a bracket the block opened on line 0): `foo(|)` + `bar, {` … `}` gives `})`.
 */
export function endBeforeAutoClosed(lines: readonly string[], ctx: CursorContext): string[] {
  if (!STARTS_WITH_CLOSER.test(ctx.lineSuffix)) return [...lines];
  const lineComment = lineCommentFor(ctx.languageId);
  const kept = [...lines];
  while (kept.length > 1 && (kept.at(-1)!.trim() === '' || opensLastLine(kept, lineComment))) kept.pop();
  if (kept.length === 1) return kept;
  const indent = /^[ \t]*/.exec(ctx.linePrefix)![0];
  const last = kept.at(-1)!;
  return STARTS_WITH_CLOSER.test(last) && indentWidth(last) <= indentWidth(indent) ? kept : [...kept, indent];
}

/** Whether the last of `lines` opens a bracket that nothing after it closes (not known where they end in a string). */
function opensLastLine(lines: readonly string[], lineComment: string): boolean {
  const lastLineStart = lines.slice(0, -1).join('\n').length + 1;
  return (openBracketsAtEnd(lines.join('\n'), lineComment) ?? []).some((opener) => opener.index >= lastLineStart);
}
