// The post-processing chain for one generated completion: every rule is a pure function of the text and
// the cursor's context, applied in a fixed order.
import { endBeforeAutoClosed } from './autoClosedLine';
import { limitToBlock } from './blockScope';
import type { CompletionMode } from './completionMode';
import type { CursorContext } from './cursorContext';
import { matchIndentation } from './indentation';
import { keepConfidentLines } from './confidentLines';
import { closeOpenDocstring } from './openDocstring';
import { withLineEnding } from './modelText';
import { cutRepeatedLines } from './repeatedLines';
import { cutPhraseLoops } from './repeatedPhrases';
import { dropLinesFollowingCursor, trimLineSuffixOverlap } from './suffixOverlap';

/** C0 controls other than tab and line breaks, and DEL: never meant as code, and unsafe to insert. */
export const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/**
 * Returns the text to show, or '' when nothing is worth showing. `confidentLines`: of a block, show only that many
 * leading lines of the model's text (confidentLines.ts).
 */
export function postProcess(raw: string, mode: CompletionMode, ctx: CursorContext, confidentLines = Infinity): string {
  if (mode === 'none') return '';
  let lines = raw.replace(/\r\n?/g, '\n').replace(CONTROL_CHARACTERS, '').split('\n');
  if (mode !== 'multi-line') lines = lines.slice(0, 1);
  lines = cutPhraseLoops(lines, `${ctx.prefix}\n${ctx.suffix}`);
  if (mode !== 'single-line') lines = limitToBlock(cutRepeatedLines(lines, ctx.linePrefix.trim() === '' ? ctx.linePrefix : undefined, ctx.languageId), ctx);
  lines = matchIndentation(lines, ctx.indent);
  lines = trimTrailingWhitespace(lines);
  let text: string;
  if (mode === 'single-line') text = trimLineSuffixOverlap(lines[0] ?? '', ctx);
  else {
    text = keepConfidentLines(dropLinesFollowingCursor(lines, ctx), confidentLines, ctx.languageId).join('\n');
    // Closed first: the closers the editor auto-closed go after the comment's closer, on a line of their own.
    if (text.trim() !== '') text = endBeforeAutoClosed(closeOpenDocstring(text, ctx, mode === 'whole-line').split('\n'), ctx).join('\n');
  }
  if (text.trim() === '') return '';
  return withLineEnding(text, ctx.eol);
}

/** Trailing spaces on every line, and trailing blank lines, are noise in ghost text. */
function trimTrailingWhitespace(lines: string[]): string[] {
  const trimmed = lines.map((line) => line.trimEnd());
  while (trimmed.length > 1 && trimmed[trimmed.length - 1] === '') trimmed.pop();
  return trimmed;
}
