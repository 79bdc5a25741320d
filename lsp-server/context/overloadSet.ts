// Overloads: the signatures of a function or method and the implementation below them are one declaration to a
// reader, so Explain documents them together. Cut to its first signature, the set was explained as that signature
// alone. TypeScript writes them as signatures (`function parse(input: string): Value;`), Python as stubs decorated
// with `@overload` (`typing.overload`), whose implementation is the def without it that replaces them at run time.
import { openBrackets, openLiteralAtEnd } from '../bracketScan';
import { jsDocSubject } from './jsDocSubject';

/** A variable holding a function is named `@function` too, but has no overloads. */
const VARIABLE = /^(?:(?:export|declare)\s+)*(?:const|let|var)\s/;
/** A Python def line: its indentation and the function's name. */
const PYTHON_DEF = /^([ \t]*)(?:async[ \t]+)?def[ \t]+([\p{L}_][\p{L}\p{N}_]*)/u;
/** `@overload`, `@typing.overload`, `@t.overload`. */
const OVERLOAD_DECORATOR = /^[ \t]*@(?:[\p{L}_][\p{L}\p{N}_]*\.)*overload[ \t]*(?:#.*)?$/u;
/** Lines before a Python def's own line: decorators, comments and blank lines. */
const ABOVE_DEF = /^[ \t]*(?:[@#]|$)/;
/** Lines read past a stub for the next def: its decorators and comments, not the file. */
const MAX_DECORATOR_LINES = 64;

/** A TypeScript decorator's name (`@memoize`, `@core.Memoize`), its arguments after it. */
const TS_DECORATOR = /^@[\p{ID_Start}_$][\p{ID_Continue}$\u200C\u200D]*(?:\.[\p{ID_Start}_$][\p{ID_Continue}$\u200C\u200D]*)*/u;

/**
 * Where the declaration that `code` starts with starts: after its decorators (`@memoize`, `@Throttle({ ms: 5 })` over
 * lines), comments and whitespace.
 */
function declarationStart(code: string): number {
  for (let at = 0; ; ) {
    at += code.slice(at).search(/\S|$/);
    const decorator = TS_DECORATOR.exec(code.slice(at));
    if (decorator !== null) {
      at += decorator[0].length;
      if (code[at] === '(') at = Math.min(code.length, closingParenthesis(code, at) + 1);
    } else if (code.startsWith('//', at)) at = lineEnd(code, at);
    else if (code.startsWith('/*', at) && code.includes('*/', at)) at = code.indexOf('*/', at) + 2;
    else return at;
  }
}

function lineEnd(code: string, at: number): number {
  const newline = code.indexOf('\n', at);
  return newline < 0 ? code.length : newline;
}

/** The `)` that closes the `(` at `open`, strings and comments skipped; the end of `code` when none does. */
function closingParenthesis(code: string, open: number): number {
  for (let at = code.indexOf(')', open); at >= 0; at = code.indexOf(')', at + 1)) {
    if (openBrackets(code.slice(open, at + 1), '//').length === 0) return at;
  }
  return code.length;
}

/**
 * `declaration` without the decorators (and comments) at its end, which belong to the declaration after it: `@memoize`
 * between an overload set's signatures and its implementation.
 */
function withoutTrailingDecorators(declaration: string): string {
  for (let at = 0; at < declaration.length; at = lineEnd(declaration, at) + 1) {
    const starts = /^[ \t]*(?:@|\/\/|\/\*)/.test(declaration.slice(at, lineEnd(declaration, at)));
    if (starts && at + declarationStart(declaration.slice(at)) === declaration.length) return declaration.slice(0, at);
  }
  return declaration;
}

/** `@function parse` or `@method get`: what `code` (after its comments and decorators) declares, where it can be overloaded. */
function overloadable(code: string): string | undefined {
  const subject = jsDocSubject(code);
  const line = code.split('\n').find((l) => l.trim() !== '' && !/^\s*(?:\/\/|\/\*|\*|@)/.test(l));
  return subject !== undefined && /^@(?:function|method) /.test(subject) && !VARIABLE.test(line!.trim()) ? subject : undefined;
}

/** `line` without the comment at its end (`get(key: string): V; // by name`); a `//` in a string stays. */
function withoutTrailingComment(line: string): string {
  for (let at = line.indexOf('/'); at >= 0; at = line.indexOf('/', at + 1)) {
    if ((line.startsWith('//', at) || line.startsWith('/*', at)) && openLiteralAtEnd(line.slice(0, at), '//') === undefined) return line.slice(0, at);
  }
  return line;
}

/** Whether `declaration` (whole lines) ends in a TypeScript signature's `;`, before any comment on its last line. */
function endsInSignature(declaration: string): boolean {
  const lines = declaration.trimEnd().split('\n');
  return withoutTrailingComment(lines[lines.length - 1]!).trimEnd().endsWith(';');
}

/** The defs of `lines` at the indentation of its first code line, a def's (the declaration's own), by line index. */
function pythonDefs(lines: readonly string[]): { at: number; indent: string; name: string }[] {
  const first = lines.find((l) => !ABOVE_DEF.test(l));
  const own = first === undefined ? null : PYTHON_DEF.exec(first);
  if (own === null) return [];
  const defs: { at: number; indent: string; name: string }[] = [];
  lines.forEach((line, at) => {
    const def = PYTHON_DEF.exec(line);
    if (def !== null && def[1] === own[1]) defs.push({ at, indent: def[1], name: def[2]! });
  });
  return defs;
}

/** Whether the decorator lines right above `lines[at]` hold `@overload`. */
function decoratedOverload(lines: readonly string[], at: number): boolean {
  for (let i = at - 1; i >= 0 && ABOVE_DEF.test(lines[i]!); i--) if (OVERLOAD_DECORATOR.test(lines[i]!)) return true;
  return false;
}

/**
 * Whether `rest`, which starts at a line that `declaration` (whole lines) does not indent, declares another signature,
 * or the implementation, of the function or method that `declaration` declares signatures of. TypeScript: the
 * declaration ends in a signature's `;` and `rest`'s first line declares that name. Python (`lineComment` `#`): the
 * declaration's last def is an `@overload` stub and `rest` (after its decorators) defines that name.
 */
export function continuesOverloads(declaration: string, rest: string, lineComment: string): boolean {
  if (lineComment === '#') {
    const lines = declaration.split('\n');
    const last = pythonDefs(lines).at(-1);
    if (last === undefined || !decoratedOverload(lines, last.at)) return false;
    const next = rest.split('\n', MAX_DECORATOR_LINES).find((l) => !ABOVE_DEF.test(l));
    const def = next === undefined ? null : PYTHON_DEF.exec(next);
    return def !== null && def[1] === last.indent && def[2] === last.name;
  }
  // The implementation's decorators stand between it and the signatures (a signature may have none).
  const signatures = withoutTrailingDecorators(declaration);
  if (!endsInSignature(signatures)) return false;
  const name = overloadable(signatures);
  const next = rest.slice(declarationStart(rest));
  return name !== undefined && overloadable(next.slice(0, lineEnd(next, 0))) === name;
}

/**
 * Where the last def of a Python overload set that `code` is (`@overload` stubs, then the implementation) starts, its
 * decorators included: the implementation, whose docstring Python reads (`help(f)`; the stubs are replaced by it).
 * 0 when `code` is no overload set.
 */
export function lastOverloadStart(code: string): number {
  const lines = code.split('\n');
  const defs = pythonDefs(lines);
  if (defs.length < 2 || !decoratedOverload(lines, defs[0]!.at)) return 0;
  let first = defs.at(-1)!.at;
  while (first > 0 && /^[ \t]*@/.test(lines[first - 1]!)) first--;
  return lines.slice(0, first).reduce((offset, line) => offset + line.length + 1, 0);
}
