// Where the bracket opened at `open` closes, skipping string literals (with backslash escapes). Shared by the
// parsers that cut function headers, call arguments and test calls out of source text.

/** Offset of the bracket that closes the one at `open`, or -1. `quotes` lists the string delimiters. */
export function closingBracket(text: string, open: number, quotes = '"\'`'): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (quotes.includes(c)) quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c) && --depth === 0) return i;
  }
  return -1;
}
