// Which exclude globs hold in each workspace folder. In a multi-root workspace a folder's own settings
// (`.vscode/settings.json`) may set `locus.exclude` and `files.exclude` for its files alone, as they do when that
// folder is opened by itself; the other folders keep the window's.
import { relativeInside } from './folderPaths';

/** One folder's exclude globs, relative to its root. */
export interface ExcludeGlobs {
  /** Kept out of the workspace index: `locus.exclude` and VS Code's `files.exclude`. */
  index: readonly string[];
  /** `locus.exclude` alone: files whose own text never goes into a prompt either (promptPrivacy.ts). */
  prompt: readonly string[];
}

export interface WorkspaceExcludes {
  /** The window's globs: for every folder without its own. */
  window: ExcludeGlobs;
  /** Folder (absolute path) → its own globs, in place of the window's for the files in it. */
  folders: ReadonlyMap<string, ExcludeGlobs>;
}

export const NO_EXCLUDES: WorkspaceExcludes = { window: { index: [], prompt: [] }, folders: new Map() };

/** The globs that hold in the workspace folder `root`. */
export function excludesIn(excludes: WorkspaceExcludes, root: string): ExcludeGlobs {
  return excludes.folders.get(root) ?? excludes.window;
}

/**
 * The workspace folders among `roots` that hold `file` (where folders nest, the outer ones too), each with the
 * file's path there and that folder's globs: a folder's globs are written from its own root.
 */
export function foldersJudging(excludes: WorkspaceExcludes, roots: readonly string[], file: string): { relativePath: string; globs: ExcludeGlobs }[] {
  return roots.flatMap((root) => {
    const relativePath = relativeInside(root, file);
    return relativePath === undefined ? [] : [{ relativePath, globs: excludesIn(excludes, root) }];
  });
}

/** Whether any of `roots` is judged by other globs under `after` than under `before`. */
export function excludesChangedIn(before: WorkspaceExcludes, after: WorkspaceExcludes, roots: Iterable<string>): boolean {
  for (const root of roots) if (!sameGlobs(excludesIn(before, root), excludesIn(after, root))) return true;
  return false;
}

/** Whether `before` and `after` judge every folder alike, whichever folders are listed. */
export function excludesChanged(before: WorkspaceExcludes, after: WorkspaceExcludes): boolean {
  return !sameGlobs(before.window, after.window) || excludesChangedIn(before, after, new Set([...before.folders.keys(), ...after.folders.keys()]));
}

function sameGlobs(a: ExcludeGlobs, b: ExcludeGlobs): boolean {
  return sameList(a.index, b.index) && sameList(a.prompt, b.prompt);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((glob, i) => glob === b[i]);
}
