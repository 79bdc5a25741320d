// Small models fall into loops: the same line again and again. A line that repeats the one before it (blank lines
// aside, indentation included) ends the suggestion there; short lines such as `}`, `end`, `pass` or `break;`
// legitimately repeat and are left alone. Longer loops (`if not files: return None` twice, then again) repeat a line
// further apart and at other indentations: its third time ends the suggestion too.

/** Lines shorter than this (trimmed), or without a letter, may repeat. */
const MIN_REPEAT_LENGTH = 8;
/** A line this long (trimmed) is seldom written three times in one block on purpose. */
const MIN_LOOP_LINE_LENGTH = 10;
const LOOP_REPEATS = 3;

/**
 * `lines` up to (not including) the first non-trivial line identical to the previous non-blank line, or the third
 * time a line of at least {@link MIN_LOOP_LINE_LENGTH} characters appears, at any indentation.
 * `firstLineIndent`: what precedes line 0 on the cursor's line when that is only whitespace (line 0 is then a whole
 * line); undefined when the cursor is after code, and line 0 is compared with nothing.
 */
export function cutRepeatedLines(lines: string[], firstLineIndent: string | undefined): string[] {
  let previous: string | undefined;
  const seen = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    const line = i === 0 ? (firstLineIndent === undefined ? undefined : firstLineIndent + lines[0]!) : lines[i]!;
    const text = line?.trimEnd();
    if (text !== undefined && /[A-Za-z]/.test(text)) {
      const code = text.trim();
      if (text === previous && code.length >= MIN_REPEAT_LENGTH) return before(lines, i);
      const times = (seen.get(code) ?? 0) + 1;
      if (code.length >= MIN_LOOP_LINE_LENGTH && times === LOOP_REPEATS) return before(lines, i);
      seen.set(code, times);
    }
    previous = text;
  }
  return lines;
}

/** The lines before line `i`, without the blank lines that led to it. */
function before(lines: string[], i: number): string[] {
  const kept = lines.slice(0, i);
  while (kept.length > 1 && kept[kept.length - 1]!.trim() === '') kept.pop();
  return kept;
}
