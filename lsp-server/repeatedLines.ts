// Small models fall into loops: the same line again and again. A line that repeats the one before it (blank lines
// aside, indentation included) ends the suggestion there; short lines such as `}`, `end`, `pass` or `break;`
// legitimately repeat and are left alone.

/** Lines shorter than this (trimmed), or without a letter, may repeat. */
const MIN_REPEAT_LENGTH = 8;

/**
 * `lines` up to (not including) the first non-trivial line identical to the previous non-blank line.
 * `firstLineIndent`: what precedes line 0 on the cursor's line when that is only whitespace (line 0 is then a whole
 * line); undefined when the cursor is after code, and line 0 is compared with nothing.
 */
export function cutRepeatedLines(lines: string[], firstLineIndent: string | undefined): string[] {
  let previous: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    const line = i === 0 ? (firstLineIndent === undefined ? undefined : firstLineIndent + lines[0]!) : lines[i]!;
    const text = line?.trimEnd();
    if (text !== undefined && text === previous && text.trim().length >= MIN_REPEAT_LENGTH && /[A-Za-z]/.test(text)) {
      const kept = lines.slice(0, i);
      while (kept.length > 1 && kept[kept.length - 1]!.trim() === '') kept.pop();
      return kept;
    }
    previous = text;
  }
  return lines;
}
