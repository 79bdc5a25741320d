// Keeps 8-bit copies of large 4-bit models for long prompt prefills (int8PrefillFile.ts) in a cache folder, one per
// 4-bit file, built at the first load and reused after. Only folders without an 8-bit file of their own get one
// (modelFiles.ts picks that first): such a model's 512-token prompt prefilled in 1111 ms on its 4-bit weights against
// 471 ms on 8-bit ones (0.5B-shaped, two threads; bench/results/prefill-file-*.md). The copy is keyed by the 4-bit
// file's path, size and modification time, so an edited or replaced model gets a new one and the old one is removed.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeInt8PrefillFile } from './int8PrefillFile';
import { fileLogitsToKeepModel, getsLogitsToKeep } from './logitsToKeepModel';
import type { PrefillFile } from './modelFiles';
import { fileGraphSkeleton } from './onnxSkeleton';
import { prefillFileFits } from './prefillFile';

/** Bumped when the copy's contents change, so older copies are rebuilt. */
const COPY_FORMAT = 1;
const COPY_FOLDER_PREFIX = 'int8-prefill-';
const COPY_FILE = 'model_int8.onnx';
const SOURCE_FILE = 'source.json';
/** Disk space left free after writing a copy. */
const DISK_RESERVE_BYTES = 2 * 2 ** 30;

/** Where copies go when the caller names no folder (the CLI): the user's cache folder, as each OS has it. */
export function defaultModelCacheFolder(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  const base =
    platform === 'win32'
      ? (env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'))
      : platform === 'darwin'
        ? join(home, 'Library', 'Caches')
        : (env.XDG_CACHE_HOME || join(home, '.cache'));
  return join(base, 'locus', 'models');
}

export type PrefillCopy = { file: PrefillFile; builtMs?: number } | { skipped: string };

interface Source {
  path: string;
  size: number;
  mtimeMs: number;
  format: number;
}

/**
 * The 8-bit copy of the large 4-bit file `q4Path` in `cacheFolder`, built now if there is none for its current
 * contents (`builtMs` then says how long it took); or why there is none, in words. Never throws: the copy only makes
 * prefills faster. `onBuild` is told the copy's size as its writing starts; `availableMemory` is for tests.
 */
export function prefillCopy(q4Path: string, cacheFolder: string, options: { onBuild?: (bytes: number) => void; availableMemory?: number } = {}): PrefillCopy {
  const { availableMemory } = options;
  try {
    const path = realpathSync(q4Path);
    const { size, mtimeMs } = statSync(path);
    const source: Source = { path, size, mtimeMs, format: COPY_FORMAT };
    const folder = join(cacheFolder, COPY_FOLDER_PREFIX + createHash('sha256').update(JSON.stringify(source)).digest('hex').slice(0, 16));
    const file = join(folder, COPY_FILE);
    if (existsSync(file) && sameSource(folder, source)) {
      const bytes = statSync(file).size;
      return prefillFileFits(bytes, availableMemory) ? { file: { onnx: file, bytes } } : { skipped: tooLarge(bytes) };
    }
    removeStaleCopies(cacheFolder, path);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    removeAbandonedPartials(folder);
    const partial = `${file}.${process.pid}.partial`;
    const started = performance.now();
    try {
      const result = writeInt8PrefillFile(path, partial, (bytes) => {
        if (!prefillFileFits(bytes, availableMemory)) return tooLarge(bytes);
        const free = freeDiskBytes(folder);
        if (free < bytes + DISK_RESERVE_BYTES) return `it needs ${mb(bytes)} on disk and ${folder} has ${mb(free)} free`;
        options.onBuild?.(bytes);
        return undefined;
      });
      if ('skipped' in result) {
        rmSync(folder, { recursive: true, force: true });
        return result;
      }
      const bytes = withLogitsToKeep(partial);
      // Renamed into place only once whole, so a load cut short never leaves a truncated copy to reuse.
      writeFileSync(join(folder, SOURCE_FILE), JSON.stringify(source));
      renameSync(partial, file);
      return { file: { onnx: file, bytes }, builtMs: performance.now() - started };
    } finally {
      rmSync(partial, { force: true });
    }
  } catch (e) {
    return { skipped: `it could not be written in ${cacheFolder} (${e instanceof Error ? e.message : String(e)})` };
  }
}

/**
 * Gives the copy the `num_logits_to_keep` input its 4-bit file gets at every load (logitsToKeepModel.ts), once here
 * rather than in memory at every load; returns the copy's size.
 */
function withLogitsToKeep(copy: string): number {
  const skeleton = fileGraphSkeleton(copy);
  const rewritten = getsLogitsToKeep(skeleton) ? fileLogitsToKeepModel(copy, skeleton) : undefined;
  if (rewritten !== undefined) writeFileSync(copy, rewritten);
  return statSync(copy).size;
}

/** Partial copies whose writer died (the pid in their name no longer runs): a killed load leaves one behind. */
function removeAbandonedPartials(folder: string): void {
  for (const name of readdirSync(folder)) {
    const pid = /\.(\d+)\.partial$/.exec(name)?.[1];
    if (pid !== undefined && !isRunning(Number(pid))) rmSync(join(folder, name), { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tooLarge(bytes: number): string {
  return `its ${mb(bytes)} would take more than half the memory available`;
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1e6)} MB`;
}

function sameSource(folder: string, source: Source): boolean {
  try {
    const kept = JSON.parse(readFileSync(join(folder, SOURCE_FILE), 'utf8')) as Source;
    return kept.path === source.path && kept.size === source.size && kept.mtimeMs === source.mtimeMs && kept.format === source.format;
  } catch {
    return false;
  }
}

/** Removes copies of `path` made from earlier contents, and copies whose 4-bit file is gone. */
function removeStaleCopies(cacheFolder: string, path: string): void {
  if (!existsSync(cacheFolder)) return;
  for (const name of readdirSync(cacheFolder)) {
    if (!name.startsWith(COPY_FOLDER_PREFIX)) continue;
    const folder = join(cacheFolder, name);
    let kept: Source | undefined;
    try {
      kept = JSON.parse(readFileSync(join(folder, SOURCE_FILE), 'utf8')) as Source;
    } catch {
      // no record: a copy cut short, or being written by another process right now (left to it)
      continue;
    }
    if (kept.path === path || !existsSync(kept.path)) rmSync(folder, { recursive: true, force: true });
  }
}

function freeDiskBytes(folder: string): number {
  let at = folder;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  const s = statfsSync(at);
  return s.bavail * s.bsize;
}
