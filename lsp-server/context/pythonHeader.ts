// Where a Python `def` or `class` statement's header ends, which is where its docstring goes: after the line that
// closes its brackets (`def f(\n    a: int,\n) -> int:`), not after its first line, which put the docstring inside
// the parameter list; and at its `:` where the body follows on the same line (`def f(x): return x * 2`), which a
// docstring under the line made invalid Python.
import { openBrackets, openLiteralAtEnd } from '../bracketScan';

/** Decorator lines, then the statement's first line (`@property` above: the docstring still goes under the def). */
const DEF_LINE = /^((?:[ \t]*@[^\n]*\n)*)([ \t]*)(async\s+def|def|class)\b[^\n]*(?:\n|$)/;

export interface PythonHeader {
  /** The decorators and the statement's header through its `:`, ending in a line break. */
  header: string;
  /** Where the statement's body starts in the code: the line after the header, or the code after its `:` on its line. */
  bodyStart: number;
  /** Whether the body starts on the header's line (`class A: pass`): it goes on a line of its own, below the docstring. */
  bodyOnHeaderLine: boolean;
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
  const colon = headerColon(code.slice(statement, end));
  if (colon !== undefined) {
    // Code after the `:`, not a comment: a body on the header's line, so no line below is indented deeper.
    const afterColon = statement + colon + 1;
    const onLine = /^[ \t]*(?=[^\s#])/.exec(code.slice(afterColon, end));
    if (onLine !== null) return { header: `${code.slice(0, afterColon)}\n`, bodyStart: afterColon + onLine[0].length, bodyOnHeaderLine: true, indent, bodyIndent: `${indent}    ` };
  }
  const bodyLine = /^(?:[ \t]*\r?\n)*([ \t]*)\S/.exec(code.slice(end));
  const deeper = bodyLine !== null && bodyLine[1]!.length > indent.length && bodyLine[1]!.startsWith(indent);
  const header = code.slice(0, end);
  return { header: header.endsWith('\n') ? header : `${header}\n`, bodyStart: end, bodyOnHeaderLine: false, indent, bodyIndent: deeper ? bodyLine[1]! : `${indent}    ` };
}

/** Whether `statement` (whole lines) is a finished header: its brackets and strings closed, no `\` going on. */
function closes(statement: string): boolean {
  return openBrackets(statement, '#').length === 0 && openLiteralAtEnd(statement, '#') === undefined && !/\\\r?\n$/.test(statement);
}

/** The offset of the `:` that ends the header `statement` starts with: the first outside brackets, strings and comments. */
function headerColon(statement: string): number | undefined {
  for (let at = statement.indexOf(':'); at >= 0; at = statement.indexOf(':', at + 1)) {
    const before = statement.slice(0, at);
    if (openBrackets(before, '#').length === 0 && openLiteralAtEnd(before, '#') === undefined) return at;
  }
  return undefined;
}
