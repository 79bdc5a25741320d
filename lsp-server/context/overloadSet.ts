// TypeScript's overloads: the signatures of a function or method (`function parse(input: string): Value;`) and the
// implementation below them are one declaration to a reader, so Explain documents them together. Cut to its first
// signature, the set was explained as that signature alone.
import { jsDocSubject } from './jsDocSubject';

/** A variable holding a function is named `@function` too, but has no overloads. */
const VARIABLE = /^(?:(?:export|declare)\s+)*(?:const|let|var)\s/;

/** `@function parse` or `@method get`: what `code` (after its comments and decorators) declares, where it can be overloaded. */
function overloadable(code: string): string | undefined {
  const subject = jsDocSubject(code);
  const line = code.split('\n').find((l) => l.trim() !== '' && !/^\s*(?:\/\/|\/\*|\*|@)/.test(l));
  return subject !== undefined && /^@(?:function|method) /.test(subject) && !VARIABLE.test(line!.trim()) ? subject : undefined;
}

/**
 * Whether `line` declares another signature, or the implementation, of the function or method that `declaration`
 * (whole lines) declares signatures of: the declaration ends in a signature's `;` and both have one name.
 */
export function continuesOverloads(declaration: string, line: string): boolean {
  if (!declaration.trimEnd().endsWith(';')) return false;
  const name = overloadable(declaration);
  return name !== undefined && overloadable(line) === name;
}
