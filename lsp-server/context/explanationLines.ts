// The line rules of an explanation's text, applied as it streams. A model that is not instruction-tuned loops (a
// YAML selection got ~40 identical lines up to the token limit) and walks out of a `#` comment into code; text a
// rule would cut is held back until the line decides, so what was streamed is always the final text's start.

/** Lines this short (trimmed) may repeat: ` *`, `#`, a blank. */
const MIN_REPEATED_LINE = 8;
/** A line's third appearance is a loop. */
const MAX_APPEARANCES = 2;

export class ExplanationLines {
  private text = '';
  private emitted = 0;
  /** Where the line being written starts in `text`. */
  private lineStart = 0;
  private readonly seen = new Map<string, number>();
  /** Lines seen MAX_APPEARANCES times: one more is a loop. */
  private readonly looping: string[] = [];
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
      if (this.leavesComment(line) || this.repeats(line)) return this.end(this.beforeLine());
      this.lineStart = newline + 1;
    }
    // A line that has left the comment ends the text before it is whole.
    if (this.leavesComment(this.text.slice(this.lineStart))) return this.end(this.beforeLine());
    return this.release(this.undecidedFrom());
  }

  /** The rest at the end of generation: a line still undecided is shown unless it is only whitespace. */
  flush(): string {
    if (this.ended) return '';
    const line = this.text.slice(this.lineStart);
    if (this.leavesComment(line)) return this.end(this.beforeLine());
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
    const lineHeld = this.lineStart > 0 && (line.trim() === '' || (this.linesStartWith !== undefined && line.trimStart().length < this.linesStartWith.length) || this.looping.some((l) => l.startsWith(line)));
    if (lineHeld) return Math.max(this.emitted, this.lineStart - 1);
    return Math.max(this.emitted, this.text.trimEnd().length);
  }

  private leavesComment(line: string): boolean {
    if (this.linesStartWith === undefined || this.lineStart === 0) return false;
    const start = line.trimStart();
    return start !== '' && !start.startsWith(this.linesStartWith);
  }

  private repeats(line: string): boolean {
    if (line.trim().length < MIN_REPEATED_LINE) return false;
    const count = (this.seen.get(line) ?? 0) + 1;
    this.seen.set(line, count);
    if (count === MAX_APPEARANCES) this.looping.push(line);
    return count > MAX_APPEARANCES;
  }
}
