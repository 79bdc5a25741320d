// An open document as the server keeps it: an array of lines, so an edit costs the lines it touches, not the whole
// text. vscode-languageserver-textdocument keeps one string and rebuilds it per change; the next read flattens that
// copy (~85 ms a keystroke on a 20 MB file). Here, as in VS Code's extension host, line starts are summed lazily from
// the first changed line, and the whole text is joined only when asked. A text read since the last change is edited
// along with the lines instead (three O(1) string pieces, copied when next read), since its reader reads it per
// keystroke; an unread one is dropped, so the text of a document too large to complete is never copied per keystroke.
import type { Position, Range, TextDocument, TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';

const CR = 13;
const LF = 10;
/** More inserted lines than this go in with `concat`: `splice` takes them as arguments, and the stack holds only so many. */
const MAX_SPLICED_LINES = 10_000;

function isLineBreak(code: number): boolean {
  return code === CR || code === LF;
}

/** `text` cut after each line break (`\r\n`, `\r`, `\n`), breaks kept; the last piece has none and may be empty. */
function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!isLineBreak(code)) continue;
    if (code === CR && text.charCodeAt(i + 1) === LF) i++;
    lines.push(text.slice(start, i + 1));
    start = i + 1;
  }
  lines.push(text.slice(start));
  return lines;
}

/** `character` moved back before any line-break characters that precede it in `line`. */
function beforeBreak(line: string, character: number): number {
  while (character > 0 && isLineBreak(line.charCodeAt(character - 1))) character--;
  return character;
}

/** A position clamped into the document: a line index that exists and a character inside that line. */
interface Place {
  line: number;
  character: number;
}

type IncrementalChange = { range: Range; rangeLength?: number; text: string };

// The library's own tests of a change's shape, so that the same events are taken, and refused; but `null` for a
// field is taken as its absence (the library refused `rangeLength: null`, and the rest of that message was lost).
function isIncremental(change: TextDocumentContentChangeEvent): change is IncrementalChange {
  const candidate = change as { text?: unknown; range?: Range | null; rangeLength?: unknown } | null | undefined;
  return candidate !== undefined && candidate !== null && typeof candidate.text === 'string' && candidate.range != null && (candidate.rangeLength == null || typeof candidate.rangeLength === 'number');
}

function isFull(change: TextDocumentContentChangeEvent): change is { text: string } {
  const candidate = change as { text?: unknown; range?: unknown; rangeLength?: unknown } | null | undefined;
  return candidate !== undefined && candidate !== null && typeof candidate.text === 'string' && candidate.range == null && candidate.rangeLength == null;
}

function wellformed(range: Range): Range {
  const { start, end } = range;
  return start.line > end.line || (start.line === end.line && start.character > end.character) ? { start: end, end: start } : range;
}

/**
 * vscode-languageserver-textdocument's `TextDocument`, with its semantics: a character past a line's end is the end
 * (before the line break), a line past the last is the text's end, negative values are 0. Two differences, where the
 * library's lines are not the editor's: an edit that puts a `\r` and a `\n` side by side makes them one break (`\r\n`),
 * as the editor counts it (the library kept two, and every later position landed a line off); and a change starting
 * past the last line is applied at the end, where the library can leave holes in its line table.
 */
export class LineArrayDocument implements TextDocument {
  /** Each line with its break; the last line has none and may be empty. */
  private lines: string[] = [];
  /** Offsets of the lines' starts, valid below `validStarts`. */
  private starts: number[] = [0];
  private validStarts = 1;
  private textLength = 0;
  /** The joined text, if known. */
  private text: string | undefined;
  /** Whether `text` was read since the last change: only then is it edited along with the lines. */
  private textRead = false;

  constructor(
    readonly uri: string,
    readonly languageId: string,
    private currentVersion: number,
    content: string,
  ) {
    this.reset(content);
  }

  get version(): number {
    return this.currentVersion;
  }

  get lineCount(): number {
    return this.lines.length;
  }

  /** Characters (UTF-16 code units) in the text, without joining it. */
  get length(): number {
    return this.textLength;
  }

  getText(range?: Range): string {
    if (range === undefined) {
      this.textRead = true;
      return (this.text ??= this.lines.join(''));
    }
    const a = this.place(range.start);
    const b = this.place(range.end);
    // The library's substring: ends the wrong way round still name the text between them.
    const [from, to] = a.line < b.line || (a.line === b.line && a.character <= b.character) ? [a, b] : [b, a];
    if (from.line === to.line) return this.lines[from.line].slice(from.character, to.character);
    const parts = [this.lines[from.line].slice(from.character)];
    for (let line = from.line + 1; line < to.line; line++) parts.push(this.lines[line]);
    parts.push(this.lines[to.line].slice(0, to.character));
    return parts.join('');
  }

  offsetAt(position: Position): number {
    // The text's end, without summing every line's start to reach it.
    if (position.line >= this.lines.length) return this.textLength;
    const { line, character } = this.place(position);
    return this.startOf(line) + character;
  }

  positionAt(offset: number): Position {
    const clamped = Math.max(Math.min(offset, this.textLength), 0);
    const line = this.lineAt(clamped);
    return { line, character: beforeBreak(this.lines[line], clamped - this.starts[line]) };
  }

  getLineRange(line: number): Range {
    if (line < 0) return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const last = this.lines.length - 1;
    // Past the last line: the last line, whole.
    if (line > last) return { start: { line: last, character: 0 }, end: { line: last, character: this.lines[last].length } };
    const text = this.lines[line];
    return { start: { line, character: 0 }, end: { line, character: beforeBreak(text, text.length) } };
  }

  getEOLCharacters(line: number): string {
    const text = this.lines[line];
    return line < 0 || text === undefined ? '' : text.slice(beforeBreak(text, text.length));
  }

  /** Applies the client's changes in order (as `TextDocument.update` does) and takes its version. */
  update(changes: readonly TextDocumentContentChangeEvent[], version: number): this {
    if (!this.textRead) this.text = undefined;
    this.textRead = false;
    for (const change of changes) {
      if (isIncremental(change)) this.replace(wellformed(change.range), change.text);
      else if (isFull(change)) this.reset(change.text);
      else throw new Error('Unknown change event received');
    }
    this.currentVersion = version;
    return this;
  }

  private reset(content: string): void {
    this.lines = splitLines(content);
    this.starts = [0];
    this.validStarts = 1;
    this.textLength = content.length;
    this.text = content;
  }

  private replace(range: Range, inserted: string): void {
    const start = this.place(range.start);
    const end = this.place(range.end);
    if (this.text !== undefined) this.text = this.text.slice(0, this.startOf(start.line) + start.character) + inserted + this.text.slice(this.startOf(end.line) + end.character);
    const { lines } = this;
    const first = lines[start.line];
    const last = lines[end.line];
    let removed = end.character - start.character;
    for (let line = start.line; line < end.line; line++) removed += lines[line].length;
    const replacement = splitLines(inserted);
    replacement[0] = first.slice(0, start.character) + replacement[0];
    replacement[replacement.length - 1] += last.slice(end.character);
    const count = end.line - start.line + 1;
    if (replacement.length === count) {
      for (let i = 0; i < count; i++) lines[start.line + i] = replacement[i];
    } else if (replacement.length <= MAX_SPLICED_LINES) {
      lines.splice(start.line, count, ...replacement);
    } else {
      this.lines = lines.slice(0, start.line).concat(replacement, lines.slice(end.line + 1));
    }
    this.validStarts = Math.min(this.validStarts, start.line + 1);
    this.joinSplitBreaks(Math.max(0, start.line - 1), start.line + replacement.length);
    if (this.starts.length > this.lines.length) this.starts.length = this.lines.length;
    this.textLength += inserted.length - removed;
  }

  /**
   * Between lines `from` and `to`, a line ending in `\r` followed by a line that is only `\n` becomes one line ending
   * in `\r\n`. Breaks are cut from each piece of text alone, so an edit next to a `\r` or a `\n` can leave them apart.
   */
  private joinSplitBreaks(from: number, to: number): void {
    const { lines } = this;
    for (let line = Math.min(to, lines.length - 1); line > from; line--) {
      if (lines[line] !== '\n' || lines[line - 1]!.charCodeAt(lines[line - 1]!.length - 1) !== CR) continue;
      lines[line - 1] += '\n';
      lines.splice(line, 1);
      this.validStarts = Math.min(this.validStarts, line);
    }
  }

  /** Where the library's `offsetAt` puts `position`, as a line and a character in it. */
  private place(position: Position): Place {
    const last = this.lines.length - 1;
    if (position.line > last) return { line: last, character: this.lines[last].length };
    if (position.line < 0 || position.character <= 0) return { line: Math.max(position.line, 0), character: 0 };
    const text = this.lines[position.line];
    return { line: position.line, character: beforeBreak(text, Math.min(position.character, text.length)) };
  }

  private startOf(line: number): number {
    const { lines, starts } = this;
    let valid = this.validStarts;
    for (; valid <= line; valid++) starts[valid] = starts[valid - 1] + lines[valid - 1].length;
    this.validStarts = valid;
    return starts[line];
  }

  /** The last line starting at or before `offset`; line starts are summed only as far as that line. */
  private lineAt(offset: number): number {
    const { lines, starts } = this;
    let valid = this.validStarts;
    for (; valid < lines.length && starts[valid - 1] <= offset; valid++) starts[valid] = starts[valid - 1] + lines[valid - 1].length;
    this.validStarts = valid;
    let low = 0;
    let high = valid;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (starts[mid] > offset) high = mid;
      else low = mid + 1;
    }
    return low - 1;
  }
}
