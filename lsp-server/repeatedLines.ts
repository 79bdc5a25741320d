// Small models fall into loops: the same line again and again. A line that repeats the one before it (blank lines
// aside, indentation included) ends the suggestion there; short lines such as `}`, `end`, `pass` or `break;`
// legitimately repeat and are left alone. Longer loops (`if not files: return None` twice, then again) repeat a line
// further apart and at other indentations: its third time ends the suggestion too.
import { opensBlock } from './completionMode';
import { closingLinesAfterCut } from './cutClosingLines';

/** Lines shorter than this (trimmed), or without a letter, may repeat. */
const MIN_REPEAT_LENGTH = 8;
/** A line this long (trimmed) is seldom written three times in one block on purpose. */
export const MIN_LOOP_LINE_LENGTH = 10;
const LOOP_REPEATS = 3;

/**
 * `lines` up to (not including) the first non-trivial line identical to the previous non-blank line, or the third
 * time a line of at least {@link MIN_LOOP_LINE_LENGTH} characters appears, at any indentation.
 * `firstLineIndent`: what precedes line 0 on the cursor's line when that is only whitespace (line 0 is then a whole
 * line); undefined when the cursor is after code, and line 0 is compared with nothing. `languageId`: which lines open a
 * block (completionMode.ts), dropped from the end of a cut.
 */
export function cutRepeatedLines(lines: string[], firstLineIndent: string | undefined, languageId: string): string[] {
  let previous: string | undefined;
  const seen = new Map<string, number[]>();
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    const line = i === 0 ? (firstLineIndent === undefined ? undefined : firstLineIndent + lines[0]!) : lines[i]!;
    const text = line?.trimEnd();
    if (text !== undefined && /[A-Za-z]/.test(text)) {
      const code = text.trim();
      if (text === previous && code.length >= MIN_REPEAT_LENGTH) return before(lines, i, languageId);
      const at = seen.get(code) ?? [];
      // A loop repeats what came between: `return nil, err` after three different calls is Go, not a loop.
      if (code.length >= MIN_LOOP_LINE_LENGTH && at.length === LOOP_REPEATS - 1 && sameRun(lines, at[0]!, at[1]!, i)) return before(lines, i, languageId);
      seen.set(code, [...at, i].slice(-(LOOP_REPEATS - 1)));
    }
    previous = text;
  }
  return lines;
}

/**
 * The lines before line `i`, without the blank lines that led to it, nor a header whose body was the loop's: where a
 * loop of `if n < 0:` / `return False` is caught at its third `return False`, its third `if n < 0:` went before it.
 * Brackets they leave open get the model's own closing lines after the cut (cutClosingLines.ts).
 */
function before(lines: string[], i: number, languageId: string): string[] {
  const kept = lines.slice(0, i);
  const last = () => kept[kept.length - 1]!;
  while (kept.length > 1 && (last().trim() === '' || opensBlock(last(), languageId))) kept.pop();
  return [...kept, ...closingLinesAfterCut(kept, lines.slice(kept.length), languageId)];
}

/** Whether the non-blank lines from `a` to `b` are those from `b` to `c`, indentation aside: a loop, if `c` repeats `b`. */
export function sameRun(lines: readonly string[], a: number, b: number, c: number): boolean {
  const run = (from: number, to: number) => lines.slice(from, to).map((l) => l.trim()).filter((l) => l !== '').join('\n');
  return run(a, b) === run(b, c);
}
