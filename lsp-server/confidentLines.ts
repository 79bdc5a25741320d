// How much of a block completion to show: the lines the model was sure of. The embedded model's later lines are
// rarely the author's (of the 947 lines it showed for the 271 held-out blocks, 71 were, and 42 in a run from the first
// line on), and the probability the model gave its own text tells them apart: the log-probability of the text up to a
// line's end ranks a right line above a wrong one 89% of the time (AUC 0.885; 0.835 for the line's least likely
// token). Held back from the line on which it falls under BLOCK_LOG_PROB_FLOOR, the held-out blocks kept all 42 of
// those lines and showed 59% fewer characters of the others; a block needs 30% of the tokens it wrote before, so the
// model stops there (bench/results/confident-lines-2026-12-07.md).
import type { TokenScore } from '../runtime/engine';
import { lineCommentFor, literalEnd, openLiteralAtEnd, openLiteralStart, spansLines } from './bracketScan';

/**
 * Natural log of the probability, under the model, of a block's text up to the end of a line, below which that line
 * and the rest are held back: e^-5, under 1%. From -4 to -12 every leading right line of the held-out blocks stayed.
 */
export const BLOCK_LOG_PROB_FLOOR = -5;

/**
 * The index of the first line of `text` (scored token by token, `scores` in order) to hold back, or undefined while
 * none is: a line after the first with code whose tokens bring the text's log-probability below `floor`. The first
 * line with code always shows, also after lines of whitespace (the rest of the cursor's line after a block's header).
 * A token belongs to the line its last character is in (a line break to the line it ends). The sum only falls, so the
 * line is known as soon as the token that crosses the floor is written.
 */
export function unsureLine(text: string, scores: readonly TokenScore[], floor = BLOCK_LOG_PROB_FLOOR): number | undefined {
  const codeAt = text.search(/\S/);
  if (codeAt < 0) return undefined;
  let firstCode = 0;
  for (let at = text.indexOf('\n'); at >= 0 && at < codeAt; at = text.indexOf('\n', at + 1)) firstCode++;
  let line = 0;
  let lineEnd = text.indexOf('\n');
  let logProb = 0;
  let written = 0;
  let pending = 0;
  for (const score of scores) {
    // A piece of a character (or of the hidden required prefix) writes nothing yet: it counts with the token that does.
    pending += score.logProb;
    if (score.textEnd <= written) continue;
    written = score.textEnd;
    logProb += pending;
    pending = 0;
    const last = Math.min(score.textEnd, text.length) - 1;
    while (lineEnd >= 0 && lineEnd < last) {
      line++;
      lineEnd = text.indexOf('\n', lineEnd + 1);
    }
    if (logProb < floor && line > firstCode) return line;
  }
  return undefined;
}

/**
 * Follows a block while it is written and says when the lines it will show are settled: the model wrote a line it was
 * unsure of, and any comment or string the lines before that one opened is closed on a finished line. The run can
 * stop then. Each piece of text costs a read of the scores until the unsure line is known, then a read of the text
 * only when a line is finished (a 1,024-token docstring took 1.4 s of the server's thread read whole at every token).
 */
export class BlockSettling {
  private unsure: number | undefined;
  /** Lines, counted from the first, known to end inside a comment or string they opened. */
  private openThrough = 0;

  constructor(private readonly languageId: string) {}

  /** After each piece of the block's text (`text` so far, `scores` its tokens'): whether the shown lines are settled. */
  settled(text: string, scores: readonly TokenScore[]): boolean {
    if (this.unsure === undefined) {
      this.unsure = unsureLine(text, scores);
      if (this.unsure === undefined) return false;
      this.openThrough = this.unsure - 1;
    }
    // The last line is still being written: the lines before it are finished.
    const finished = text.split('\n').length - 1;
    const comment = lineCommentFor(this.languageId);
    for (let kept = this.openThrough + 1; kept <= finished; kept++) {
      const open = openLiteralAtEnd(text.split('\n', kept).join('\n'), comment);
      if (open === undefined || !spansLines(open)) return true;
      this.openThrough = kept;
    }
    return false;
  }
}

/**
 * The first `count` lines of a block, or more where they would end inside a comment or string they opened (a `/**`
 * or `"""` alone would turn the rest of the file into one once accepted): up to the line that closes it. One the
 * block never closes (a run cut at the token cap inside it) is left out with the line that opens it, where lines with
 * code stay before it, else the whole block shows. Trailing blank lines go.
 */
export function keepConfidentLines(lines: readonly string[], count: number, languageId: string): string[] {
  if (count >= lines.length) return [...lines];
  const comment = lineCommentFor(languageId);
  let kept = Math.max(1, count);
  for (; kept < lines.length; kept++) {
    const open = openLiteralStart(lines.slice(0, kept).join('\n'), comment);
    // A quote open at a line's end is no string going on (a Rust lifetime, `Don't` in JSX text).
    if (open === undefined || !spansLines(open.open)) break;
    // Judged by where it closes, not by its kind: the block may end inside another of the same kind.
    if (literalEnd(`\n${lines.slice(kept).join('\n')}`, open.open) === -1) {
      kept = withoutOpener(lines, kept, open.at);
      break;
    }
  }
  const shown = lines.slice(0, kept);
  while (shown.length > 1 && shown[shown.length - 1]!.trim() === '') shown.pop();
  return shown;
}

/**
 * `kept` lines ending inside a literal the block never closes, opened at `openedAt` in their text: the lines before
 * the one that opens it, if one of them has code; else all of the block (its own end, a docstring the time limit cut,
 * which post-processing closes in Python, rather than a bare opener).
 */
function withoutOpener(lines: readonly string[], kept: number, openedAt: number): number {
  const openingLine = lines.slice(0, kept).join('\n').slice(0, Math.max(0, openedAt)).split('\n').length - 1;
  return lines.slice(0, openingLine).some((line) => line.trim() !== '') ? openingLine : lines.length;
}
