// The line rules of an explanation's text, applied as it streams. A model that is not instruction-tuned loops (a
// YAML selection got ~40 identical lines up to the token limit) and walks out of a `#` comment into code; text a
// rule would cut is held back until the line decides, so what was streamed is always the final text's start. A loop
// is the completions' one (repeatedLines.ts): a line's third appearance after the same lines as its second (a chat
// answer's third ```python fence is none). A phrase that loops (the completions' rule, repeatedPhrases.ts, read over
// the comment's lines as one text: `returns a function that` wrapped over lines) ends the text after its first copy,
// and so does a sentence written twice in a row, read the same way (repeatedSentences.ts). Where a loop rule or a
// limit ends the text, its unfinished last sentence goes (finishedSentences.ts): it is held back until it finishes.
// A code fence the text leaves open at its end is closed (codeExampleLines.ts).
import { MIN_LOOP_LINE_LENGTH, sameRun } from '../repeatedLines';
import { cutPhraseLoop, openRunStart } from '../repeatedPhrases';
import { codeExampleLines, fenceCloser } from './codeExampleLines';
import { FINISHED_LINE, LINE_MARKER, finishedEnd } from './finishedSentences';
import { openRepeatStart, repeatedSentenceEnd } from './repeatedSentences';

/** Prose has no notation: a quoted letter written over and over (`"t", "t", …` to the token cap) is a loop. */
const PROSE_MIN_PHRASE_LENGTH = 3;
/**
 * A letter written eight times in a row: no word has that, but a model looping on one character does (`秺秺秺…`, where
 * the phrase rule sees one word, since Chinese has no spaces between words).
 */
const LETTER_RUN = /(\p{L})\1{7,}/u;
const TRAILING_LETTER_RUN = /(\p{L})\1+$/u;

export class ExplanationLines {
  private text = '';
  private emitted = 0;
  /** Where the line being written starts in `text`. */
  private lineStart = 0;
  /** The lines written so far, and where each line's last two appearances are among them. */
  private readonly lines: string[] = [];
  private readonly appearances = new Map<string, number[]>();
  private endedAt: number | undefined;

  /** `linesStartWith`: every line after the first must start with it after its indentation (a `#` comment's lines). */
  constructor(private readonly linesStartWith?: string) {}

  get ended(): boolean {
    return this.endedAt !== undefined;
  }

  /**
   * Whether the text so far stops inside its last line's sentence (`… a single item from a`). A code example's line
   * (a doctest's output `4`) ends no sentence and may end the text: refusing the end there had the model write more.
   */
  get midSentence(): boolean {
    const end = this.text.trimEnd().length;
    if (end <= this.lineStart || FINISHED_LINE.test(this.text.slice(0, end))) return false;
    return !codeExampleLines(this.text.slice(0, end).split('\n')).at(-1)!;
  }

  /** Adds text; returns what may be shown now (nothing once the text has ended). */
  push(delta: string): string {
    if (this.ended) return '';
    this.text += delta;
    for (let newline = this.text.indexOf('\n', this.lineStart); newline >= 0; newline = this.text.indexOf('\n', this.lineStart)) {
      const line = this.text.slice(this.lineStart, newline);
      if (this.leavesComment(line)) return this.end(this.beforeLine());
      if (this.loops(line)) return this.endShort(this.beforeLine());
      this.note(line);
      this.lineStart = newline + 1;
    }
    // A line that has left the comment ends the text before it is whole.
    if (this.leavesComment(this.text.slice(this.lineStart))) return this.end(this.beforeLine());
    const loopEnd = this.phraseLoopEnd();
    if (loopEnd !== undefined) return this.endShort(loopEnd);
    return this.release(this.undecidedFrom());
  }

  /**
   * The rest at the end of generation: a line still undecided is shown unless it is only whitespace or a loop's.
   * `limited`: a limit, not the model, ended the text (explanationRuns.ts), so an unfinished sentence at its end goes.
   */
  flush(limited: boolean): string {
    if (this.ended) return '';
    const line = this.text.slice(this.lineStart);
    if (this.leavesComment(line)) return this.end(this.beforeLine());
    if (this.loops(line)) return this.endShort(this.beforeLine());
    const end = Math.max(this.emitted, this.text.trimEnd().length);
    return limited ? this.endShort(end) : this.end(end);
  }

  /** The text's lines as one text, without their indentation and comment markers, and where each piece of it starts in the text. */
  private prose(): { text: string; pieces: { at: number; from: number }[] } {
    let text = '';
    const pieces: { at: number; from: number }[] = [];
    let from = 0;
    for (const line of this.text.split('\n')) {
      if (pieces.length > 0) text += ' ';
      const marker = LINE_MARKER.exec(line)![0].length;
      pieces.push({ at: text.length, from: from + marker });
      text += line.slice(marker);
      from += line.length + 1;
    }
    return { text, pieces };
  }

  /** Where a prose offset lies in the text. */
  private static textOffset(pieces: readonly { at: number; from: number }[], at: number): number {
    let piece = pieces[0]!;
    for (const p of pieces) if (p.at <= at) piece = p;
    return piece.from + (at - piece.at);
  }

  /** The end of the first copy of a phrase, letter or sentence that loops in the text, if one does. */
  private phraseLoopEnd(): number | undefined {
    const { text, pieces } = this.prose();
    const kept = cutPhraseLoop(text, '', PROSE_MIN_PHRASE_LENGTH);
    const run = LETTER_RUN.exec(text);
    const ends = [kept?.trimEnd().length, run === null ? undefined : run.index + run[1]!.length, repeatedSentenceEnd(text)].filter((end) => end !== undefined);
    if (ends.length === 0) return undefined;
    return Math.max(this.emitted, this.text.slice(0, ExplanationLines.textOffset(pieces, Math.min(...ends))).trimEnd().length);
  }

  /** The end of the text before the line being written, without its trailing whitespace. */
  private beforeLine(): number {
    return Math.max(this.emitted, this.text.slice(0, Math.max(0, this.lineStart - 1)).trimEnd().length);
  }

  /**
   * Ends the text at `at`, where a rule or a limit cut it: before its unfinished last sentence, if a finished one stays.
   * The line break after `at`, where the model wrote one, goes with the text read: the line before it is whole.
   */
  private endShort(at: number): string {
    const lineBreak = /^[ \t]*\n/.exec(this.text.slice(at));
    const finished = finishedEnd(this.text.slice(0, at + (lineBreak?.[0].length ?? 0)), true);
    return this.end(finished === 0 ? at : Math.max(this.emitted, finished));
  }

  /** Ends the text at `at`, closing a code fence it leaves open (a loop cut inside its example). */
  private end(at: number): string {
    const shown = this.release(at);
    this.endedAt = this.emitted;
    const closer = fenceCloser(this.text.slice(0, this.emitted).split('\n'));
    return closer === undefined ? shown : `${shown}\n${closer}`;
  }

  private release(upTo: number): string {
    if (upTo <= this.emitted) return '';
    const shown = this.text.slice(this.emitted, upTo);
    this.emitted = upTo;
    return shown;
  }

  /**
   * Where the text that may still be cut starts: the line being written (with its line break), trailing whitespace,
   * a run of repeats that may become a loop, a sentence that may become the last one's second copy, or one that
   * has not finished (endShort may cut it).
   */
  private undecidedFrom(): number {
    const line = this.text.slice(this.lineStart);
    const lineHeld = this.lineStart > 0 && (line.trim() === '' || (this.linesStartWith !== undefined && line.trimStart().length < this.linesStartWith.length) || this.mayLoop(line.trim()));
    const decided = lineHeld ? this.lineStart - 1 : this.text.trimEnd().length;
    const { text, pieces } = this.prose();
    // A letter repeated at the end may become a LETTER_RUN: its copies after the first wait.
    const letters = TRAILING_LETTER_RUN.exec(text);
    const runFrom = letters === null ? text.length : letters.index + letters[1]!.length;
    const loops = ExplanationLines.textOffset(pieces, Math.min(openRunStart(text), runFrom, openRepeatStart(text)));
    return Math.max(this.emitted, Math.min(decided, loops, finishedEnd(this.text, false)));
  }

  private leavesComment(line: string): boolean {
    if (this.linesStartWith === undefined || this.lineStart === 0) return false;
    const start = line.trimStart();
    return start !== '' && !start.startsWith(this.linesStartWith);
  }

  /** Whether `line`, written next, would be a loop's third appearance. */
  private loops(line: string): boolean {
    const code = line.trim();
    const at = this.appearances.get(code);
    return code.length >= MIN_LOOP_LINE_LENGTH && at !== undefined && at.length === 2 && sameRun([...this.lines, line], at[0]!, at[1]!, this.lines.length);
  }

  /** Whether a line being written as `start` may turn out a loop's third appearance: a line seen twice starts so. */
  private mayLoop(start: string): boolean {
    for (const [code, at] of this.appearances) if (at.length === 2 && code.length >= MIN_LOOP_LINE_LENGTH && code.startsWith(start)) return true;
    return false;
  }

  private note(line: string): void {
    const code = line.trim();
    this.appearances.set(code, [...(this.appearances.get(code) ?? []), this.lines.length].slice(-2));
    this.lines.push(line);
  }
}
