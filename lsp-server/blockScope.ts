// Cuts a multi-line completion at the end of the block it belongs to: where indentation drops below the
// block's level, or at a closing bracket the completion never opened.
import { closingRun, lineCommentFor, openBrackets, unmatchedClosers } from './bracketScan';
import { opensBlock } from './completionMode';
import type { CursorContext } from './cursorContext';
import { closingPartOf, LEADING_CLOSERS } from './cutClosingLines';
import { indentWidth } from './indentation';

const STARTS_WITH_CLOSER = /^\s*[)\]}]/;

/**
 * `lines` is the completion split on `\n`; line 0 continues the cursor's line. Two cases:
 * - the cursor's line opens a block (`{`, `(`, `[`, `=>`, Python `:`): lines belong to it while indented deeper
 *   than the cursor's line; a closing line at the block's level ends it and is kept up to its closers;
 * - the cursor is on an empty line: lines belong to it while indented at least as deep as the first line; a
 *   closer of an enclosing block ends it and is dropped, since the code after the cursor closes that block; only
 *   when nothing after the cursor does (the block is still open at the end of the file) does a completion that
 *   starts by closing it keep that closing line. A line indented less that closes brackets the completion opened
 *   (`key: {` … `}` written one level out) is their closer, not the enclosing block's: it ends the completion, lined
 *   up with the line that opened them.
 */
export function limitToBlock(lines: string[], ctx: CursorContext): string[] {
  const opens = opensBlock(ctx.linePrefix, ctx.languageId);
  const base = opens ? indentWidth(ctx.linePrefix) : emptyLineLevel(lines, ctx.linePrefix);
  const closers = unmatchedClosers(lines.join('\n'), lineCommentFor(ctx.languageId));
  const firstCloser = closers[0];
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (i > 0 && line.trim() !== '') {
      const width = indentWidth(line);
      if (opens && width <= base) {
        return STARTS_WITH_CLOSER.test(line) ? [...lines.slice(0, i), closingPart(line, line.search(/\S/))] : lines.slice(0, i);
      }
      if (!opens && width < base) {
        const closer = ownCloserLine(lines, i, ctx);
        return closer === undefined ? lines.slice(0, i) : [...lines.slice(0, i), closer];
      }
    }
    if (firstCloser !== undefined && firstCloser.index < offset + line.length + 1) {
      if (opens) return [...lines.slice(0, i), closingPart(line, firstCloser.index - offset)];
      const kept = line.slice(0, firstCloser.index - offset);
      if (kept.trim() !== '') return [...lines.slice(0, i), kept];
      const closesOpenBlock = lines.slice(0, i).every((l) => l.trim() === '') && !suffixClosesEnclosingBlock(ctx);
      if (!closesOpenBlock) return lines.slice(0, i);
      // `})(source);` stays whole; `} else {` keeps only `}` (it would open a block the completion no longer covers).
      return [...lines.slice(0, i), opensBlock(line, ctx.languageId) ? closingPart(line, firstCloser.index - offset) : line];
    }
    offset += line.length + 1;
  }
  return lines;
}

/**
 * Line `i` up to its leading closers of brackets that `lines` before it opened, at the indentation of the line with the
 * outermost of them; undefined when it starts with no such closer.
 */
function ownCloserLine(lines: readonly string[], i: number, ctx: CursorContext): string | undefined {
  const closers = LEADING_CLOSERS.exec(lines[i]!)?.[1];
  if (closers === undefined) return undefined;
  const written = lines.slice(0, i).join('\n');
  const { count, outermost } = closingRun(openBrackets(written, lineCommentFor(ctx.languageId)), closers);
  if (outermost === undefined) return undefined;
  const openerLine = written.slice(0, outermost.index).split('\n').length - 1;
  const indent = /^\s*/.exec(openerLine === 0 ? ctx.linePrefix + lines[0]! : lines[openerLine]!)![0];
  return indent + closingPartOf(lines[i]!, closers, count).trimStart();
}

/** Whether the code after the cursor has a closer for a bracket opened before it (the usual case while editing). */
function suffixClosesEnclosingBlock(ctx: CursorContext): boolean {
  return unmatchedClosers(ctx.suffix, lineCommentFor(ctx.languageId)).length > 0;
}

/**
 * The closing line up to its run of closers and statement punctuation: `});` stays whole, `} else {` keeps
 * only `}` (what follows would open a block the completion no longer covers).
 */
function closingPart(line: string, closerIndex: number): string {
  const run = /^[)\]}][)\]};,]*/.exec(line.slice(closerIndex))![0];
  return line.slice(0, closerIndex + run.length);
}

/** Level of a block started on an empty line: the indentation of the first line the completion writes. */
function emptyLineLevel(lines: string[], linePrefix: string): number {
  const first = linePrefix + lines[0]!;
  if (first.trim() !== '') return indentWidth(first);
  const next = lines.slice(1).find((line) => line.trim() !== '');
  return next === undefined ? indentWidth(linePrefix) : indentWidth(next);
}
