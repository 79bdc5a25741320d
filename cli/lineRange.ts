// The range `explain <file>:<line>[-<line>]` sends: whole lines, as a selection from the first line's start to the
// last line's end. Pure, so the messages are testable.
import type { Range } from 'vscode-languageserver-protocol';
import { count } from './args';

/**
 * The 0-based range of lines `startLine` to `endLine` (1-based, inclusive) of `text`, or an error message when a line
 * is outside the file or the lines hold no code. Lines end at `\r\n`, `\r` or `\n`, as the editor and the server count
 * them.
 */
export function lineRangeOf(text: string, startLine: number, endLine: number): Range | string {
  const lines = text.split(/\r\n|\r|\n/);
  const past = [startLine, endLine].find((line) => line > lines.length);
  if (past !== undefined) return `line ${past} is past the end of the file (${count(lines.length, 'line')})`;
  const selected = lines.slice(startLine - 1, endLine);
  if (selected.every((line) => line.trim() === '')) {
    return `${startLine === endLine ? `line ${startLine} is blank` : `lines ${startLine}-${endLine} are blank`}: name lines that hold code`;
  }
  return { start: { line: startLine - 1, character: 0 }, end: { line: endLine - 1, character: selected.at(-1)!.length } };
}
