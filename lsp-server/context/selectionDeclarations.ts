// The declarations of a selection, each explained on its own. A doc-comment prompt documents one declaration (its
// code alone: firstDeclaration.ts), so a selection of two functions, or of a whole file, was explained as its first
// declaration under a heading that named all of it. Python and JavaScript/TypeScript, whose prompts cut there.
import { JSDOC_LANGUAGES, type ExplainInput } from './explainPrompt';
import { firstDeclaration } from './firstDeclaration';
import { jsDocSubject } from './jsDocSubject';
import { firstLines, lastLines } from './textWindow';

/** Declarations explained from one selection at most: each is a model run (0.2-1 s on the embedded model). */
export const MAX_EXPLAINED_DECLARATIONS = 5;

/** Lines a declaration's first code line is looked for in, past its comments and decorators. */
const HEAD_LINES = 64;
/** A Python `def` or `class` statement's first line, after its decorators. */
const PYTHON_DECLARATION = /^(?:[ \t]*(?:@[^\n]*|#[^\n]*)?\n)*[ \t]*(?:async[ \t]+def|def|class)\b/;

export interface SelectionDeclarations {
  /** Each declaration as the input of its own prompt (the code before it its `before`); the selection alone when it holds one or none. */
  parts: ExplainInput[];
  /** Declarations of the selection past the last part, not explained. */
  unexplained: number;
}

/**
 * The selection's declarations, up to MAX_EXPLAINED_DECLARATIONS. Statements between them are left out (they go into
 * the next one's `before`); a selection that does not start with a declaration is explained whole, as before.
 */
export function selectionDeclarations(input: ExplainInput): SelectionDeclarations {
  const marker = input.languageId === 'python' ? '#' : JSDOC_LANGUAGES.has(input.languageId) ? '//' : undefined;
  const whole = { parts: [input], unexplained: 0 };
  if (marker === undefined) return whole;
  const { selection } = input;
  const parts: ExplainInput[] = [];
  let unexplained = 0;
  // The first line's text before the selection belongs to its statement (a selection from mid-line); later
  // declarations start on a line of their own.
  let lineTail = lastLines(input.before, 1, Infinity);
  // Offsets into the selection, never the text itself joined or trimmed at each declaration: a 258 KB file's took 3 s.
  let at = 0;
  while (/\S/.test(selection.slice(at))) {
    const head = lineTail + firstLines(selection.slice(at, at + HEAD_LINES * 400), HEAD_LINES, HEAD_LINES * 400);
    const declares = marker === '#' ? PYTHON_DECLARATION.test(head) : jsDocSubject(head) !== undefined;
    if (!declares && parts.length === 0) return whole;
    const length = Math.max(1, declarationLength(selection, at, lineTail, marker));
    if (declares) {
      if (parts.length < MAX_EXPLAINED_DECLARATIONS) parts.push({ ...input, before: input.before + selection.slice(0, at), selection: selection.slice(at, at + length), after: selection.slice(at + length) + input.after });
      else unexplained++;
    }
    at += length;
    lineTail = '';
    // Blank lines before the next declaration go with the code above it.
    at += /^(?:[ \t]*\r?\n)*/.exec(selection.slice(at, at + 4096))![0].length;
  }
  return parts.length <= 1 && unexplained === 0 ? whole : { parts, unexplained };
}

/**
 * The length of the declaration at `at` in `selection`, read from a window that grows until the declaration ends
 * inside it: the rest of a whole file, read at each of its declarations, made the split quadratic.
 */
function declarationLength(selection: string, at: number, lineTail: string, marker: string): number {
  for (let window = 65_536; ; window *= 4) {
    const code = selection.slice(at, at + window);
    const declaration = firstDeclaration(lineTail + code, marker).length - lineTail.length;
    if (declaration < code.length || at + window >= selection.length) return declaration;
  }
}

/**
 * A part's heading: its declaration's first code line (after decorators and comments, with the text before the
 * selection on that line) as a Markdown code span, fenced by more backticks than the line holds in a row.
 */
export function declarationHeading(part: ExplainInput): string {
  const lineTail = lastLines(part.before, 1, Infinity);
  const code = lineTail + firstLines(part.selection, HEAD_LINES, HEAD_LINES * 400);
  const line = code
    .split('\n')
    .map((text) => text.trim())
    .find((text) => text !== '' && !/^(?:@|\/\/|\/\*|\*|#)/.test(text)) ?? code.trim();
  const fence = '`'.repeat(Math.max(0, ...[...line.matchAll(/`+/g)].map((run) => run[0].length)) + 1);
  // A span that starts or ends with a backtick needs a space inside its fence.
  const pad = line.startsWith('`') || line.endsWith('`') ? ' ' : '';
  return `## ${fence}${pad}${line}${pad}${fence}`;
}
