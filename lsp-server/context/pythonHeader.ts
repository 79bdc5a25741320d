// Where a Python `def` or `class` statement's header ends, which is where its docstring goes: after the line that
// closes its brackets (`def f(\n    a: int,\n) -> int:`), not after its first line, which put the docstring inside
// the parameter list.
import { openBrackets, openLiteralAtEnd } from '../bracketScan';

/** Decorator lines, then the statement's first line (`@property` above: the docstring still goes under the def). */
const DEF_LINE = /^((?:[ \t]*@[^\n]*\n)*)([ \t]*)(async\s+def|def|class)\b[^\n]*\n/;

export interface PythonHeader {
  /** The decorators and the statement's header, through the newline of its last line. */
  header: string;
  /** The statement's indentation, and its body's. */
  indent: string;
  bodyIndent: string;
}

/**
 * The header of the `def` or `class` statement that `code` starts with (after its decorators), if it does. A header
 * whose brackets `code` never closes is its first line. The body's indentation is its first line's, or four spaces
 * more than the statement's where that line is not indented deeper.
 */
export function pythonHeader(code: string): PythonHeader | undefined {
  const first = DEF_LINE.exec(code);
  if (first === null) return undefined;
  const indent = first[2]!;
  const statement = first[1]!.length;
  let end = first[0].length;
  while (!closes(code.slice(statement, end))) {
    const next = code.indexOf('\n', end);
    if (next < 0) {
      end = first[0].length;
      break;
    }
    end = next + 1;
  }
  const bodyLine = /^(?:[ \t]*\r?\n)*([ \t]*)\S/.exec(code.slice(end));
  const deeper = bodyLine !== null && bodyLine[1]!.length > indent.length && bodyLine[1]!.startsWith(indent);
  return { header: code.slice(0, end), indent, bodyIndent: deeper ? bodyLine[1]! : `${indent}    ` };
}

/** Whether `statement` (whole lines) is a finished header: its brackets and strings closed, no `\` going on. */
function closes(statement: string): boolean {
  return openBrackets(statement, '#').length === 0 && openLiteralAtEnd(statement, '#') === undefined && !/\\\r?\n$/.test(statement);
}
