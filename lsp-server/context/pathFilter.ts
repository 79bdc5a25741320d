// Decides whether a workspace path may enter the index: the secret denylist first (not overridable), then
// folders no one wants indexed, the user's exclude globs (VS Code's files.exclude and locus.exclude), then
// .gitignore files (nested, gitignore semantics via the `ignore` package) and .git/info/exclude.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { isSecretPath } from './secretRules';

/** Folders skipped even without a .gitignore: version control, dependencies, build output, caches. */
const ALWAYS_SKIPPED_DIRS = new Set(['.git', '.hg', '.svn', 'node_modules', '__pycache__', '.venv', 'venv', '.tox', '.mypy_cache', '.next', '.cache']);

export interface PathFilterOptions {
  /** Glob patterns relative to the workspace root (VS Code syntax: `**`, `*`, `?`, `{a,b}`). */
  excludeGlobs: readonly string[];
  /** Other workspace folders inside this one (relative paths): each is indexed as its own folder, not twice. */
  innerFolders?: readonly string[];
}

export class PathFilter {
  private readonly excludes: Ignore;
  /** Directory (relative, '' for the root) → its .gitignore rules, or null when it has none. */
  private readonly gitignores = new Map<string, Ignore | null>();

  constructor(
    private readonly root: string,
    private readonly options: PathFilterOptions,
  ) {
    this.excludes = ignore().add(options.excludeGlobs.flatMap(globToGitignorePatterns));
    const infoExclude = readIfExists(path.join(root, '.git', 'info', 'exclude'));
    if (infoExclude !== undefined) this.excludes.add(infoExclude);
  }

  /** `relativePath` uses forward slashes; directories are checked with `isDirectory` so `dir/` patterns apply. */
  isExcluded(relativePath: string, isDirectory: boolean): boolean {
    if (relativePath === '') return false;
    if (this.isInnerFolder(relativePath)) return true;
    const segments = relativePath.split('/');
    if (segments.some((s) => ALWAYS_SKIPPED_DIRS.has(s)) && (isDirectory || segments.length > 1)) return true;
    if (!isDirectory && isSecretPath(relativePath)) return true;
    if (isDirectory && isSecretPath(relativePath + '/x')) return true;
    const probe = isDirectory ? relativePath + '/' : relativePath;
    if (this.excludes.ignores(probe)) return true;
    // Each .gitignore on the way down applies to the part of the path below its folder.
    for (let depth = 0; depth < segments.length; depth++) {
      const dir = segments.slice(0, depth).join('/');
      const rules = this.gitignoreOf(dir);
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

  /** Forget the cached rules of a folder whose .gitignore changed. */
  invalidateGitignore(directory: string): void {
    this.gitignores.delete(directory);
  }

  private gitignoreOf(dir: string): Ignore | null {
    let rules = this.gitignores.get(dir);
    if (rules === undefined) {
      const text = readIfExists(path.join(this.root, dir, '.gitignore'));
      rules = text === undefined ? null : ignore().add(text);
      this.gitignores.set(dir, rules);
    }
    return rules;
  }
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
