// One line of code read character by character, strings and a trailing line comment told apart: where a dot is
// prose (moduleMembers.ts) and which brackets count (moduleExports.ts).

export type LineEnd = 'code' | 'string' | 'comment';

/**
 * Calls `onCode` with each character outside strings, up to a line comment (`#` for Python, `//` otherwise), and
 * tells where the line ends.
 */
export function scanLine(line: string, python: boolean, onCode: (char: string) => void = () => undefined): LineEnd {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quote !== undefined) {
      if (char === '\\') i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'" || (!python && char === '`')) quote = char;
    else if (python ? char === '#' : char === '/' && line[i + 1] === '/') return 'comment';
    else onCode(char);
  }
  return quote === undefined ? 'code' : 'string';
}
