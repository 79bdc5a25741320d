// Keeps a completion from repeating what already follows the cursor.
import { closersWithOpeners, hasOddQuotes, isCloser, lineCommentFor, literalEnd, openBracketsAtEnd, openLiteralAfter, unmatchedClosers, type OpenLiteral } from './bracketScan';
import type { CursorContext } from './cursorContext';
import { cutAtExtraCloser } from './extraClosers';

const QUOTES = new Set(['"', "'", '`']);
/** What may follow a copy of the line's rest in a completion that repeats it: the statement end it adds. */
const ADDED_PUNCTUATION = /^[\s;,)\]}]*$/;
const WORD_CHARACTER = /^[\p{L}\p{N}_$]$/u;

/**
 * Single line: drops what of `text` the rest of the line already has. First, a closer that would leave the rest's
 * closers nothing to close ends the completion, and the closers before it are its own (extraClosers.ts). Inside a
 * string or block comment that the rest of the line closes, the completion ends where it would close it
 * (`'Reinstall |Locus')` + `the extension')` → `the extension`). A copy of the rest followed only by punctuation goes
 * with that punctuation (`'|')` + `');`). Then the longest end of `text` that the rest of the line starts with goes
 * (`foo(|)` + `a)` → `a`). Closing brackets and quotes count only when the completion leaves them unmatched, so
 * `print(|)` + `len(x)` keeps its own `)`.
 */
export function trimLineSuffixOverlap(text: string, ctx: CursorContext): string {
  const rest = ctx.lineSuffix.trimEnd();
  if (rest === '') return text;
  const lineComment = lineCommentFor(ctx.languageId);
  const open = openLiteralAfter(ctx.linePrefix, lineComment);
  const fitted = open === undefined ? cutAtExtraCloser(text, ctx) : text;
  const inLiteral = beforeLiteralEnd(fitted, rest, open);
  // Cut to fit the rest's closers, the completion's own closers close what they should: none is a copy of them.
  const unmatched = fitted === text ? droppableClosers(inLiteral, lineComment, open) : new Map<number, number>();
  return withoutRestStart(beforeRepeatedRest(inLiteral, rest, unmatched), rest, unmatched);
}

/**
 * The closers in `text` that may be copies of the line's rest, by offset, each with the offset of the opener it closes
 * in `text` (-1: none): those that close nothing it opened, or, when `text` stays inside a comment or string, where
 * brackets are words, every one (isDuplicate keeps one whose opener comes before the copy).
 */
function droppableClosers(text: string, lineComment: string, open: OpenLiteral | undefined): Map<number, number> {
  if (open === undefined || literalEnd(text, open) !== -1) return new Map(unmatchedClosers(text, lineComment, open).map((c) => [c.index, -1]));
  // Inside a literal every closer may be a copy: a pair copied whole (`{Command} cmd`) goes, a closer of an opener
  // written before the copy (`foo(|)` + `len(x)`) stays.
  return closersWithOpeners(text);
}

/** `text` up to where it closes the literal the cursor is in, when the rest of the line closes that literal itself. */
function beforeLiteralEnd(text: string, rest: string, open: OpenLiteral | undefined): string {
  if (open === undefined || literalEnd(rest, open) === -1) return text;
  const end = literalEnd(text, open);
  if (end === -1) return text;
  // A space the completion wrote before its closer (`id. */`) separates it from the rest, unless the rest has one.
  return /^\s/.test(rest) ? text.slice(0, end).trimEnd() : text.slice(0, end);
}

/**
 * `text` before its last copy of the whole rest of the line, when only added punctuation follows that copy. A copy on
 * the cursor's line whose leading closers close brackets the completion opened skipped a closer of its own
 * (`len(items` + `):` before `):`): those closers stay, the rest of the copy goes.
 */
function beforeRepeatedRest(text: string, rest: string, unmatched: Map<number, number>): string {
  const whole = rest.trim();
  for (let start = text.lastIndexOf(whole); start !== -1; start = start === 0 ? -1 : text.lastIndexOf(whole, start - 1)) {
    const end = start + whole.length;
    if (!ADDED_PUNCTUATION.test(text.slice(end))) return text;
    if (isDuplicate(text, start, end, unmatched)) return text.slice(0, start);
    // On a line of its own the copy's closers close the completion's own brackets (`  });` before `});`).
    if (text.lastIndexOf('\n', start) !== -1) continue;
    const own = ownClosersAt(text, start, end, unmatched);
    if (own > 0 && start + own < end && isDuplicate(text, start + own, end, unmatched)) return text.slice(0, start + own);
  }
  return text;
}

/** How many closers from `start` on (up to `end`) close brackets `text` opened before them. */
function ownClosersAt(text: string, start: number, end: number, unmatched: Map<number, number>): number {
  let i = start;
  // Not in `unmatched`: matched in `text`; there with an opener: matched too (text inside a literal).
  while (i < end && isCloser(text[i]!) && (unmatched.get(i) ?? 0) >= 0) i++;
  return i - start;
}

/**
 * `text` without its longest end that the rest of the line starts with. When that leaves a word and a space, the word
 * may repeat the rest's start as well (`and and` before `and that`): it goes too.
 */
function withoutRestStart(text: string, rest: string, unmatched: Map<number, number>): string {
  const kept = withoutOverlap(text, rest, unmatched);
  const word = kept.trimEnd();
  if (kept === text || word === kept) return kept;
  const again = withoutRestStart(word, rest, unmatched);
  return again === word ? kept : again;
}

function withoutOverlap(text: string, rest: string, unmatched: Map<number, number>): string {
  for (let k = Math.min(text.length, rest.length); k > 0; k--) {
    const start = text.length - k;
    // Part of the rest's first word is no copy of it (`it` before `the default` keeps its `t`).
    if (WORD_CHARACTER.test(rest[k - 1]!) && WORD_CHARACTER.test(rest[k] ?? '')) continue;
    if (text.endsWith(rest.slice(0, k)) && isDuplicate(text, start, text.length, unmatched)) return text.slice(0, start);
  }
  return text;
}

/** Whether `text[start, end)` copies the line's rest: its closers close nothing the completion opened. */
function isDuplicate(text: string, start: number, end: number, unmatched: Map<number, number>): boolean {
  for (let i = start; i < end; i++) {
    const ch = text[i]!;
    const opener = unmatched.get(i);
    if (isCloser(ch) && (opener === undefined || (opener >= 0 && opener < start))) return false;
    if (QUOTES.has(ch) && !hasOddQuotes(text, ch)) return false;
  }
  return true;
}

/**
 * Multi-line: drops the completion's last lines when the document's next non-blank lines are the same lines
 * (compared with their indentation, so an outer block's `}` is not mistaken for this block's). When the
 * cursor's line still has closers after the cursor (`{|})`), the completion's end that repeats them is dropped,
 * or a closing last line that starts with them (closing brackets opened before the cursor, not the completion's own)
 * is reduced to its indentation: the document's own closers land there.
 */
export function dropLinesFollowingCursor(lines: string[], ctx: CursorContext): string[] {
  const rest = ctx.lineSuffix.trim();
  if (rest !== '') {
    const joined = lines.join('\n');
    const trimmed = trimLineSuffixOverlap(joined, ctx);
    if (trimmed !== joined) return trimmed.split('\n');
    const last = lines[lines.length - 1]!;
    if (lines.length > 1 && last.trim().startsWith(rest) && closesOutside(joined, joined.length - last.trimStart().length, ctx)) {
      return [...lines.slice(0, -1), /^\s*/.exec(last)![0]];
    }
    return lines;
  }
  const following = dropLeadingBlank(ctx.followingLines).map((l) => l.trimEnd());
  const written = lines.map((line, i) => (i === 0 ? ctx.linePrefix + line : line).trimEnd());
  for (let m = Math.min(written.length, following.length); m > 0; m--) {
    const tail = written.slice(written.length - m);
    if (tail.every((line, j) => line === following[j]) && tail.some((line) => line.trim() !== '')) {
      return lines.slice(0, lines.length - m);
    }
  }
  // Further in: after text of its own, the completion wrote the code after the cursor's first lines again and went on
  // past them (with more of that code, or its own). Two lines in a row are that code; one alone (a `}`) may be the
  // completion's own. From its first line on, it is a new element like the next one (a list of alike entries).
  const copied = written.findIndex((line, i) => i > 0 && line === following[0] && written[i + 1] === following[1] && line.trim() !== '');
  return copied === -1 || following.length < 2 ? lines : lines.slice(0, copied);
}

/**
 * Whether the closer at `at` in `text` closes a bracket opened before the cursor, not one of `text`'s own; taken as
 * so where `text` ends inside a string or comment, whose brackets the scan cannot tell.
 */
function closesOutside(text: string, at: number, ctx: CursorContext): boolean {
  const lineComment = lineCommentFor(ctx.languageId);
  if (openBracketsAtEnd(text, lineComment) === undefined) return true;
  return unmatchedClosers(text, lineComment).some((closer) => closer.index === at);
}

/**
 * What of `text`, a completion's rest of one line or several, a completion made at this cursor would show: without
 * what the text after the cursor already has (the rules above, as post-processing applies them to several lines).
 */
export function withoutTextAfterCursor(text: string, ctx: CursorContext): string {
  return dropLinesFollowingCursor(text.split('\n'), ctx).join('\n');
}

function dropLeadingBlank(lines: string[]): string[] {
  const first = lines.findIndex((l) => l.trim() !== '');
  return first === -1 ? [] : lines.slice(first);
}
