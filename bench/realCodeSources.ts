// Real source files (TypeScript, JavaScript, Python) from this repo's dependencies and its own folders, in a fixed
// order, for benchmarks that need cursor positions in real code. Shared so every bench samples the same way.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');

/**
 * This repository's own folders are read as of this commit, so a benchmark's cases stay the same while the code
 * changes (dependencies are pinned by package-lock.json). The speculative and completion runs of 2026-11-23
 * afternoon used exactly these files.
 */
export const PINNED_SOURCES_COMMIT = '7091467392e7d32c00bbd71a8cc6a5c25808fa8f';

/** Files under `root` (a folder of this repository) as of PINNED_SOURCES_COMMIT, sorted by path. */
export function pinnedRepoFiles(root: string): SourceFile[] {
  const git = (args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20 });
  let listing: string;
  try {
    listing = git(['ls-tree', '-r', '--name-only', PINNED_SOURCES_COMMIT, '--', root]);
  } catch {
    throw new Error(
      `Benchmarks read ${root}/ as of commit ${PINNED_SOURCES_COMMIT} with git: run them in a git clone with full history (\`git fetch --unshallow\` in a shallow one).`,
    );
  }
  return listing
    .split('\n')
    .filter(Boolean)
    .sort()
    .map((path) => ({ path, text: git(['show', `${PINNED_SOURCES_COMMIT}:${path}`]) }));
}

export interface SourceFile {
  /** Repo-relative path. */
  path: string;
  text: string;
}

export const DEFAULT_SOURCE_ROOTS = [
  'node_modules/vscode-languageserver/lib',
  'node_modules/vscode-jsonrpc/lib',
  'node_modules/semver',
  'node_modules/@huggingface/tokenizers/dist',
  'runtime',
  'lsp-server',
  'training',
];

/**
 * Files between `minBytes` and 200 KB under `roots` (minified and declaration files skipped), sorted; this
 * repository's own folders as of PINNED_SOURCES_COMMIT.
 */
export function collectSources(roots: readonly string[] = DEFAULT_SOURCE_ROOTS, minBytes = 2000): SourceFile[] {
  const files: SourceFile[] = [];
  const wanted = (name: string, size: number) =>
    /\.(ts|js|py)$/.test(name) && !name.endsWith('.d.ts') && !name.endsWith('.min.js') && size > minBytes && size < 200_000;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else if (wanted(name, st.size)) {
        files.push({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') });
      }
    }
  };
  for (const root of roots) {
    if (!root.startsWith('node_modules/')) {
      files.push(...pinnedRepoFiles(root).filter((f) => wanted(f.path.split('/').pop()!, Buffer.byteLength(f.text))));
      continue;
    }
    try {
      walk(join(ROOT, root));
    } catch {
      // A dependency that is not installed simply contributes no prompts.
    }
  }
  return files;
}

/** The p-th percentile (nearest rank) of `xs`. */
export const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

/**
 * A cursor on a random line of `file` with at least `minChars` of code: after the line's indentation or up to
 * `spread` of the way into it, as a user types. Undefined when the drawn line is too short.
 */
export function randomCursor(file: SourceFile, random: () => number, minChars: number, spread: number): number | undefined {
  const lineStarts = [...file.text.matchAll(/\n/g)].map((m) => m.index! + 1);
  const at = lineStarts[Math.floor(random() * lineStarts.length)];
  const lineEnd = file.text.indexOf('\n', at);
  const line = file.text.slice(at, lineEnd < 0 ? undefined : lineEnd);
  const indent = line.length - line.trimStart().length;
  if (line.trim().length < minChars) return undefined;
  return at + indent + Math.floor(random() * (line.length - indent) * spread);
}
