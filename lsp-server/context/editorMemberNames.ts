// Member names from the editor's own language support. At `client.converter.|` or `this.reader.|` the editor
// (TypeScript, Pylance, ...) knows the receiver's type, which reading the workspace's text cannot tell
// (moduleMembers.ts covers modules only). The client answers `locus/memberNames` with its completion list at the
// member's start; the members in it constrain the completion the way a workspace module's names do.
import type { Position } from 'vscode-languageserver-protocol';
import type { EditorCompletionEntry, MemberNamesParams } from '../protocol';
import { inCommentOrString } from './moduleMembers';

/**
 * LSP `CompletionItemKind`s of members: Method 2 to Enum 13, EnumMember 20 to Event 23. Left out: Text (VS Code's
 * words of the file, TypeScript's guesses for an untyped receiver), Keyword, Snippet, Color, File, Reference,
 * Folder, Operator, TypeParameter.
 */
const MEMBER_KINDS = new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20, 21, 22, 23]);
/** A receiver (a name, a call or an index), a dot, and the part of the member's name typed so far. */
const MEMBER_ACCESS = /[\w$)\]][ \t]*\??\.[ \t]*([\w$]*)$/;
/** `2.` or `0.5` is a number, not a member access. */
const NUMBER_BEFORE_DOT = /(?:^|[^\w$.])\d+[ \t]*\.[ \t]*[\w$]*$/;
const NAME = /^[A-Za-z_$#][\w$]*$/;
/** A list this long names everything in scope, not a type's members. */
const MAX_NAMES = 2000;

/** The part of a member's name typed before the cursor, or undefined when the cursor is not on a member access. */
export function memberAccess(prefix: string, python: boolean): { typed: string } | undefined {
  const line = prefix.slice(prefix.lastIndexOf('\n') + 1);
  const access = MEMBER_ACCESS.exec(line);
  if (access === null || NUMBER_BEFORE_DOT.test(line) || inCommentOrString(prefix, python)) return undefined;
  // Python's relative import (`from .|`) names a module, not a member.
  if (python && /^\s*(?:from|import)\s+[\w.]*$/.test(line)) return undefined;
  return { typed: access[1]! };
}

/**
 * Whether the cursor may be naming a new attribute: a statement that starts with `this.` or `self.` inside a
 * constructor or `__init__`, where JavaScript and Python create attributes by assigning them.
 */
export function mayCreateAttribute(prefix: string): boolean {
  const lines = prefix.split('\n');
  const current = lines[lines.length - 1]!;
  if (!/^\s*(?:this|self)\s*\.\s*[\w$]*$/.test(current)) return false;
  const indent = current.length - current.trimStart().length;
  for (let i = lines.length - 2; i >= 0; i--) {
    const line = lines[i]!;
    if (line.trim() === '' || line.length - line.trimStart().length >= indent) continue;
    if (/\bconstructor\s*\(|\bdef\s+__init__\s*\(/.test(line)) return true;
    if (/^\s*(?:(?:async|static|public|private|protected)\s+)*(?:def\s+|function\b|[\w$#]+\s*\(.*\)\s*\{\s*$|class\b)/.test(line)) return false;
  }
  return false;
}

/** The member names in the editor's list: identifiers of member kinds; undefined when there are none (or far too many). */
export function memberNamesOf(entries: readonly EditorCompletionEntry[]): string[] | undefined {
  const names = new Set<string>();
  for (const { name: label, kind } of entries) {
    // TypeScript labels an optional member `name?`.
    const name = label.replace(/\?$/, '');
    if (kind !== undefined && MEMBER_KINDS.has(kind) && NAME.test(name)) names.add(name);
  }
  return names.size === 0 || names.size > MAX_NAMES ? undefined : [...names].sort();
}

export interface EditorMemberNamesDeps {
  /** Asks the client for its list; absent when the client does not answer `locus/memberNames`. */
  ask?: (params: MemberNamesParams, signal: AbortSignal) => Promise<{ entries: EditorCompletionEntry[] } | null>;
  /** How long a completion waits for the editor's list before it goes on without it. */
  timeoutMs: number;
}

export class EditorMemberNames {
  /** The last list, keyed by document, member start and the line up to it: typing the member's name asks once. */
  private last: { key: string; names: string[] | undefined } | undefined;

  constructor(private readonly deps: EditorMemberNamesDeps) {}

  /**
   * The words a completion at `position` must start with (each member name less what is typed of it), or
   * undefined: not a member access, no list from the editor in time, or no member there that fits what is typed.
   */
  async wordChoices(uri: string, position: Position, prefix: string, python: boolean, signal: AbortSignal): Promise<string[] | undefined> {
    const ask = this.deps.ask;
    const access = memberAccess(prefix, python);
    if (ask === undefined || access === undefined || mayCreateAttribute(prefix)) return undefined;
    const { typed } = access;
    const start = { line: position.line, character: position.character - typed.length };
    const key = `${uri}\n${start.line}:${start.character}\n${prefix.slice(prefix.lastIndexOf('\n') + 1, prefix.length - typed.length)}`;
    let names: string[] | undefined;
    if (this.last?.key === key) names = this.last.names;
    else {
      const answer = await askWithin(ask, { textDocument: { uri }, position: start }, this.deps.timeoutMs, signal);
      if (answer === 'late') return undefined;
      names = answer === null ? undefined : memberNamesOf(answer.entries);
      this.last = { key, names };
    }
    const fitting = names?.filter((name) => name.startsWith(typed)).map((name) => name.slice(typed.length));
    return fitting !== undefined && fitting.length > 0 ? fitting : undefined;
  }
}

/** The client's answer, or 'late' when it did not come within `timeoutMs` (or the request was cancelled or failed). */
async function askWithin(
  ask: NonNullable<EditorMemberNamesDeps['ask']>,
  params: MemberNamesParams,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ entries: EditorCompletionEntry[] } | null | 'late'> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  try {
    const late = new Promise<'late'>((resolve) => stop.signal.addEventListener('abort', () => resolve('late'), { once: true }));
    return await Promise.race([ask(params, stop.signal).catch((): 'late' => 'late'), late]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
