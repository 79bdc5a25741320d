// Decides whether a workspace path may enter the index: the secret denylist first (not overridable), then
// folders no one wants indexed, the user's exclude globs (VS Code's files.exclude and locus.exclude), then
// .gitignore files (nested, gitignore semantics via the `ignore` package) and .git/info/exclude. Git's rules come from
// the repository the folder lies in, as git reads them: the .gitignore files above the folder up to the repository's
// root count too (a monorepo's package opened alone). Where workspace folders nest, the outer folders' rules apply in
// the inner one as well: with the inner folder listed or not, the same files stay out.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { relativeInside } from './folderPaths';
import { isSecretPath } from './secretRules';
import { excludesIn, type WorkspaceExcludes } from './workspaceExcludes';

/** Folders skipped even without a .gitignore: version control, dependencies, build output, caches. */
const ALWAYS_SKIPPED_DIRS = new Set(['.git', '.hg', '.svn', 'node_modules', '__pycache__', '.venv', 'venv', '.tox', '.mypy_cache', '.next', '.cache']);

export interface PathFilterOptions {
  /** Glob patterns relative to the workspace root (VS Code syntax: `**`, `*`, `?`, `{a,b}`). */
  excludeGlobs: readonly string[];
  /** Other workspace folders inside this one (relative paths): each is indexed as its own folder, not twice. */
  innerFolders?: readonly string[];
  /**
   * Other workspace folders that hold this one (absolute paths), with their own exclude globs: their rules, written for
   * their own root, apply here too.
   */
  outerFolders?: readonly { root: string; excludeGlobs: readonly string[] }[];
}

/**
 * The filter of the workspace folder `root` among `folders`: its exclude globs, the other workspace folders inside it
 * (indexed on their own), and those that hold it, whose rules (their own globs and .gitignore files, from their root)
 * keep applying: listing a folder nested in another lets in nothing that the outer one keeps out.
 */
export function workspaceFolderFilter(root: string, folders: readonly string[], excludes: WorkspaceExcludes): PathFilter {
  const innerFolders = folders.map((other) => relativeInside(root, other)).filter((inner) => inner !== undefined);
  const outerFolders = folders.filter((other) => relativeInside(other, root) !== undefined).map((outer) => ({ root: outer, excludeGlobs: excludesIn(excludes, outer).index }));
  return new PathFilter(root, { excludeGlobs: excludesIn(excludes, root).index, innerFolders, outerFolders });
}

/** Rules read in a folder above the root, and the root's path as seen from that folder (`packages/app`). */
interface RulesAbove {
  directory: string;
  rootPath: string;
}

export class PathFilter {
  private readonly excludes: Ignore;
  /** Directory (absolute) → its .gitignore rules, or null when it has none: the root's, those below it and above it. */
  private readonly gitignores = new Map<string, Ignore | null>();
  /** The repository's folders above the root, whose .gitignore files apply here; none outside a repository. */
  private gitignoresAbove: readonly RulesAbove[];
  /** The repository's `.git/info/exclude`, relative to the repository's root. */
  private infoExclude: { rules: Ignore; rootPath: string } | undefined;
  /** The outer workspace folders' rules, each judging paths from its own root. */
  private readonly outerFilters: readonly { filter: PathFilter; rootPath: string; defaultRules: boolean }[];

  constructor(
    private readonly root: string,
    private readonly options: PathFilterOptions,
  ) {
    this.excludes = ignore().add(options.excludeGlobs.flatMap(globToGitignorePatterns));
    const repository = repositoryHolding(root);
    this.gitignoresAbove = repository === undefined ? [] : foldersBetween(repository, root);
    this.infoExclude = repository === undefined ? undefined : readInfoExclude(repository, root);
    // A folder its repository ignores (a build output, a scratch or vendored checkout opened on purpose) is a project
    // of its own to the user: the rules above would leave nothing in it, so only its own apply (VS Code's search does
    // not read parent ignore files by default either).
    if (this.ignoredAbove('')) {
      this.gitignoresAbove = [];
      this.infoExclude = undefined;
    }
    this.outerFilters = (options.outerFolders ?? []).flatMap((outer) => {
      const rootPath = relativeInside(outer.root, root);
      if (rootPath === undefined) return [];
      const filter = new PathFilter(outer.root, { excludeGlobs: outer.excludeGlobs });
      // As above: a folder listed on purpose that the outer folder's git rules or skipped folders (`build/`,
      // `node_modules/`) would hide whole keeps the outer's exclude globs and secret rules only.
      return [{ filter, rootPath, defaultRules: !filter.skipsByDefault(rootPath) }];
    });
  }

  /** `relativePath` uses forward slashes; directories are checked with `isDirectory` so `dir/` patterns apply. */
  isExcluded(relativePath: string, isDirectory: boolean): boolean {
    if (relativePath === '') return false;
    if (this.isInnerFolder(relativePath)) return true;
    if (this.excludedByOwnRules(relativePath, isDirectory)) return true;
    return this.outerFilters.some((outer) => outer.filter.excludedByOwnRules(`${outer.rootPath}/${relativePath}`, isDirectory, outer.defaultRules));
  }

  /** Whether the built-in skipped folders or git's rules, not the user's globs, leave out the folder at `relativePath`. */
  private skipsByDefault(relativePath: string): boolean {
    const segments = relativePath.split('/');
    return segments.some((s) => ALWAYS_SKIPPED_DIRS.has(s)) || this.ignoredAbove(`${relativePath}/`) || this.ignoredBelow(segments, true);
  }

  /** Forget the cached rules of a .gitignore that changed (absolute path), in this folder, above it or in an outer one. */
  gitignoreChanged(file: string): void {
    this.gitignores.delete(path.dirname(path.resolve(file)));
    for (const outer of this.outerFilters) outer.filter.gitignoreChanged(file);
  }

  /**
   * This folder's rules alone: the built-in ones, the exclude globs and git's, for a path relative to its root.
   * Without `defaultRules`, the secret rules and the exclude globs only.
   */
  private excludedByOwnRules(relativePath: string, isDirectory: boolean, defaultRules = true): boolean {
    const segments = relativePath.split('/');
    if (defaultRules && segments.some((s) => ALWAYS_SKIPPED_DIRS.has(s)) && (isDirectory || segments.length > 1)) return true;
    if (!isDirectory && isSecretPath(relativePath)) return true;
    if (isDirectory && isSecretPath(relativePath + '/x')) return true;
    const probe = isDirectory ? relativePath + '/' : relativePath;
    if (this.excludes.ignores(probe)) return true;
    return defaultRules && (this.ignoredAbove(probe) || this.ignoredBelow(segments, isDirectory));
  }

  /**
   * Git's rules from above the root see the path from their own folder, the root's place in it included; '' asks
   * for the root itself (as a directory).
   */
  private ignoredAbove(probe: string): boolean {
    const seenFrom = (rootPath: string) => (probe === '' ? `${rootPath}/` : joinPosix(rootPath, probe));
    const info = this.infoExclude;
    if (info !== undefined && (probe !== '' || info.rootPath !== '') && info.rules.ignores(seenFrom(info.rootPath))) return true;
    return this.gitignoresAbove.some((above) => this.gitignoreOf(above.directory)?.ignores(seenFrom(above.rootPath)) === true);
  }

  /** Each .gitignore on the way down applies to the part of the path below its folder. */
  private ignoredBelow(segments: readonly string[], isDirectory: boolean): boolean {
    for (let depth = 0; depth < segments.length; depth++) {
      const rules = this.gitignoreOf(path.join(this.root, ...segments.slice(0, depth)));
      if (rules === null) continue;
      const below = segments.slice(depth).join('/');
      if (rules.ignores(isDirectory ? below + '/' : below)) return true;
    }
    return false;
  }

  /** Whether the path is in another workspace folder nested here (case-insensitively on Windows, as its paths are). */
  private isInnerFolder(relativePath: string): boolean {
    const fold = (text: string) => (process.platform === 'win32' ? text.toLowerCase() : text);
    const probe = fold(relativePath);
    return (this.options.innerFolders ?? []).some((inner) => probe === fold(inner) || probe.startsWith(`${fold(inner)}/`));
  }

  private gitignoreOf(directory: string): Ignore | null {
    let rules = this.gitignores.get(directory);
    if (rules === undefined) {
      const text = readIfExists(path.join(directory, '.gitignore'));
      rules = text === undefined ? null : ignore().add(text);
      this.gitignores.set(directory, rules);
    }
    return rules;
  }
}

/**
 * The repository `root` lies in: the nearest folder at or above it holding `.git` (a directory, or a file in a
 * worktree or a submodule). The search stops below the home folder: a `.git` there is a dotfiles repository's, whose
 * `*` rule would hide every folder under home that is no repository of its own.
 */
function repositoryHolding(root: string): string | undefined {
  const home = homedir();
  for (let directory = root; ; directory = path.dirname(directory)) {
    if (directory === home && directory !== root) return undefined;
    if (existsSync(path.join(directory, '.git'))) return directory;
    if (path.dirname(directory) === directory) return undefined;
  }
}

/** The folders from `root`'s parent up to `repository`, with `root`'s path as seen from each. */
function foldersBetween(repository: string, root: string): RulesAbove[] {
  const folders: RulesAbove[] = [];
  for (let directory = root; directory !== repository; ) {
    directory = path.dirname(directory);
    folders.push({ directory, rootPath: pathFrom(directory, root) });
  }
  return folders;
}

/** The repository's info/exclude rules, if it has any, with `root`'s path as seen from the repository's root. */
function readInfoExclude(repository: string, root: string): { rules: Ignore; rootPath: string } | undefined {
  const text = readIfExists(infoExcludeFile(repository));
  return text === undefined ? undefined : { rules: ignore().add(text), rootPath: pathFrom(repository, root) };
}

/**
 * Where git keeps the repository's info/exclude: in `.git`, or, where `.git` is a file (`gitdir: …`, a worktree or a
 * submodule), in the git folder it names; a worktree's shares the main repository's, named by its `commondir`.
 */
function infoExcludeFile(repository: string): string {
  const dotGit = path.join(repository, '.git');
  const named = /^gitdir:\s*(.+)$/m.exec(readIfExists(dotGit) ?? '')?.[1]?.trim();
  const gitFolder = named === undefined ? dotGit : path.resolve(repository, named);
  const common = readIfExists(path.join(gitFolder, 'commondir'))?.trim();
  return path.join(common === undefined ? gitFolder : path.resolve(gitFolder, common), 'info', 'exclude');
}

/** `to` relative to `from` with forward slashes, '' when they are the same folder. */
function pathFrom(from: string, to: string): string {
  return path.relative(from, to).split(path.sep).join('/');
}

function joinPosix(prefix: string, rest: string): string {
  return prefix === '' ? rest : `${prefix}/${rest}`;
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * VS Code globs are relative to the workspace root, gitignore patterns without a slash float to any depth:
 * anchor the ones that do not start with `**`, and expand braces, which gitignore lacks.
 */
export function globToGitignorePatterns(glob: string): string[] {
  return expandBraces(glob.trim().replace(/\\/g, '/'))
    .filter((g) => g !== '')
    .map((g) => (g.startsWith('**/') || g.startsWith('/') ? g : '/' + g));
}

function expandBraces(glob: string): string[] {
  const open = glob.indexOf('{');
  if (open < 0) return [glob];
  let depth = 0;
  for (let i = open; i < glob.length; i++) {
    if (glob[i] === '{') depth++;
    else if (glob[i] === '}' && --depth === 0) {
      const options = splitTopLevel(glob.slice(open + 1, i));
      const rest = glob.slice(i + 1);
      return options.flatMap((o) => expandBraces(glob.slice(0, open) + o + rest));
    }
  }
  return [glob];
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '{') depth++;
    else if (body[i] === '}') depth--;
    else if (body[i] === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}
