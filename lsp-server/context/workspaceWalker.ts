// Lists the files of a workspace folder that may be indexed, nearest the root first (breadth-first: when the index
// reaches its budget, what is left out is the most deeply nested). Symlinks are not followed: one that leaves the
// root must never be read (a link to ~/.ssh), and what one inside it points to is walked at its real path, where the
// editor's file events name it (a link met first made those events miss the entry, and an ignored link hid its
// target). Each real directory is entered once, so a bind mount's loop ends too.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { WorkspaceFolderUnreadableError } from '../../runtime/errors';
import { isMinified } from '../minifiedText';
import type { PathFilter } from './pathFilter';

/** Files above this are generated, vendored or data, not code a prompt needs. */
export const MAX_INDEXED_FILE_BYTES = 1024 * 1024;
/** Bytes read to decide whether a file is text. */
const SNIFF_BYTES = 8192;

export interface WalkedFile {
  /** Workspace-relative, forward slashes. */
  relativePath: string;
  absolutePath: string;
  size: number;
  mtimeMs: number;
}

export interface WalkOptions {
  maxFileBytes?: number;
  signal?: AbortSignal;
}

/** Fixes more precise than the class's, by the system's code for the folder. */
const UNREADABLE_FOLDER_FIXES: Record<string, string> = {
  ENOTDIR: 'A workspace folder must be a folder: add the folder that holds this file instead.',
  ENOENT: 'Remove the folder from the workspace, or create it.',
};

/** Why a workspace folder cannot be walked at all, with the system's reason (EACCES, ENOTDIR, ENOENT) in the message. */
function unreadableFolder(root: string, cause: unknown): WorkspaceFolderUnreadableError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return new WorkspaceFolderUnreadableError(`The workspace folder ${root} cannot be read (${reason}): it is left out of workspace context.`, UNREADABLE_FOLDER_FIXES[code ?? ''], { cause });
}

export async function* walkWorkspace(root: string, filter: PathFilter, options: WalkOptions = {}): AsyncGenerator<WalkedFile> {
  const maxBytes = options.maxFileBytes ?? MAX_INDEXED_FILE_BYTES;
  const realRoot = await fs.realpath(root).catch((error: unknown) => {
    throw unreadableFolder(root, error);
  });
  const visitedDirs = new Set<string>([realRoot]);
  const pending: string[] = [''];
  for (let next = 0; next < pending.length; next++) {
    if (options.signal?.aborted) return;
    const dir = pending[next]!;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(path.join(root, dir), { withFileTypes: true });
    } catch (error) {
      // The root itself: the whole folder is left out, and the caller says why (it was logged as "Indexed 0 files").
      if (dir === '') throw unreadableFolder(root, error);
      continue; // a folder inside vanished or unreadable: skipping it is the only sensible answer
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const relativePath = dir === '' ? entry.name : `${dir}/${entry.name}`;
      const absolutePath = path.join(root, relativePath);
      if (entry.isSymbolicLink()) continue;
      const isDirectory = entry.isDirectory();
      if (filter.isExcluded(relativePath, isDirectory)) continue;
      if (isDirectory) {
        const real = await fs.realpath(absolutePath).catch(() => absolutePath);
        if (visitedDirs.has(real)) continue;
        visitedDirs.add(real);
        pending.push(relativePath);
      } else if (entry.isFile()) {
        const stat = await fs.stat(absolutePath).catch(() => undefined);
        if (stat === undefined || stat.size > maxBytes || stat.size === 0) continue;
        yield { relativePath, absolutePath, size: stat.size, mtimeMs: stat.mtimeMs };
      }
    }
  }
}

/** Whether `file`, links followed, lies inside `root` (links followed): a file event may name a link that leaves it. */
export async function staysInside(file: string, root: string): Promise<boolean> {
  const realRoot = await fs.realpath(root).catch(() => undefined);
  return realRoot !== undefined && (await realpathInside(file, realRoot)) !== undefined;
}

/**
 * Whether `file` is reached through a link, itself or a folder on its way: the walker follows none, so the file is
 * indexed at its real path only (a file event inside a linked folder indexed it a second time under the link).
 */
export async function reachedThroughLink(file: string, root: string): Promise<boolean> {
  const [real, realRoot] = await Promise.all([fs.realpath(file).catch(() => undefined), fs.realpath(root).catch(() => undefined)]);
  if (real === undefined || realRoot === undefined) return false;
  const unlinked = path.join(realRoot, path.relative(root, file));
  // Case-insensitive file systems (macOS, Windows) give the real path in the disk's case.
  return process.platform === 'linux' ? real !== unlinked : real.toLowerCase() !== unlinked.toLowerCase();
}

/** Real path of a link when it stays inside the workspace; undefined otherwise (dangling, or escaping the root). */
async function realpathInside(linkPath: string, realRoot: string): Promise<string | undefined> {
  const target = await fs.realpath(linkPath).catch(() => undefined);
  if (target === undefined) return undefined;
  return target === realRoot || target.startsWith(realRoot + path.sep) ? target : undefined;
}

/**
 * Reads a file as UTF-8 text, or returns undefined for binaries (a NUL byte or invalid UTF-8 in the first 8 KB),
 * UTF-16 files and minified bundles (very long average lines).
 */
export async function readTextFile(absolutePath: string, maxBytes = MAX_INDEXED_FILE_BYTES): Promise<string | undefined> {
  let handle: import('node:fs/promises').FileHandle | undefined;
  try {
    // Checked before opening: opening a named pipe waits for a writer, forever.
    const before = await fs.stat(absolutePath);
    if (!before.isFile() || before.size > maxBytes) return undefined;
    handle = await fs.open(absolutePath, 'r');
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > maxBytes) return undefined;
    const head = Buffer.alloc(Math.min(SNIFF_BYTES, stat.size));
    await handle.read(head, 0, head.length, 0);
    if (!looksLikeText(head)) return undefined;
    let full = head.toString('utf8');
    if (head.length < stat.size) {
      const rest = Buffer.alloc(stat.size - head.length);
      await handle.read(rest, 0, rest.length, head.length);
      full = Buffer.concat([head, rest]).toString('utf8');
    }
    return isMinified(full) ? undefined : full;
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

export function looksLikeText(head: Uint8Array): boolean {
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) return false;
  if (head.includes(0)) return false;
  // Streamed: a multi-byte character cut at the end of the sniffed bytes is held back, not judged (cutting a fixed 4
  // bytes off could itself split one, and 16-26% of files with a non-ASCII comment on every line were refused).
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether an open buffer's text is indexed, by the walker's rules for files: not over MAX_INDEXED_FILE_BYTES and not
 * minified (the chunker's cost grows with statements times line length: a 200 KB one-line bundle took minutes).
 */
export function isIndexableText(text: string): boolean {
  return text.length <= MAX_INDEXED_FILE_BYTES && Buffer.byteLength(text) <= MAX_INDEXED_FILE_BYTES && !isMinified(text);
}

