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
/**
 * A Python assignment to a name (`TIMEOUT = 30`, `logger: Logger = …`), after its comment lines; not `else: x = 1`.
 * Named in the note, not explained: as parts, a file's constants above its functions would take the cap's runs.
 */
const PYTHON_ASSIGNMENT = /^(?:[ \t]*#[^\n]*\n)*[ \t]*(?!(?:else|try|finally)\b)([\p{L}_][\p{L}\p{N}_]*)[ \t]*(?::[^=\n]*)?=(?!=)/u;
/** Names of assignments the note lists at most; it counts the others. */
const LISTED_ASSIGNMENTS = 4;

export interface SelectionDeclarations {
  /** Each declaration as the input of its own prompt (the code before it its `before`); the selection alone when it holds one or none. */
  parts: ExplainInput[];
  /** Declarations of the selection past the last part, not explained. */
  unexplained: number;
  /** The names that Python assignments between and after the declarations assign (`TIMEOUT`), not explained. */
  assignments: string[];
}

/**
 * The selection's declarations, up to MAX_EXPLAINED_DECLARATIONS. Statements between them are left out (they go into
 * the next one's `before`), Python's assignments named in the note; a selection that does not start with a declaration
 * is explained whole, as before.
 */
export function selectionDeclarations(input: ExplainInput): SelectionDeclarations {
  const marker = input.languageId === 'python' ? '#' : JSDOC_LANGUAGES.has(input.languageId) ? '//' : undefined;
  const whole = { parts: [input], unexplained: 0, assignments: [] };
  if (marker === undefined) return whole;
  const { selection } = input;
  const parts: ExplainInput[] = [];
  let unexplained = 0;
  const assignments: string[] = [];
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
    } else if (marker === '#') {
      const assigned = PYTHON_ASSIGNMENT.exec(head)?.[1];
      if (assigned !== undefined) assignments.push(assigned);
    }
    at += length;
    lineTail = '';
    // Blank lines before the next declaration go with the code above it.
    at += /^(?:[ \t]*\r?\n)*/.exec(selection.slice(at, at + 4096))![0].length;
  }
  return parts.length <= 1 && unexplained === 0 ? { ...whole, assignments } : { parts, unexplained, assignments };
}

/**
 * The note under the explanations that names what of the selection they leave out: the declarations past the last
 * part, and the assignments, which a user looking for `TIMEOUT` among the headings was told nothing of. Undefined when
 * nothing is left out.
 */
export function unexplainedNote({ unexplained, assignments }: SelectionDeclarations): string | undefined {
  const left: string[] = [];
  if (unexplained > 0) left.push(unexplained === 1 ? '1 more declaration' : `${unexplained} more declarations`);
  if (assignments.length > 0) left.push(`the ${assignments.length === 1 ? 'assignment' : 'assignments'} to ${nameList(assignments)}`);
  if (left.length === 0) return undefined;
  const what = left.join(' and ');
  return `_${what[0]!.toUpperCase()}${what.slice(1)} of the selection not explained: select ${unexplained + assignments.length === 1 ? 'it' : 'one'} to explain it._`;
}

/** `` `a` ``, `` `a` and `b` ``, `` `a`, `b`, `c`, `d` and 3 more ``. */
function nameList(names: readonly string[]): string {
  const listed = names.slice(0, LISTED_ASSIGNMENTS).map((name) => `\`${name}\``);
  const more = names.length - listed.length;
  if (more > 0) return `${listed.join(', ')} and ${more} more`;
  return listed.length === 1 ? listed[0]! : `${listed.slice(0, -1).join(', ')} and ${listed.at(-1)!}`;
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
