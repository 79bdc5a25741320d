// Keeps a completion from repeating what already follows the cursor.
import { hasOddQuotes, lineCommentFor, openQuoteAfter, unmatchedClosers } from './bracketScan';
import type { CursorContext } from './cursorContext';

const BRACKETS = new Set([')', ']', '}']);
const QUOTES = new Set(['"', "'", '`']);

/**
 * Single line: drops the longest end of `text` that the rest of the line starts with (`foo(|)` + `a)` → `a`).
 * Closing brackets and quotes in that end count only when the completion leaves them unmatched, so
 * `print(|)` + `len(x)` keeps its own `)`.
 */
export function trimLineSuffixOverlap(text: string, ctx: CursorContext): string {
  const rest = ctx.lineSuffix.trimEnd();
  if (rest === '') return text;
  const lineComment = lineCommentFor(ctx.languageId);
  const unmatched = new Set(unmatchedClosers(text, lineComment, openQuoteAfter(ctx.linePrefix, lineComment)).map((c) => c.index));
  for (let k = Math.min(text.length, rest.length); k > 0; k--) {
    const start = text.length - k;
    if (!text.endsWith(rest.slice(0, k))) continue;
    if (overlapIsDuplicate(text, start, unmatched)) return text.slice(0, start);
  }
  return text;
}

function overlapIsDuplicate(text: string, start: number, unmatched: Set<number>): boolean {
  for (let i = start; i < text.length; i++) {
    const ch = text[i]!;
    if (BRACKETS.has(ch) && !unmatched.has(i)) return false;
    if (QUOTES.has(ch) && !hasOddQuotes(text, ch)) return false;
  }
  return true;
}

/**
 * Multi-line: drops the completion's last lines when the document's next non-blank lines are the same lines
 * (compared with their indentation, so an outer block's `}` is not mistaken for this block's). When the
 * cursor's line still has closers after the cursor (`{|})`), the completion's end that repeats them is dropped,
 * or a closing last line that starts with them is reduced to its indentation: the document's own closers land there.
 */
export function dropLinesFollowingCursor(lines: string[], ctx: CursorContext): string[] {
  const rest = ctx.lineSuffix.trim();
  if (rest !== '') {
    const joined = lines.join('\n');
    const trimmed = trimLineSuffixOverlap(joined, ctx);
    if (trimmed !== joined) return trimmed.split('\n');
    const last = lines[lines.length - 1]!;
    if (lines.length > 1 && last.trim().startsWith(rest)) return [...lines.slice(0, -1), /^\s*/.exec(last)![0]];
    return lines;
  }
  const following = dropLeadingBlank(ctx.followingLines).map((l) => l.trimEnd());
  const written = lines.map((line, i) => (i === 0 ? ctx.linePrefix + line : line).trimEnd());
  for (let m = Math.min(written.length, following.length); m > 0; m--) {
    const tail = written.slice(written.length - m);
    if (tail.every((line, j) => line === following[j]) && tail.some((line) => line.trim() !== '')) {
      return lines.slice(0, lines.length - m);
    }
  }
  return lines;
}

function dropLeadingBlank(lines: string[]): string[] {
  const first = lines.findIndex((l) => l.trim() !== '');
  return first === -1 ? [] : lines.slice(first);
}
