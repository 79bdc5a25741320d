// A block completion that ends inside a docstring or block comment it opened (the model stopped there, the time limit
// or the token cap cut it, or a loop of its lines was cut) would make the rest of the file a string or a comment once
// accepted: 15 of 150 held-out Python blocks did. It is closed on a line of its own at the indentation of the line
// that opened it (a comment's ` */` under its `/**`'s `*`); a one-line completion's on its line.
import { BLOCK_COMMENT_END, isTripleQuoted, literalEnd, openLiteralAtEnd, openLiteralStart, type OpenLiteral } from './bracketScan';
import type { CursorContext } from './cursorContext';

/** Languages with C's block and line comments, as bracketScan.ts reads them with `//`. */
const BLOCK_COMMENT_LANGUAGES = new Set(['javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'java', 'c', 'cpp', 'csharp', 'go', 'rust', 'kotlin', 'swift', 'php', 'scala', 'dart']);

/**
 * `text` with the docstring or block comment it leaves open closed. `onItsLine`: a completion of one line (in the
 * middle of a body) closes it on that line, and one that ends with a bare opener (`/**`, `query = """`) is no
 * completion ('').
 */
export function closeOpenDocstring(text: string, ctx: CursorContext, onItsLine = false): string {
  if (ctx.languageId === 'python') return closeOpenLiteral(text, ctx, onItsLine, '#', isTripleQuoted, (quote) => quote);
  if (BLOCK_COMMENT_LANGUAGES.has(ctx.languageId)) return closeOpenLiteral(text, ctx, onItsLine, '//', (open) => open === BLOCK_COMMENT_END, () => ` ${BLOCK_COMMENT_END}`);
  return text;
}

function closeOpenLiteral(
  text: string,
  ctx: CursorContext,
  onItsLine: boolean,
  lineComment: string,
  closes: (open: OpenLiteral | undefined) => open is OpenLiteral,
  closer: (open: OpenLiteral) => string,
): string {
  // Read as code (strings and comments known): a `"""` in a comment or in a one-line string is no docstring. Only a
  // text that seems to end in one is read again from the literal the cursor is in (the prefix read whole costs ~24 ms
  // at 1 MiB): a completion inside the document's own docstring or comment leaves it to that one's closer.
  const fromOutside = openLiteralAtEnd(text, lineComment);
  if (!closes(fromOutside)) return text;
  const atCursor = openLiteralAtEnd(ctx.prefix, lineComment);
  if (atCursor !== undefined && literalEnd(text, atCursor) === -1) return text;
  const literal = openLiteralStart(text, lineComment, atCursor);
  if (literal === undefined || !closes(literal.open) || literal.at < 0) return text;
  const { open, at: opened } = literal;
  if (onItsLine) {
    // Nothing said past the opener (`/**`, `sql = f"""`), or a line continued (`"""\`): nothing to show, as the
    // code before the opener alone (`sql = f`) is no line either.
    const said = text.slice(opened).replace(/^(?:\/\*+|"{3}|'{3})/, '').trim();
    return said === '' || text.trimEnd().endsWith('\\') ? '' : `${text.trimEnd()}${closer(open)}`;
  }
  const lineStart = text.lastIndexOf('\n', opened) + 1;
  const openingLine = lineStart === 0 ? ctx.linePrefix : text.slice(lineStart, opened);
  return `${text}\n${/^[ \t]*/.exec(openingLine)![0]}${closer(open)}`;
}
