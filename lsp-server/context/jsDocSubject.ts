// What a JavaScript or TypeScript declaration is, as the JSDoc tag that names it (`@function debounce`,
// `@class Stack`): the doc-comment prompt states it before the description it asks for.

const MODIFIERS = /^(?:(?:export|default|declare|abstract|public|private|protected|static|readonly|override|async)\s+)*/;
/** Words that start a statement, not a method (`if (` looks like a call). */
const STATEMENTS = new Set(['if', 'for', 'while', 'switch', 'catch', 'return', 'function', 'new', 'await', 'typeof', 'super', 'this']);
const KEYWORD_TAGS: Readonly<Record<string, string>> = { class: '@class', interface: '@interface', type: '@typedef', enum: '@enum', function: '@function' };

/** The tag and name of the declaration that `code` starts with (after blank, comment and decorator lines), if it is one. */
export function jsDocSubject(code: string): string | undefined {
  const line = code
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !/^(\/\/|\/\*|\*|@)/.test(l));
  if (line === undefined) return undefined;
  const rest = line.replace(MODIFIERS, '');
  const keyword = /^(class|interface|type|enum|function\s*\*?|const\s+enum)\s+([A-Za-z_$][\w$]*)/.exec(rest);
  if (keyword !== null) return `${KEYWORD_TAGS[keyword[1]!.replace(/^const\s+|\s*\*$/g, '')]!} ${keyword[2]!}`;
  const variable = /^(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]*)?=\s*(.*)$/.exec(rest);
  if (variable !== null) return `${/=>|\bfunction\b/.test(variable[2]!) ? '@function' : '@constant'} ${variable[1]!}`;
  const accessor = /^(?:get|set)\s+([A-Za-z_$][\w$]*)\s*\(/.exec(rest);
  if (accessor !== null) return `@member ${accessor[1]!}`;
  const method = /^\*?\s*([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\(/.exec(rest);
  if (method !== null && !STATEMENTS.has(method[1]!)) return `@method ${method[1]!}`;
  return undefined;
}
