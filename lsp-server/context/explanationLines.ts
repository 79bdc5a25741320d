// The line rules of an explanation's text, applied as it streams. A model that is not instruction-tuned loops (a
// YAML selection got ~40 identical lines up to the token limit) and walks out of a `#` comment into code; text a
// rule would cut is held back until the line decides, so what was streamed is always the final text's start. A loop
// is the completions' one (repeatedLines.ts): a line's third appearance after the same lines as its second (a chat
// answer's third ```python fence is none).
import { MIN_LOOP_LINE_LENGTH, sameRun } from '../repeatedLines';

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

  /** Adds text; returns what may be shown now (nothing once the text has ended). */
  push(delta: string): string {
    if (this.ended) return '';
    this.text += delta;
    for (let newline = this.text.indexOf('\n', this.lineStart); newline >= 0; newline = this.text.indexOf('\n', this.lineStart)) {
      const line = this.text.slice(this.lineStart, newline);
      if (this.leavesComment(line) || this.loops(line)) return this.end(this.beforeLine());
      this.note(line);
      this.lineStart = newline + 1;
    }
    // A line that has left the comment ends the text before it is whole.
    if (this.leavesComment(this.text.slice(this.lineStart))) return this.end(this.beforeLine());
    return this.release(this.undecidedFrom());
  }

  /** The rest at the end of generation: a line still undecided is shown unless it is only whitespace or a loop's. */
  flush(): string {
    if (this.ended) return '';
    const line = this.text.slice(this.lineStart);
    if (this.leavesComment(line) || this.loops(line)) return this.end(this.beforeLine());
    return this.end(Math.max(this.emitted, this.text.trimEnd().length));
  }

  /** The end of the text before the line being written, without its trailing whitespace. */
  private beforeLine(): number {
    return Math.max(this.emitted, this.text.slice(0, Math.max(0, this.lineStart - 1)).trimEnd().length);
  }

  private end(at: number): string {
    const shown = this.release(at);
    this.endedAt = this.emitted;
    return shown;
  }

  private release(upTo: number): string {
    if (upTo <= this.emitted) return '';
    const shown = this.text.slice(this.emitted, upTo);
    this.emitted = upTo;
    return shown;
  }

  /** Where the text that may still be cut starts: the line being written (with its line break) or trailing whitespace. */
  private undecidedFrom(): number {
    const line = this.text.slice(this.lineStart);
    const lineHeld = this.lineStart > 0 && (line.trim() === '' || (this.linesStartWith !== undefined && line.trimStart().length < this.linesStartWith.length) || this.mayLoop(line.trim()));
    if (lineHeld) return Math.max(this.emitted, this.lineStart - 1);
    return Math.max(this.emitted, this.text.trimEnd().length);
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
