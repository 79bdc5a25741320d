// What post-processing needs to know about the text around the cursor; built once per request.
import { detectIndentStyle, type IndentStyle } from './indentation';
import { asModelText, lineEndingOf, type LineEnding } from './modelText';

export interface CursorContext {
  languageId: string;
  /** Document text before the cursor, as the model reads it (LF line ends, no byte-order mark: modelText.ts). */
  prefix: string;
  /** Document text after the cursor, the same way. */
  suffix: string;
  /** Text of the cursor's line before the cursor (no line break). */
  linePrefix: string;
  /** Text of the cursor's line after the cursor (no line break). */
  lineSuffix: string;
  /** Lines after the cursor's line, at most {@link FOLLOWING_LINES} of them. */
  followingLines: string[];
  /** The document's indentation, when it shows one. */
  indent: IndentStyle | undefined;
  /** The document's line ending, which completions are given back. */
  eol: LineEnding;
}

const FOLLOWING_LINES = 20;

export function cursorContext(text: string, offset: number, languageId: string): CursorContext {
  const prefix = asModelText(text.slice(0, offset), true);
  const suffix = asModelText(text.slice(offset), offset === 0);
  const lineStart = prefix.lastIndexOf('\n') + 1;
  const lineEnd = suffix.indexOf('\n');
  const restOfLine = lineEnd === -1 ? suffix : suffix.slice(0, lineEnd);
  const following = lineEnd === -1 ? [] : suffix.slice(lineEnd + 1).split('\n', FOLLOWING_LINES + 1).slice(0, FOLLOWING_LINES);
  return {
    languageId,
    prefix,
    suffix,
    linePrefix: prefix.slice(lineStart),
    lineSuffix: restOfLine,
    followingLines: following,
    indent: detectIndentStyle(text),
    eol: lineEndingOf(text),
  };
}
