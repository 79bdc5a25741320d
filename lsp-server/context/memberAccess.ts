// Where the cursor is on a member access (`obj.|`, `this.reader.ge|`), read from the text before it, and where a
// member there may be a new one that no list can hold yet.
import { inCommentOrString } from './moduleMembers';

/** How a file's language treats attributes: TypeScript declares them; Python and JavaScript create them by assignment. */
export type SourceKind = 'typescript' | 'python' | 'other';

/** The kind of a file, from its language id where the editor gives one, else from its path or URI. */
export function sourceKindOf(path: string, languageId = ''): SourceKind {
  if (languageId === 'python' || /\.pyi?$/.test(path)) return 'python';
  return /^typescript/.test(languageId) || /\.[cm]?tsx?$/.test(path) ? 'typescript' : 'other';
}

/** A receiver (a name, a call or an index), a dot, and the part of the member's name typed so far. */
const MEMBER_ACCESS = /[\w$)\]][ \t]*\??\.[ \t]*([\w$]*)$/;
/** `2.` or `0.5` is a number, not a member access. */
const NUMBER_BEFORE_DOT = /(?:^|[^\w$.])\d+[ \t]*\.[ \t]*[\w$]*$/;

/** The part of a member's name typed before the cursor, or undefined when the cursor is not on a member access. */
export function memberAccess(prefix: string, kind: SourceKind): { typed: string } | undefined {
  const python = kind === 'python';
  const line = prefix.slice(prefix.lastIndexOf('\n') + 1);
  const access = MEMBER_ACCESS.exec(line);
  if (access === null || NUMBER_BEFORE_DOT.test(line) || inCommentOrString(prefix, python)) return undefined;
  // Python's relative import (`from .|`) names a module, not a member.
  if (python && /^\s*(?:from|import)\s+[\w.]*$/.test(line)) return undefined;
  return { typed: access[1]! };
}

/**
 * Whether the member may be a new one: a statement that starts with the member access in Python or JavaScript
 * (`self.cache`, `module.exports.parse`, `options.retries`), where assigning it creates it. TypeScript makes a type
 * declare its members first.
 */
export function mayCreateMember(prefix: string, kind: SourceKind): boolean {
  if (kind === 'typescript') return false;
  const line = prefix.slice(prefix.lastIndexOf('\n') + 1);
  return /^\s*[\w$]+(?:\s*\.\s*[\w$]+)*\s*\.\s*[\w$]*$/.test(line);
}

/** The member access at the cursor whose member a list of names decides: not one that a statement may create. */
export function listedMemberAccess(prefix: string, kind: SourceKind): { typed: string } | undefined {
  return mayCreateMember(prefix, kind) ? undefined : memberAccess(prefix, kind);
}
