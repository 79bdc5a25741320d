// Where a file lies among the workspace folders: its path relative to a folder, and the innermost folder that holds
// it where folders nest. One definition for the index (contextEngine.ts) and the prompt privacy rules
// (promptPrivacy.ts), which must agree on which folder a file belongs to.
import * as path from 'node:path';

/** `file` relative to `root`, with forward slashes, when it lies strictly inside it (not the root itself, not `..foo`'s parent). */
export function relativeInside(root: string, file: string): string | undefined {
  const relative = path.relative(root, file);
  if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).join('/');
}

/** The innermost of `items` whose root (`rootOf`) holds `file`, and the file's path there. */
export function innermostHolding<T>(items: readonly T[], rootOf: (item: T) => string, file: string): { item: T; relativePath: string } | undefined {
  let found: { item: T; relativePath: string; rootLength: number } | undefined;
  for (const item of items) {
    const root = rootOf(item);
    const relativePath = relativeInside(root, file);
    if (relativePath === undefined || (found !== undefined && found.rootLength >= root.length)) continue;
    found = { item, relativePath, rootLength: root.length };
  }
  return found && { item: found.item, relativePath: found.relativePath };
}
