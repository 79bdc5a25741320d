// The declarations of a selection, each explained on its own. A doc-comment prompt documents one declaration (its
// code alone: firstDeclaration.ts), so a selection of two functions, or of a whole file, was explained as its first
// declaration under a heading that named all of it. Python and JavaScript/TypeScript, whose prompts cut there.
import type { ExplainInput } from './explainPrompt';
import { firstDeclaration } from './firstDeclaration';
import { jsDocSubject } from './jsDocSubject';

/** Declarations explained from one selection at most: each is a model run (0.2-1 s on the embedded model). */
export const MAX_EXPLAINED_DECLARATIONS = 5;

const JSDOC_LANGUAGES = new Set(['javascript', 'typescript', 'javascriptreact', 'typescriptreact']);
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
  const parts: ExplainInput[] = [];
  let unexplained = 0;
  let before = input.before;
  let rest = input.selection;
  while (rest.trim() !== '') {
    // The first line's text before the selection belongs to its statement (a selection from mid-line).
    const lineTail = before.slice(before.lastIndexOf('\n') + 1);
    const code = lineTail + rest;
    const declares = marker === '#' ? PYTHON_DECLARATION.test(code) : jsDocSubject(code) !== undefined;
    if (!declares && parts.length === 0) return whole;
    const length = Math.max(1, firstDeclaration(code, marker).length - lineTail.length);
    const own = rest.slice(0, length);
    if (declares) {
      if (parts.length < MAX_EXPLAINED_DECLARATIONS) parts.push({ ...input, before, selection: own, after: rest.slice(length) + input.after });
      else unexplained++;
    }
    before += own;
    rest = rest.slice(length);
    // Blank lines before the next declaration go with the code above it.
    const blank = /^(?:[ \t]*\r?\n)*/.exec(rest)![0];
    before += blank;
    rest = rest.slice(blank.length);
  }
  return parts.length <= 1 && unexplained === 0 ? whole : { parts, unexplained };
}

/** A declaration's first code line (after its decorators and comments), for the heading of its explanation. */
export function declarationLine(selection: string): string {
  return (
    selection
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '' && !/^(?:@|\/\/|\/\*|\*|#)/.test(line)) ?? selection.trim()
  );
}
