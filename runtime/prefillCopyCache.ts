// Keeps copies of model files in a cache folder, one of each kind per file, built at the first load and reused
// after (large files, and small 4-bit ones: modelLoader.ts): 8-bit copies of 4-bit models for long prompt prefills (int8PrefillFile.ts), and large files as the
// runtime prepares them (preparedModel.ts), which then load from their path instead of being prepared in memory at
// every load; their decode-step graphs (decodeStepFile.ts); and onnxruntime's optimized copies of the files a large
// model's sessions open (optimizedSession.ts). Only folders without an 8-bit file of their own get an 8-bit copy (modelFiles.ts picks that first):
// such a model's 512-token prompt prefilled in 1117 ms on its 4-bit weights against 444 ms on the copy (0.5B-shaped,
// two threads; bench/results/prefill-file-copy-*.md). A copy is keyed by the file's real path, size, modification
// time and inode (and what else it depends on), so an edited or replaced model gets a new one, and copies of its
// earlier contents are removed. Several processes (VS Code windows) may load the same model at once: one builds
// while the others go without, and a copy is renamed into place only once whole and flushed.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmdirSync, rmSync, statfsSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { AttentionShape } from './attentionFusion';
import { DECODE_STEP_COPY_VERSION, writeDecodeStepFile } from './decodeStepFile';
import { INT8_COPY_VERSION, writeInt8PrefillFile } from './int8PrefillFile';
import type { PrefillFile } from './modelFiles';
import { PREPARED_COPY_VERSION, writePreparedFile } from './preparedFile';
import type { PrepareOptions } from './preparedModel';
import { prefillFileFits } from './prefillFile';
import { isWriterRunning } from './processRunning';

const RECORD_FILE = 'source.json';
/** Disk space left free after writing a copy. */
const DISK_RESERVE_BYTES = 2e9;


export type PrefillCopy = { file: PrefillFile; builtMs?: number } | { skipped: string };

/** A kind of copy: where it goes, what it depends on beside the file, how it is written. */
interface CopyKind {
  /** Its folders' name prefix. */
  prefix: string;
  /** The copy's file name in its folder. */
  file: string;
  version: number;
  /** What else the copy's bytes depend on (the options it was prepared with), compared as a string. */
  variant?: string;
  /** Writes the copy of `path` to `dest` once `allow` says yes to its size and disk; throws only on I/O errors. */
  write(path: string, dest: string, allow: (bytes: number, diskBytes: number) => string | undefined): { bytes: number } | { skipped: string; unneeded?: true };
  /** Why a copy of `bytes` may not be used now (memory), in words; undefined where it may. */
  refusal?(bytes: number): string | undefined;
  /** The file beside `file` that holds its weights, where the writer writes one (under this name, not a partial one). */
  dataFile?: string;
}

/** The file a copy was made from, as it was then. */
interface Source {
  /** Its real path (links resolved). */
  path: string;
  /** Its path as the model folder names it (a Hugging Face cache links it to a blob that changes with each version). */
  named: string;
  size: number;
  mtimeMs: number;
  ino: number;
  version: number;
  variant?: string;
}

/** A kept copy's record, written once the copy is in place. */
interface CopyRecord extends Source {
  /** The copy's size: a copy of another size was cut short. */
  bytes: number;
  /** Why the runtime did not use it (markCopyUnused): it is not tried again. */
  unused?: string;
  /** The data file's size, for kinds with one. */
  dataBytes?: number;
  /** What a load from the copy checks it against, for kinds that give one (optimizedSession.ts: sampled logits). */
  check?: number[];
}

/**
 * The 8-bit copy of the large 4-bit file `q4Path` in `cacheFolder`, built now if there is none for its current
 * contents (`builtMs` then says how long it took); or why there is none, in words. Never throws: the copy only makes
 * prefills faster. `onBuild` is told the copy's size as its writing starts; `availableMemory` is for tests.
 */
export function prefillCopy(
  q4Path: string,
  cacheFolder: string,
  options: { onBuild?: (bytes: number) => void; availableMemory?: number; attention?: AttentionShape } = {},
): PrefillCopy {
  const { availableMemory } = options;
  const kind: CopyKind = {
    prefix: 'int8-prefill-',
    file: 'model_int8.onnx',
    version: INT8_COPY_VERSION,
    write: (path, dest, allow) => writeInt8PrefillFile(path, dest, allow, options.attention),
    refusal: (bytes) => (prefillFileFits(bytes, availableMemory) ? undefined : `its ${mb(bytes)} would take more than half the memory available`),
  };
  const copy = keptCopy(kind, q4Path, cacheFolder, options.onBuild);
  return 'skipped' in copy ? copy : { file: { onnx: copy.file, bytes: copy.bytes }, ...(copy.builtMs !== undefined && { builtMs: copy.builtMs }) };
}

/** A kept copy, or why there is none (`unneeded`: the file needs no change, and is loaded as it is). */
export type PreparedCopy = { file: string; bytes: number; builtMs?: number; check?: number[] } | { skipped: string; unneeded?: true };

/**
 * The large file `onnxPath` as the runtime prepares it with `prepare` (preparedModel.ts), kept in `cacheFolder`:
 * built now if there is none for its current contents; or why there is none (nothing to prepare, weights in
 * external data files, no room), in words. Never throws: without it the file is prepared in memory as it loads.
 */
export function preparedCopy(onnxPath: string, cacheFolder: string, prepare: PrepareOptions, options: { onBuild?: (bytes: number) => void } = {}): PreparedCopy {
  const kind: CopyKind = {
    prefix: 'prepared-',
    file: 'model.onnx',
    version: PREPARED_COPY_VERSION,
    variant: JSON.stringify(prepare),
    // Loaded from its path, it takes what the file would: the memory check at load covers it.
    write: (path, dest, allow) => writePreparedFile(path, dest, prepare, allow),
  };
  return keptCopy(kind, onnxPath, cacheFolder, options.onBuild);
}

/**
 * The decode-step file of the large file `onnxPath` (decodeStepFile.ts: its attention decomposed), kept in
 * `cacheFolder` as preparedCopy keeps a prepared file. It stands in for the file's session, so it needs no memory of
 * its own.
 */
export function decodeStepCopy(onnxPath: string, cacheFolder: string, options: { onBuild?: (bytes: number) => void } = {}): PreparedCopy {
  const kind: CopyKind = { prefix: 'decode-steps-', file: 'model.onnx', version: DECODE_STEP_COPY_VERSION, write: writeDecodeStepFile };
  return keptCopy(kind, onnxPath, cacheFolder, options.onBuild);
}

/** Raised when what onnxruntime writes of a graph, or how the copy is checked, changes: older copies are rebuilt (2: no prepacked weights). */
const OPTIMIZED_COPY_VERSION = 2;
/** The data file beside an optimized copy's graph: onnxruntime maps its weights from it. */
export const OPTIMIZED_DATA_FILE = 'model.onnx.data';

/**
 * onnxruntime's optimized form of the large file `onnxPath`, kept in `cacheFolder` (optimizedSession.ts): built now by
 * `write` where there is none for the file's current contents and `variant` (onnxruntime's version and this CPU, which
 * the optimized graph is made for); or why there is none, in words. Never throws.
 */
export async function optimizedCopy(
  onnxPath: string,
  cacheFolder: string,
  variant: string,
  write: (path: string, dest: string, allow: (bytes: number, diskBytes: number) => string | undefined) => Promise<{ bytes: number; check?: number[] } | { skipped: string; lasting?: true }>,
  onBuild?: (bytes: number) => void,
): Promise<PreparedCopy> {
  const kind: AsyncCopyKind = { prefix: 'optimized-', file: 'model.onnx', dataFile: OPTIMIZED_DATA_FILE, version: OPTIMIZED_COPY_VERSION, variant, write };
  try {
    const found = findOrClaim(kind, onnxPath, cacheFolder);
    if (!('partial' in found)) return found;
    try {
      const started = performance.now();
      return settle(kind, found, await kind.write(found.source.path, found.partial, allowance(kind, cacheFolder, found.folder, onBuild)), started);
    } finally {
      release(kind, found);
    }
  } catch (e) {
    return { skipped: `it could not be built in ${cacheFolder} (${e instanceof Error ? e.message : String(e)})` };
  }
}

function keptCopy(kind: CopyKind, sourcePath: string, cacheFolder: string, onBuild?: (bytes: number) => void): PreparedCopy {
  try {
    const found = findOrClaim(kind, sourcePath, cacheFolder);
    if (!('partial' in found)) return found;
    try {
      const started = performance.now();
      return settle(kind, found, kind.write(found.source.path, found.partial, allowance(kind, cacheFolder, found.folder, onBuild)), started);
    } finally {
      release(kind, found);
    }
  } catch (e) {
    return { skipped: `it could not be built in ${cacheFolder} (${e instanceof Error ? e.message : String(e)})` };
  }
}

/** A copy kind written asynchronously (by onnxruntime), with a data file beside it. */
interface AsyncCopyKind extends Omit<CopyKind, 'write'> {
  write(path: string, dest: string, allow: (bytes: number, diskBytes: number) => string | undefined): Promise<{ bytes: number; check?: number[] } | { skipped: string; lasting?: true }>;
}

/** Where a copy is built: its folder and file, the partial file it is written to, its lock (taken) and its source. */
interface Claim {
  folder: string;
  file: string;
  partial: string;
  lock: string;
  source: Source;
  /** Set once the copy is in place. */
  settled?: true;
}

/** The kept copy of `sourcePath`, why there is none, or the claim to build it now (its lock taken, stale copies removed). */
function findOrClaim(kind: Omit<CopyKind, 'write'>, sourcePath: string, cacheFolder: string): PreparedCopy | Claim {
  const named = resolve(sourcePath);
  const path = realpathSync.native(named);
  const { size, mtimeMs, ino } = statSync(path);
  const source: Source = { path, named, size, mtimeMs, ino, version: kind.version, ...(kind.variant !== undefined && { variant: kind.variant }) };
  const folder = join(cacheFolder, kind.prefix + createHash('sha256').update(JSON.stringify({ ...source, named: '' })).digest('hex').slice(0, 16));
  const file = join(folder, kind.file);
  const kept = readRecord(folder);
  // A copy refused for good may have left only its record (markCopyUnused with removeFiles).
  if (kept?.unused !== undefined && sameSource(kept, source)) return { skipped: `the copy in ${folder} was not used at an earlier load (${kept.unused}); delete that folder to try again` };
  if (kept && sameSource(kept, source) && existsSync(file) && statSync(file).size === kept.bytes && dataFileWhole(kind, folder, kept)) {
    removeAbandonedPartials(folder);
    const refusal = kind.refusal?.(kept.bytes);
    return refusal === undefined ? { file, bytes: kept.bytes, ...(kept.check !== undefined && { check: kept.check }) } : { skipped: refusal };
  }
  makeFolder(cacheFolder);
  removeStaleCopies(cacheFolder, kind.prefix, source, folder);
  const lock = `${folder}.lock`;
  const taken = takeLock(lock);
  if (taken !== true) return { skipped: taken === 'held' ? 'another Locus process is building it now; a later load will use it' : `the cache folder ${cacheFolder} cannot be written (${taken}): make it writable for your user` };
  // A data file is written under its own name, not a partial one: one without a whole copy is a build that died.
  if (kind.dataFile !== undefined) rmSync(join(folder, kind.dataFile), { force: true });
  return { folder, file, partial: join(folder, `${kind.file}.${process.pid}.partial`), lock, source };
}

/** Whether a kind's data file is there at the size its record gives (kinds without one: yes). */
function dataFileWhole(kind: Omit<CopyKind, 'write'>, folder: string, kept: CopyRecord): boolean {
  if (kind.dataFile === undefined) return true;
  const data = join(folder, kind.dataFile);
  return existsSync(data) && statSync(data).size === kept.dataBytes;
}

/** The check a copy's writer calls before it writes: the kind's refusal, then the disk; on yes, the folder is made. */
function allowance(kind: Omit<CopyKind, 'write'>, cacheFolder: string, folder: string, onBuild?: (bytes: number) => void) {
  return (bytes: number, diskBytes: number): string | undefined => {
    const refusal = kind.refusal?.(bytes);
    if (refusal !== undefined) return refusal;
    const free = freeDiskBytes(cacheFolder);
    if (free !== undefined && free < diskBytes + DISK_RESERVE_BYTES) {
      return `writing it takes ${mb(diskBytes)} of disk, ${cacheFolder} has ${mb(free)} free and 2 GB are kept free`;
    }
    makeFolder(folder);
    removeAbandonedPartials(folder);
    onBuild?.(bytes);
    return undefined;
  };
}

/** Puts a written copy in place (its record last: a copy without one is never reused), or passes on why there is none. */
function settle(
  kind: Omit<CopyKind, 'write'>,
  claim: Claim,
  result: { bytes: number; check?: number[] } | { skipped: string; unneeded?: true; lasting?: true },
  started: number,
): PreparedCopy {
  if ('skipped' in result) {
    // `lasting`: its record alone, so that later loads neither build nor load it.
    if (result.lasting) writeRecord(claim.folder, { ...claim.source, bytes: 0, unused: result.skipped });
    return { skipped: result.skipped, ...('unneeded' in result && { unneeded: result.unneeded }) };
  }
  rmSync(join(claim.folder, RECORD_FILE), { force: true });
  renameSync(claim.partial, claim.file);
  const dataBytes = kind.dataFile === undefined ? undefined : statSync(join(claim.folder, kind.dataFile)).size;
  writeRecord(claim.folder, { ...claim.source, bytes: result.bytes, ...(dataBytes !== undefined && { dataBytes }), ...(result.check !== undefined && { check: result.check }) });
  claim.settled = true;
  return { file: claim.file, bytes: result.bytes, builtMs: performance.now() - started, ...(result.check !== undefined && { check: result.check }) };
}

/** Removes what a build left that is not a whole copy, and the build's lock. */
function release(kind: Omit<CopyKind, 'write'>, claim: Claim): void {
  rmSync(claim.partial, { force: true });
  if (kind.dataFile !== undefined && !claim.settled) rmSync(join(claim.folder, kind.dataFile), { force: true });
  rmSync(claim.lock, { force: true });
  removeIfEmpty(claim.folder);
}

/**
 * Records that the runtime did not use the copy `copyFile` (and why), so later loads do not build or load it again.
 * `removeFiles`: its files go too, only the record staying.
 */
export function markCopyUnused(copyFile: string, why: string, removeFiles = false): void {
  const folder = dirname(copyFile);
  const kept = readRecord(folder);
  try {
    if (!kept) return;
    writeRecord(folder, { ...kept, unused: why });
    if (removeFiles) for (const name of readdirSync(folder)) if (name !== RECORD_FILE) rmSync(join(folder, name), { force: true });
  } catch {
    // unrecorded, it is tried again at the next load
  }
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1e6)} MB`;
}

function readRecord(folder: string): CopyRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(folder, RECORD_FILE), 'utf8')) as CopyRecord;
  } catch {
    return undefined;
  }
}

function writeRecord(folder: string, record: CopyRecord): void {
  const temporary = join(folder, `${RECORD_FILE}.${process.pid}`);
  writeFileSync(temporary, JSON.stringify(record));
  renameSync(temporary, join(folder, RECORD_FILE));
}

function sameSource(kept: Source, source: Source): boolean {
  return (
    kept.path === source.path &&
    kept.size === source.size &&
    kept.mtimeMs === source.mtimeMs &&
    kept.ino === source.ino &&
    kept.version === source.version &&
    kept.variant === source.variant
  );
}

/**
 * Removes the copies of this kind (`prefix`) of this model's earlier contents (same real or named path), copies whose
 * file is gone, and folders left without a record by a build that died. `current` (this contents' folder) is left to
 * its builder.
 */
function removeStaleCopies(cacheFolder: string, prefix: string, source: Source, current: string): void {
  for (const name of readdirSync(cacheFolder)) {
    const folder = join(cacheFolder, name);
    if (!name.startsWith(prefix) || name.endsWith('.lock') || folder === current) continue;
    try {
      if (lockHeld(`${folder}.lock`)) continue;
      const kept = readRecord(folder);
      const stale = kept === undefined || kept.path === source.path || kept.named === source.named || isGone(kept.path);
      if (stale) rmSync(folder, { recursive: true, force: true });
    } catch {
      // another model's copy that cannot be removed now does not stop this one
    }
  }
}

/** Only a file that is surely gone counts: a drive that is not mounted or a folder not readable now may come back. */
function isGone(path: string): boolean {
  try {
    statSync(path);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Whether the process a partial copy is named after is still writing it. */
function writerRuns(path: string, pid: number): boolean {
  try {
    return isWriterRunning(pid, statSync(path).mtimeMs);
  } catch {
    return true; // gone meanwhile: nothing to remove
  }
}

/** Partial copies whose writer died (the pid in their name no longer runs): a killed load leaves one behind. */
function removeAbandonedPartials(folder: string): void {
  for (const name of readdirSync(folder)) {
    const pid = /\.(\d+)\.partial(\.int8)?$/.exec(name)?.[1];
    if (pid !== undefined && !writerRuns(join(folder, name), Number(pid))) rmSync(join(folder, name), { force: true });
  }
}

/**
 * Creates the lock file with this process's pid: true, or `held` when a running process holds it, or the error code
 * when the folder cannot be written (it was reported as another process building, at every load). A dead holder's
 * lock is taken over.
 */
function takeLock(lock: string): true | 'held' | string {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      if (code !== 'EEXIST') return code;
      if (lockHeld(lock)) return 'held';
      rmSync(lock, { force: true });
    }
  }
  return 'held';
}

/** A lock this young without a pid is being taken right now; an older one was left by a process that died taking it. */
const LOCK_WRITE_GRACE_MS = 60_000;

function lockHeld(lock: string): boolean {
  try {
    const text = readFileSync(lock, 'utf8');
    const { mtimeMs } = statSync(lock);
    if (text === '') return Date.now() - mtimeMs < LOCK_WRITE_GRACE_MS;
    return isWriterRunning(Number(text), mtimeMs);
  } catch {
    return false;
  }
}

/**
 * mkdirSync with `recursive`, one level at a time: Node's own loops forever where mkdir fails with ENOENT under a
 * parent that exists (a cache folder set to a path in /proc hung the load).
 */
function makeFolder(folder: string): void {
  if (existsSync(folder)) return;
  const parent = dirname(folder);
  if (parent !== folder) makeFolder(parent);
  mkdirSync(folder, { mode: 0o700 });
}

function removeIfEmpty(folder: string): void {
  try {
    rmdirSync(folder);
  } catch {
    // not empty (a copy is in it), or gone
  }
}

/** Free bytes on the disk holding `folder`, or undefined where the file system does not say. */
function freeDiskBytes(folder: string): number | undefined {
  try {
    const s = statfsSync(folder);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}
