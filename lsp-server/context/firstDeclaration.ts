// The first declaration of a selection that holds several (two functions, a function and the constant below it).
// Explain documents the declaration the selection starts with (JavaScript's tag line names it), and the code of the
// others in its prompt is a neighbour's: given a selection of `area` and the documented `perimeter` below it, the
// embedded model wrote `perimeter`'s docstring for `area`, in Python and TypeScript alike.
import { openBrackets, openLiteralAtEnd } from '../bracketScan';
import { continuesOverloads } from './overloadSet';

/** Lines before a declaration's own first line: decorators and comments. */
const LEADING_LINE = /^(?:@|\/\/|\/\*|\*|#)/;
/** A line that goes on with the statement above it: a closing bracket (`}`, `) -> int:`) or a chained call. */
const CONTINUATION = /^[)\]}.]/;

function indentOf(line: string): number {
  return /^[ \t]*/.exec(line)![0].length;
}

/**
 * `code` up to the end of the declaration it starts with: before the first code line after the declaration's first
 * line that is indented no deeper than it, outside brackets, strings and comments, and does not go on with the
 * statement above or with its overloads (`overloadSet.ts`), and before the comment and blank lines just above that
 * line. Comment lines that shallow with body lines below them are the body's (a `# TODO` at column 0 in a Python
 * function); those at the end go. All of `code` when no line ends it. `lineComment`: the language's comment marker.
 */
export function firstDeclaration(code: string, lineComment: string): string {
  let indent: number | undefined;
  let continued = false;
  /** Where the comment lines no deeper than the declaration, since its last code line, start. */
  let comments: number | undefined;
  for (let start = 0; start < code.length; ) {
    const newline = code.indexOf('\n', start);
    const end = newline < 0 ? code.length : newline + 1;
    const line = code.slice(start, end).replace(/\r?\n$/, '');
    const text = line.trim();
    // Outside a string, a comment and brackets (a decorator's arguments, a parameter list).
    const outside = () => openLiteralAtEnd(code.slice(0, start), lineComment) === undefined && openBrackets(code.slice(0, start), lineComment).length === 0;
    if (text !== '' && indent === undefined && !LEADING_LINE.test(text) && !CONTINUATION.test(text) && outside()) indent = indentOf(line);
    else if (text !== '' && indent !== undefined && !continued) {
      const comment = text.startsWith(lineComment) || text.startsWith('/*');
      if (indentOf(line) > indent) {
        // Code of the body below comment lines no deeper than the declaration: they were the body's too.
        if (!comment && comments !== undefined && outside()) comments = undefined;
      } else if (outside()) {
        if (comment) comments ??= start;
        else if (CONTINUATION.test(text) || continuesOverloads(code.slice(0, comments ?? start), code.slice(start), lineComment)) comments = undefined;
        else return cutAt(code, comments ?? start);
      }
    }
    if (text !== '') continued = line.endsWith('\\');
    start = end;
  }
  return comments === undefined ? code : cutAt(code, comments);
}

/** `code` before `offset`, without the blank lines at its end. */
function cutAt(code: string, offset: number): string {
  return code.slice(0, offset).replace(/\n[ \t\r\n]*$/, '\n');
}
