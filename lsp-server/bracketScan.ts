// Finds brackets in code, skipping string literals and comments, so post-processing can tell which closers a
// completion leaves unmatched, and which literal the cursor is inside of.

const PAIRS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
const OPENERS = new Set(['(', '[', '{']);
const QUOTES = new Set(['"', "'", '`']);
/** Python's triple-quoted strings (docstrings), which span lines: in `#`-comment languages only. */
const TRIPLE_QUOTES = ['"""', "'''"];
const BLOCK_COMMENT_START = '/*';
export const BLOCK_COMMENT_END = '*/';

/** A string literal or block comment that scanned text is inside of, named by what closes it: its quote, or the comment's end. */
export type OpenLiteral = string;

export interface UnmatchedCloser {
  /** Offset in the scanned text. */
  index: number;
  char: string;
}

/** An opening bracket that nothing after it in the scanned text closes: its offset there, and which it is. */
export type OpenBracket = UnmatchedCloser;

/** Line-comment marker for a language (a rough table: enough to skip brackets in comments). */
export function lineCommentFor(languageId: string): string {
  return ['python', 'shellscript', 'ruby', 'perl', 'r', 'yaml', 'toml', 'dockerfile', 'makefile'].includes(languageId) ? '#' : '//';
}

/**
 * Closers in `text` that close no opener inside `text` itself, in order. `open` is the literal the text starts
 * inside of (see {@link openLiteralAfter}).
 */
export function unmatchedClosers(text: string, lineComment: string, open?: OpenLiteral): UnmatchedCloser[] {
  return scan(text, lineComment, open).unmatched;
}

/** Openers in `text` that nothing after them in `text` closes, outermost first. */
export function openBrackets(text: string, lineComment: string): OpenBracket[] {
  return scan(text, lineComment, undefined).stack;
}

/** Openers in `text` that nothing after them in `text` closes, outermost first; undefined when `text` ends inside a string or a comment. */
export function openBracketsAtEnd(text: string, lineComment: string): OpenBracket[] | undefined {
  const { stack, open, inLineComment } = scan(text, lineComment, undefined);
  return open === undefined && !inLineComment ? stack : undefined;
}

/** Whether `ch` is a closing bracket. */
export function isCloser(ch: string): boolean {
  return Object.hasOwn(PAIRS, ch);
}

/** Whether `closer` closes `opener`. */
export function closes(closer: string, opener: string): boolean {
  return PAIRS[closer] === opener;
}

/** Whether `text` closes every bracket it opens and none that it does not. */
export function isBalanced(text: string, lineComment: string): boolean {
  const { stack, unmatched } = scan(text, lineComment, undefined);
  return stack.length === 0 && unmatched.length === 0;
}

/**
 * How many of `closers`, a run of closing brackets read in order, close the innermost of `open` (outermost first), and
 * the opener the last of them closes.
 */
export function closingRun(open: readonly OpenBracket[], closers: string): { count: number; outermost: OpenBracket | undefined } {
  let count = 0;
  while (count < closers.length && count < open.length && open[open.length - 1 - count]!.char === PAIRS[closers[count]!]) count++;
  return { count, outermost: count === 0 ? undefined : open[open.length - count] };
}

/**
 * The string literal or block comment still open at the end of `linePrefix`, if any. In a language with `//`
 * comments, a line starting with `*` continues a block comment (a doc comment's inner line).
 */
export function openLiteralAfter(linePrefix: string, lineComment: string): OpenLiteral | undefined {
  const inDocComment = lineComment === '//' && /^\s*\*(?!\/)/.test(linePrefix);
  return scan(linePrefix, lineComment, inDocComment ? BLOCK_COMMENT_END : undefined).open;
}

/** Whether `open` is a Python triple-quoted string (a docstring, say), which spans lines. */
export function isTripleQuoted(open: OpenLiteral | undefined): open is OpenLiteral {
  return open !== undefined && TRIPLE_QUOTES.includes(open);
}

/** The string literal or block comment still open at the end of `text`, which starts inside `startsInside` if given. */
export function openLiteralAtEnd(text: string, lineComment: string, startsInside?: OpenLiteral): OpenLiteral | undefined {
  return scan(text, lineComment, startsInside).open;
}

/**
 * The literal open at the end of `text` and where in `text` it opened (-1: before it, the one `text` starts inside,
 * `startsInside`, if given); undefined when none is.
 */
export function openLiteralStart(text: string, lineComment: string, startsInside?: OpenLiteral): { open: OpenLiteral; at: number } | undefined {
  const { open, openedAt } = scan(text, lineComment, startsInside);
  return open === undefined ? undefined : { open, at: openedAt };
}

/** Whether a literal can go on past a line break: a block comment, a template literal or a triple-quoted string. */
export function spansLines(open: OpenLiteral): boolean {
  return open === BLOCK_COMMENT_END || open === '`' || TRIPLE_QUOTES.includes(open);
}

/** Offset in `text`, which starts inside `open`, of the closer that ends that literal; -1 when `text` does not end it. */
export function literalEnd(text: string, open: OpenLiteral): number {
  for (let i = 0; i < text.length; i++) {
    const step = literalStep(text, i, open);
    if (step === 'closed') return i;
    if (step === 'line-end') return -1;
    if (step === 'escape') i++;
  }
  return -1;
}

/**
 * What `text[i]` does inside `open`: escapes the next character (strings only), closes the literal, or ends it
 * unclosed (only template literals, triple-quoted strings and block comments span lines: an unterminated '...' or
 * "..." ends at the break).
 */
function literalStep(text: string, i: number, open: OpenLiteral): 'escape' | 'closed' | 'line-end' | 'inside' {
  if (text[i] === '\\' && open !== BLOCK_COMMENT_END) return 'escape';
  if (text.startsWith(open, i)) return 'closed';
  if (text[i] === '\n' && (open === '"' || open === "'")) return 'line-end';
  return 'inside';
}

function scan(
  text: string,
  lineComment: string,
  startsInside: OpenLiteral | undefined,
): { unmatched: UnmatchedCloser[]; open: OpenLiteral | undefined; openedAt: number; stack: OpenBracket[]; inLineComment: boolean } {
  const stack: OpenBracket[] = [];
  const unmatched: UnmatchedCloser[] = [];
  let open = startsInside;
  // Where the literal open now started (-1: before `text`).
  let openedAt = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (open !== undefined) {
      const step = literalStep(text, i, open);
      if (step === 'escape') i++;
      else if (step === 'closed') [i, open] = [i + open.length - 1, undefined];
      else if (step === 'line-end') open = undefined;
      continue;
    }
    if (text.startsWith(lineComment, i)) {
      const end = text.indexOf('\n', i);
      if (end === -1) return { unmatched, open, openedAt: -1, stack, inLineComment: true };
      i = end;
      continue;
    }
    const triple = lineComment === '#' ? TRIPLE_QUOTES.find((quote) => text.startsWith(quote, i)) : undefined;
    if (lineComment === '//' && text.startsWith(BLOCK_COMMENT_START, i)) [openedAt, i, open] = [i, i + 1, BLOCK_COMMENT_END];
    else if (lineComment === '//' && ch === '/' && startsRegex(text, i)) i = Math.max(i, regexEnd(text, i));
    else if (triple !== undefined) [openedAt, i, open] = [i, i + triple.length - 1, triple];
    else if (QUOTES.has(ch)) [openedAt, open] = [i, ch];
    else if (OPENERS.has(ch)) stack.push({ index: i, char: ch });
    else if (ch in PAIRS) {
      if (stack.length > 0 && stack[stack.length - 1]!.char === PAIRS[ch]) stack.pop();
      else if (stack.length === 0) unmatched.push({ index: i, char: ch });
      // A mismatched closer (`(]`) is the model's mistake, not a block end; leave it to the other rules.
    }
  }
  return { unmatched, open, openedAt: open === undefined ? -1 : openedAt, stack, inLineComment: false };
}

/**
 * Characters after which a `/` starts a regular expression literal; after a value (`a / b`, `f(x) / 2`) it is a
 * division. Not `}`: in JSX, `<X a={b} />` has one before `/>`.
 */
const BEFORE_REGEX = new Set(['(', ',', '=', ':', '[', '!', '&', '|', '?', '{', ';', '+', '-', '*', '%', '~', '^']);
const KEYWORDS_BEFORE_REGEX = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);
const LONGEST_KEYWORD = 10;

/**
 * Whether the `/` at `i` starts a JavaScript regular expression literal (`/\(/`, whose brackets are no code), as told
 * by the code right before it: a line start, an operator or opening bracket, or a keyword such as `return`. Reads a
 * few characters back only, so a long line of divisions scans in linear time.
 */
function startsRegex(text: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && (text[j] === ' ' || text[j] === '\t')) j--;
  if (j < 0 || text[j] === '\n' || text[j] === '\r') return true;
  if (BEFORE_REGEX.has(text[j]!)) return true;
  let k = j;
  while (k >= 0 && j - k <= LONGEST_KEYWORD && /[\w$]/.test(text[k]!)) k--;
  // A keyword, not a property or a longer name that ends like one (`x.in`, `login`).
  return KEYWORDS_BEFORE_REGEX.has(text.slice(k + 1, j + 1)) && (k < 0 || !/[\w$.]/.test(text[k]!));
}

/** Offset of the `/` that ends the regular expression literal starting at `i`; -1 when its line does not end it (a division after all). */
function regexEnd(text: string, i: number): number {
  let inClass = false;
  for (let j = i + 1; j < text.length; j++) {
    const ch = text[j];
    if (ch === '\n') return -1;
    if (ch === '\\') j++;
    else if (ch === '[') inClass = true;
    else if (ch === ']') inClass = false;
    else if (ch === '/' && !inClass) return j;
  }
  return -1;
}

/**
 * Each closer in `text`, by offset, with the offset of the opener it closes (-1: none), every character taken as code:
 * for text inside a comment or string, where brackets are words that may still pair up.
 */
export function closersWithOpeners(text: string): Map<number, number> {
  const stack: number[] = [];
  const closers = new Map<number, number>();
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (OPENERS.has(ch)) stack.push(i);
    else if (ch in PAIRS) closers.set(i, stack.length > 0 && text[stack[stack.length - 1]!] === PAIRS[ch] ? stack.pop()! : -1);
  }
  return closers;
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
