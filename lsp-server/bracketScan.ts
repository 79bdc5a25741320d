// Finds brackets in code, skipping string literals and line comments, so post-processing can tell which
// closers a completion leaves unmatched.

const PAIRS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
const OPENERS = new Set(['(', '[', '{']);
const QUOTES = new Set(['"', "'", '`']);

export interface UnmatchedCloser {
  /** Offset in the scanned text. */
  index: number;
  char: string;
}

/** Line-comment marker for a language (a rough table: enough to skip brackets in comments). */
export function lineCommentFor(languageId: string): string {
  return ['python', 'shellscript', 'ruby', 'perl', 'r', 'yaml', 'toml', 'dockerfile', 'makefile'].includes(languageId) ? '#' : '//';
}

/**
 * Closers in `text` that close no opener inside `text` itself, in order. `openQuote` is the string literal
 * the text starts inside of (see {@link openQuoteAfter}).
 */
export function unmatchedClosers(text: string, lineComment: string, openQuote?: string): UnmatchedCloser[] {
  return scan(text, lineComment, openQuote).unmatched;
}

/** The quote of the string literal still open at the end of `linePrefix`, if any. */
export function openQuoteAfter(linePrefix: string, lineComment: string): string | undefined {
  return scan(linePrefix, lineComment, undefined).quote;
}

function scan(text: string, lineComment: string, openQuote: string | undefined): { unmatched: UnmatchedCloser[]; quote: string | undefined } {
  const stack: string[] = [];
  const unmatched: UnmatchedCloser[] = [];
  let quote = openQuote;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== undefined) {
      if (ch === '\\') i++;
      // Only template literals span lines; an unterminated '...' or "..." ends at the line break.
      else if (ch === quote || (ch === '\n' && quote !== '`')) quote = undefined;
      continue;
    }
    if (text.startsWith(lineComment, i)) {
      const end = text.indexOf('\n', i);
      if (end === -1) break;
      i = end;
      continue;
    }
    if (QUOTES.has(ch)) quote = ch;
    else if (OPENERS.has(ch)) stack.push(ch);
    else if (ch in PAIRS) {
      if (stack.length > 0 && stack[stack.length - 1] === PAIRS[ch]) stack.pop();
      else if (stack.length === 0) unmatched.push({ index: i, char: ch });
      // A mismatched closer (`(]`) is the model's mistake, not a block end; leave it to the other rules.
    }
  }
  return { unmatched, quote };
}

/** Whether `text` contains an odd number of `quote` characters (outside escapes). */
export function hasOddQuotes(text: string, quote: string): boolean {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) count++;
  }
  return count % 2 === 1;
}
