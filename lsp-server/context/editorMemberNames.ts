// Member names from the editor's own language support. At `client.converter.|` or `this.reader.|` the editor
// (TypeScript, Pylance, ...) knows the receiver's type, which reading the workspace's text cannot tell
// (moduleMembers.ts covers modules only). The client answers `locus/memberNames` with its completion list at the
// member's start; the members in it constrain the completion the way a workspace module's names do.
import type { Position } from 'vscode-languageserver-protocol';
import { MemberNamesRequest, type EditorCompletionEntry, type MemberNamesParams, type MemberNamesResult } from '../protocol';
import { samePosition } from '../samePosition';
import { listedMemberAccess, type SourceKind } from './memberAccess';

/**
 * LSP `CompletionItemKind`s of members: Method 2 to Enum 13, EnumMember 20 to Event 23. Left out: Text (VS Code's
 * words of the file, TypeScript's guesses for an untyped receiver), Keyword, Snippet, Color, File, Reference,
 * Folder, Operator, TypeParameter.
 */
const MEMBER_KINDS = new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20, 21, 22, 23]);
const NAME = /^[A-Za-z_$#][\w$]*$/;
/** How long the editor may take over a list: a late one still serves the keystrokes after the one that asked. */
const LIST_WAIT_MS = 2000;
/** A list is reused while the member's name is typed; edits to other files can change it, so not for longer. */
const LIST_TTL_MS = 10_000;

/** The member names in the editor's list: identifiers of member kinds; undefined when there are none (or far too many). */
export function memberNamesOf(entries: readonly EditorCompletionEntry[]): string[] | undefined {
  if (entries.length > MemberNamesRequest.maxEntries) return undefined;
  const names = new Set<string>();
  for (const { name: label, kind } of entries) {
    // TypeScript labels an optional member `name?`.
    const name = label.replace(/\?$/, '');
    if (kind !== undefined && MEMBER_KINDS.has(kind) && NAME.test(name)) names.add(name);
  }
  return names.size === 0 ? undefined : [...names].sort();
}

export interface EditorMemberNamesDeps {
  /**
   * Asks the client for its list; absent, or resolving to undefined, when the client does not answer
   * `locus/memberNames` (no list applies then, and the completion is cached as any other).
   */
  ask?: (params: MemberNamesParams, signal: AbortSignal) => Promise<MemberNamesResult | undefined>;
  /** How long a completion waits for the editor's list before it goes on without it. */
  timeoutMs: number;
  now: () => number;
}

/** A list asked for, keyed by the text around the member's start, so an edit anywhere in the file asks again. */
interface AskedList {
  uri: string;
  start: Position;
  before: string;
  suffix: string;
  askedAt: number;
  /** null: the editor answered without a list (its language server still starting); undefined: no member in its list. */
  names: Promise<string[] | null | undefined>;
}

export class EditorMemberNames {
  private last: AskedList | undefined;

  constructor(private readonly deps: EditorMemberNamesDeps) {}

  /**
   * The words a completion at `position` must start with (each member name less what is typed of it); null when the
   * editor had no list in time or answered without one (its language server may still be starting: the completion
   * goes on free, and should not outlive the list that may come next); undefined where no list applies: not a member
   * access, a failed request, or no member in the list that fits what is typed. Never rejects.
   */
  async wordChoices(uri: string, position: Position, prefix: string, suffix: string, kind: SourceKind, signal: AbortSignal): Promise<string[] | null | undefined> {
    const access = listedMemberAccess(prefix, kind);
    if (this.deps.ask === undefined || access === undefined) return undefined;
    const { typed } = access;
    const start = { line: position.line, character: position.character - typed.length };
    const names = await within(this.listAt(uri, start, prefix.slice(0, prefix.length - typed.length), suffix).names, this.deps.timeoutMs, signal);
    if (names === 'late' || names === null) return null;
    if (names === undefined) return undefined;
    const fitting = names.filter((name) => name.startsWith(typed)).map((name) => name.slice(typed.length));
    return fitting.length > 0 ? fitting : undefined;
  }

  private listAt(uri: string, start: Position, before: string, suffix: string): AskedList {
    const last = this.last;
    const now = this.deps.now();
    const same = last !== undefined && last.uri === uri && samePosition(last.start, start);
    if (same && last.before === before && last.suffix === suffix && now - last.askedAt < LIST_TTL_MS) return last;
    const ask = this.deps.ask!;
    const asked: AskedList = {
      uri,
      start,
      before,
      suffix,
      askedAt: now,
      names: Promise.resolve()
        .then(() => ask({ textDocument: { uri }, position: start }, AbortSignal.timeout(LIST_WAIT_MS)))
        .then((answer) => (answer === undefined || answer === null ? answer : memberNamesOf(answer.entries)))
        .catch(() => undefined),
    };
    // No list (the editor's language server still starting, an untyped receiver): ask again next time.
    void asked.names.then((names) => {
      if ((names === undefined || names === null) && this.last === asked) this.last = undefined;
    });
    this.last = asked;
    return asked;
  }
}

/** `promise`'s value, or 'late' when `ms` pass or `signal` aborts first. */
async function within<T>(promise: Promise<T>, ms: number, signal: AbortSignal): Promise<T | 'late'> {
  if (signal.aborted) return 'late';
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
    onAbort = () => resolve('late');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort!);
  }
}
