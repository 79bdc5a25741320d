// The first declaration of a selection that holds several (two functions, a function and the constant below it).
// Explain documents the declaration the selection starts with (JavaScript's tag line names it), and the code of the
// others in its prompt is a neighbour's: given a selection of `area` and the documented `perimeter` below it, the
// embedded model wrote `perimeter`'s docstring for `area`, in Python and TypeScript alike.
import { openBrackets, openLiteralAtEnd } from '../bracketScan';

/** Lines before a declaration's own first line: decorators and comments. */
const LEADING_LINE = /^(?:@|\/\/|\/\*|\*|#)/;
/** A line that goes on with the statement above it: a closing bracket (`}`, `) -> int:`) or a chained call. */
const CONTINUATION = /^[)\]}.]/;

function indentOf(line: string): number {
  return /^[ \t]*/.exec(line)![0].length;
}

/**
 * `code` up to the end of the declaration it starts with: before the first line after the declaration's first line
 * that is indented no deeper than it, outside brackets, strings and comments, and does not go on with the statement
 * above (blank lines before it go too). All of `code` when no line is. `lineComment`: the language's comment marker.
 */
export function firstDeclaration(code: string, lineComment: string): string {
  let indent: number | undefined;
  let continued = false;
  for (let start = 0; start < code.length; ) {
    const newline = code.indexOf('\n', start);
    const end = newline < 0 ? code.length : newline + 1;
    const line = code.slice(start, end).replace(/\r?\n$/, '');
    const text = line.trim();
    // Outside a string, a comment and brackets (a decorator's arguments, a parameter list).
    const outside = () => openLiteralAtEnd(code.slice(0, start), lineComment) === undefined && openBrackets(code.slice(0, start), lineComment).length === 0;
    if (text !== '' && indent === undefined && !LEADING_LINE.test(text) && !CONTINUATION.test(text) && outside()) indent = indentOf(line);
    else if (text !== '' && indent !== undefined && !continued && indentOf(line) <= indent && !CONTINUATION.test(text) && outside()) {
      return code.slice(0, start).replace(/\n[ \t\r\n]*$/, '\n');
    }
    if (text !== '') continued = line.endsWith('\\');
    start = end;
  }
  return code;
}
