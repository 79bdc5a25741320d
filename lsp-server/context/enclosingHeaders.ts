// The lines that open the blocks around a piece of code (a method's class header, a nested function's outer
// function), found by indentation alone: every language Explain handles, without a parser.

/** Leading spaces and tabs of `line`, in characters. */
function indentOf(line: string): number {
  return /^[ \t]*/.exec(line)![0].length;
}

/**
 * The lines of `above` (whole lines, each ending in a newline) that open the blocks enclosing code indented by
 * `indent`: going up, each non-blank line indented less than the last one kept, until one at column 0.
 * Read from the end, so a long file costs only the lines up to the outermost header.
 */
export function enclosingHeaders(above: string, indent: number): string {
  const kept: string[] = [];
  let limit = indent;
  let end = above.length;
  while (limit > 0 && end > 0) {
    // The line ending at `end` starts after the newline before its own (a search from -1 would find the one at 0).
    const start = end < 2 ? 0 : above.lastIndexOf('\n', end - 2) + 1;
    const line = above.slice(start, end);
    end = start;
    if (line.trim() === '') continue;
    const lineIndent = indentOf(line);
    if (lineIndent < limit) {
      kept.push(line.endsWith('\n') ? line : `${line}\n`);
      limit = lineIndent;
    }
  }
  return kept.reverse().join('');
}
