// What a JavaScript or TypeScript declaration is, as the JSDoc tag that names it (`@function debounce`,
// `@class Stack`): the doc-comment prompt states it before the description it asks for.

const MODIFIERS = /^(?:(?:export|default|declare|abstract|public|private|protected|static|readonly|override|async)\s+)*/;
/** Words that start a statement, not a method (`if (` looks like a call). */
const STATEMENTS = new Set(['if', 'for', 'while', 'switch', 'catch', 'return', 'function', 'new', 'await', 'typeof', 'super', 'this']);
/** An identifier, in any script (`größeBerechnen`, `π`): ECMAScript's ID_Start and ID_Continue, with `$`. */
const NAME = String.raw`[\p{ID_Start}_$][\p{ID_Continue}$\u200C\u200D]*`;
const KEYWORD_DECLARATION = new RegExp(`^(class|interface|type|enum|function\\s*\\*?|const\\s+enum)\\s+(${NAME})`, 'u');
const VARIABLE = new RegExp(`^(?:const|let|var)\\s+(${NAME})\\s*(?::[^=]*)?=\\s*(.*)$`, 'u');
const ACCESSOR = new RegExp(`^(?:get|set)\\s+(${NAME})\\s*\\(`, 'u');
const METHOD = new RegExp(`^\\*?\\s*(${NAME})\\s*(?:<[^>]*>)?\\s*\\(`, 'u');
const KEYWORD_TAGS: Readonly<Record<string, string>> = { class: '@class', interface: '@interface', type: '@typedef', enum: '@enum', function: '@function' };

/** The tag and name of the declaration that `code` starts with (after blank, comment and decorator lines), if it is one. */
export function jsDocSubject(code: string): string | undefined {
  const line = code
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !/^(\/\/|\/\*|\*|@)/.test(l));
  if (line === undefined) return undefined;
  const rest = line.replace(MODIFIERS, '');
  const keyword = KEYWORD_DECLARATION.exec(rest);
  if (keyword !== null) return `${KEYWORD_TAGS[keyword[1]!.replace(/^const\s+|\s*\*$/g, '')]!} ${keyword[2]!}`;
  const variable = VARIABLE.exec(rest);
  if (variable !== null) return `${/=>|\bfunction\b/.test(variable[2]!) ? '@function' : '@constant'} ${variable[1]!}`;
  const accessor = ACCESSOR.exec(rest);
  if (accessor !== null) return `@member ${accessor[1]!}`;
  const method = METHOD.exec(rest);
  if (method !== null && !STATEMENTS.has(method[1]!)) return `@method ${method[1]!}`;
  return undefined;
}
