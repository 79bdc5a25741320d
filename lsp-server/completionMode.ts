// How much to complete: decided from the cursor's line before generating, because it sets the stop strings.
import { lineCommentFor } from './bracketScan';
import type { CursorContext } from './cursorContext';
import { indentWidth } from './indentation';

/**
 * - `single-line`: the rest of the cursor's line.
 * - `whole-line`: one line on an empty line in the middle of a body; post-processed like a block of one line.
 * - `multi-line`: a block, where one starts.
 * - `none`: nothing, at the end of a line that opens a block which already has its body.
 */
export type CompletionMode = 'single-line' | 'whole-line' | 'multi-line' | 'none';

/** Only closing brackets, quotes and punctuation after the cursor still allow a block (auto-closed pairs). */
const CLOSERS_ONLY = /^[\s)\]}'"`;,]*$/;

/**
 * A block where one starts (the cursor's line opens it, or the cursor is on an empty line under a line that does,
 * or right under a comment, which usually says what to write); one statement at a time anywhere else, so an empty
 * line in the middle of a body gets its next line, not a guess at the rest of the body.
 */
export function completionMode(ctx: CursorContext): CompletionMode {
  if (!CLOSERS_ONLY.test(ctx.lineSuffix)) return 'single-line';
  const before = ctx.linePrefix.trimEnd();
  if (before !== '') {
    if (!opensBlock(before, ctx.languageId)) return 'single-line';
    // A second body would go in front of the first; a single line there is a body on the header's line. An open
    // `(` or `[` above deeper lines is still being written (`class Setting(|` above its body wants `object):`).
    return blockHasBody(ctx) ? (/[([]$/.test(before) ? 'single-line' : 'none') : 'multi-line';
  }
  if (ctx.lineSuffix.trim() !== '') return 'single-line';
  const linesAbove = ctx.prefix.slice(0, ctx.prefix.length - ctx.linePrefix.length).split('\n').slice(0, -1);
  const previous = [...linesAbove].reverse().find((line) => line.trim() !== '')?.trim();
  if (previous === undefined || opensBlock(previous, ctx.languageId)) return 'multi-line';
  if (ctx.languageId === 'python' && bodyIsDocstring(linesAbove) && !bodyGoesOn(ctx)) return 'multi-line';
  return isComment(previous, ctx.languageId) && linesAbove.at(-1)!.trim() !== '' ? 'multi-line' : 'whole-line';
}

const TRIPLE_QUOTE = /"{3}|'{3}/;

/**
 * Whether the lines above end with a docstring right under a block's header: the body starts at the cursor, and the
 * docstring says what to write (as a comment does). One line was all a function with a doctest got there.
 */
function bodyIsDocstring(linesAbove: readonly string[]): boolean {
  let end = linesAbove.length - 1;
  while (end >= 0 && linesAbove[end]!.trim() === '') end--;
  const last = linesAbove[end]?.trim() ?? '';
  const quote = TRIPLE_QUOTE.exec(last.slice(-3))?.[0];
  if (quote === undefined) return false;
  // The line that opens it: the last one when it holds both quotes (`"""Doc."""`), else the nearest one above with
  // the quote, which must hold it once (a whole docstring there means the cursor is inside an open one).
  let start = end;
  const opened = last.replace(/^[rRuUbBfF]{1,2}(?="{3}|'{3})/, '');
  if (!(opened.startsWith(quote) && opened.length >= 6)) {
    start = end - 1;
    while (start >= 0 && !linesAbove[start]!.includes(quote)) start--;
    if (start < 0 || linesAbove[start]!.split(quote).length !== 2) return false;
  }
  if (!/^(?:[rRuUbBfF]{0,2})("{3}|'{3})/.test(linesAbove[start]!.trim())) return false;
  let header = start - 1;
  while (header >= 0 && linesAbove[header]!.trim() === '') header--;
  return header >= 0 && opensBlock(linesAbove[header]!, 'python');
}

/** Whether code follows the cursor at its indentation or deeper: the body has more, and one line goes in between. */
function bodyGoesOn(ctx: CursorContext): boolean {
  const next = ctx.followingLines.find((line) => line.trim() !== '');
  return next !== undefined && indentWidth(next) >= indentWidth(ctx.linePrefix);
}

/** A comment line in the language (in TypeScript a line starting with `#` declares a private field). */
function isComment(line: string, languageId: string): boolean {
  const marker = lineCommentFor(languageId);
  return line.startsWith(marker) || (marker === '//' && /^(?:\/\*|\*)/.test(line));
}

/** Whether the next non-blank line is indented deeper than the cursor's: a block the cursor's line opens has its body. */
export function blockHasBody(ctx: CursorContext): boolean {
  const next = ctx.followingLines.find((line) => line.trim() !== '');
  return next !== undefined && indentWidth(next) > indentWidth(ctx.linePrefix);
}

/** Whether the cursor's line (trimmed) ends by opening a block. */
export function opensBlock(linePrefix: string, languageId: string): boolean {
  const before = linePrefix.trimEnd();
  if (/[{([]$/.test(before) || before.endsWith('=>')) return true;
  return languageId === 'python' && before.endsWith(':') && !before.trimStart().startsWith('#');
}

/** Stop strings for the runtime; a multi-line completion is cut at the end of its block after generation. */
export function stopStringsFor(mode: CompletionMode): string[] {
  return mode === 'multi-line' ? [] : ['\n'];
}
