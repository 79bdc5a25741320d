// Small models fall into loops: the same line again and again. A line that repeats the one before it (blank lines
// aside) ends the suggestion there; short lines such as `}`, `end`, `pass` or `break;` legitimately repeat and are
// left alone.

/** Lines shorter than this (trimmed), or without a letter, may repeat. */
const MIN_REPEAT_LENGTH = 8;

/** `lines` up to (not including) the first non-trivial line identical to the previous non-blank line. */
export function cutRepeatedLines(lines: string[]): string[] {
  let previous: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (line === previous && line.length >= MIN_REPEAT_LENGTH && /[A-Za-z]/.test(line)) {
      const kept = lines.slice(0, i);
      while (kept.length > 1 && kept[kept.length - 1]!.trim() === '') kept.pop();
      return kept;
    }
    previous = line;
  }
  return lines;
}
