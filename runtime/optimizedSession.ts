// Sessions of large files from onnxruntime's own optimized form of them, kept in the cache folder
// (prefillCopyCache.ts): the graph after the session's optimizations, with its weights in a data file whose tensors
// onnxruntime aligns so that it maps them instead of reading and copying them. Such a load skips parsing and
// optimizing, and the weights the kernels do not prepack stay the page cache's: on the 0.5B-shaped model the 8-bit
// file's session loaded in 1.6 s against 6.2 s, with 540 MB of private memory against 980 MB
// (bench/results/optimized-copy-*.md). The kernels' prepacked weights are not kept, though onnxruntime can write them:
// it read the 4-bit ones back as NaN logits, and the 8-bit kernels prefilled 5-12% slower on mapped prepacked weights
// than on their own. A copy is written by the load that first needs it, with the session that load uses, and every
// load from it checks that a two-token pass on it gives the logits that session gave.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { arch, cpus } from 'node:os';
import { markCopyUnused, OPTIMIZED_DATA_FILE, optimizedCopy, type PreparedCopy } from './prefillCopyCache';

/** How sessions are made (onnxruntime's, in ortBackend.ts; tests pass their own). */
export interface SessionMaker<S> {
  /** onnxruntime's version and this CPU: what an optimized graph is made for. */
  readonly variant: string;
  /** A session of the file `path`; `optimized`: a kept copy, loaded without optimizing it again. */
  open(path: string, optimized: boolean): Promise<S>;
  /** A session of `path` that also writes its optimized graph to `dest`, the weights in `dataFile` beside it. */
  openAndSave(path: string, dest: string, dataFile: string): Promise<S>;
  /** The logits of a two-token pass from an empty cache. */
  probe(session: S): Promise<Float32Array>;
  release(session: S): Promise<void>;
}

export interface OptimizedFileSession<S> {
  session: S;
  /** The kept copy the session was loaded from or written to, or why there is none, in words. */
  copy: PreparedCopy;
}

/**
 * A session of the large file `path`, from its kept optimized copy in `cacheFolder`, writing that copy where there is
 * none. Throws only what opening `path` throws.
 */
export async function optimizedFileSession<S>(
  path: string,
  cacheFolder: string,
  maker: SessionMaker<S>,
  onBuild?: (bytes: number) => void,
): Promise<OptimizedFileSession<S>> {
  let built: S | undefined;
  const copy = await optimizedCopy(
    path,
    cacheFolder,
    maker.variant,
    async (source, dest, allow) => {
      const bytes = statSync(source).size;
      const refusal = allow(bytes, bytes);
      if (refusal !== undefined) return { skipped: refusal };
      try {
        built = await maker.openAndSave(source, dest, OPTIMIZED_DATA_FILE);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        // Tried again at every load, a file onnxruntime cannot write would cost each a second attempt at it; a full
        // disk, a quota or a file-size limit may pass, and kept this copy off for good.
        return { skipped: `onnxruntime did not write it (${message})`, ...(!mayPass(message) && { lasting: true as const }) };
      }
      // A copy without its check (the pass failed) is refused at its first load, and not tried again.
      const check = await maker.probe(built).then(sampledLogits, () => undefined);
      return { bytes: statSync(dest).size, ...(check !== undefined && { check }) };
    },
    onBuild,
  );
  if (built !== undefined) return { session: built, copy };
  if ('file' in copy) {
    const refused = await copyRefusal(maker, copy.file, copy.check);
    if ('session' in refused) return { session: refused.session, copy };
    // Never loaded again, its files would only take disk.
    markCopyUnused(copy.file, refused.why, true);
  }
  return { session: await maker.open(path, false), copy: 'skipped' in copy ? copy : { skipped: 'it was refused at this load' } };
}

/**
 * The session of the copy `file`, or why it is not used: onnxruntime refuses it, or a two-token pass on it does not
 * give the logits its file gave when it was written (`check`): a copy spoilt on disk, or weights that onnxruntime
 * does not read back as it wrote them.
 */
async function copyRefusal<S>(maker: SessionMaker<S>, file: string, check: number[] | undefined): Promise<{ session: S } | { why: string }> {
  let session: S | undefined;
  try {
    if (check === undefined) return { why: 'its record holds no logits to check it against' };
    session = await maker.open(file, true);
    if (logitsAgree(Float32Array.from(check), sampledLogits(await maker.probe(session)))) return { session };
    await maker.release(session);
    return { why: 'a pass on it did not give the logits its file gave' };
  } catch (e) {
    if (session !== undefined) await maker.release(session);
    return { why: `onnxruntime refused it (${e instanceof Error ? e.message : String(e)})` };
  }
}

/** Logits kept in a copy's record: enough to tell a copy that computes something else, small enough for its record. */
const CHECKED_LOGITS = 256;

/** CHECKED_LOGITS of `logits`, evenly spaced, then the largest. */
export function sampledLogits(logits: Float32Array): number[] {
  const step = Math.max(1, Math.floor(logits.length / CHECKED_LOGITS));
  const out: number[] = [];
  for (let i = 0; i < logits.length && out.length < CHECKED_LOGITS; i += step) out.push(logits[i]!);
  let largest = -Infinity;
  for (const v of logits) largest = Number.isNaN(v) ? Number.NaN : Math.max(largest, v);
  out.push(largest);
  return out;
}

/** Largest difference of a copy's probe logits from its file's, relative to the largest logit. */
const COPY_TOLERANCE = 1e-3;

/** Whether `got` is `want` to COPY_TOLERANCE of its largest logit, every value finite. */
export function logitsAgree(want: ArrayLike<number>, got: ArrayLike<number>): boolean {
  if (want.length !== got.length || want.length === 0) return false;
  let scale = 1;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(got[i]!) || !(Math.abs(got[i]! - want[i]!) <= COPY_TOLERANCE * scale)) return false;
  }
  return true;
}

/**
 * This CPU as far as compiled kernels care: its model, architecture and (on Linux) instruction-set flags. A cache
 * folder shared by machines (a network home) then keeps a copy per kind of CPU.
 */
export function cpuIdentity(): string {
  identity ??= readCpuIdentity();
  return identity;
}

/** The CPU does not change while the process runs: read once, at the first large load. */
let identity: string | undefined;

function readCpuIdentity(): string {
  let flags = '';
  try {
    flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? '';
  } catch {
    // not Linux: the model name stands for the flags
  }
  const model = cpus()[0]?.model ?? 'unknown CPU';
  return `${model} (${arch()}${flags === '' ? '' : `, flags ${createHash('sha256').update(flags).digest('hex').slice(0, 12)}`})`;
}

/** Whether a failure to write a copy comes from the file system's state (room, quota, limits), which may change. */
export function mayPass(message: string): boolean {
  // Words case-insensitively, error codes only in capitals (a folder named `eio` in a path is not EIO).
  return /\b(no space left|disk quota|quota exceeded|file too large|input\/output error|read-only file system|permission denied)\b/i.test(message) || /\b(ENOSPC|EDQUOT|EFBIG|EIO|EROFS|EACCES|EPERM)\b/.test(message);
}
