// The lines around the cursor that a retrieval query reads, bounded in characters as well as lines: a line of a
// generated blob or a long literal is read only as far as the bound, not whole at every request.

/** The last `count` lines of `text`, at most its last `maxChars` characters. */
export function lastLines(text: string, count: number, maxChars: number): string {
  if (count <= 0) return '';
  const floor = Math.max(0, text.length - maxChars);
  let start = text.length;
  for (let lines = 0; lines < count; lines++) {
    const newline = start > floor ? text.lastIndexOf('\n', start - 1) : -1;
    if (newline < floor) return text.slice(floor);
    start = newline;
  }
  return text.slice(start + 1);
}

/** The first `count` lines of `text`, at most its first `maxChars` characters. */
export function firstLines(text: string, count: number, maxChars: number): string {
  if (count <= 0) return '';
  const ceiling = Math.min(text.length, maxChars);
  let end = -1;
  for (let lines = 0; lines < count; lines++) {
    const newline = text.indexOf('\n', end + 1);
    if (newline < 0 || newline >= ceiling) return text.slice(0, ceiling);
    end = newline;
  }
  return text.slice(0, end);
}
