// The crash-safe telemetry store: append-only JSON Lines segments in one directory, rotated by size and
// pruned oldest-first under a total cap.
//
// Why this is crash-safe without a database:
// - Each entry is one synchronous write(2) of one whole line to a file opened O_APPEND. Once append() returns
//   the bytes are in the kernel, so killing the process cannot lose them; only power loss can, and segments
//   are fdatasync'd at most every `syncIntervalMs`, on rotation and on close to bound that.
// - A process never appends to a segment it did not create, so a line torn by a crash stays the last line
//   of a file nobody writes to again; readers skip any line that does not parse and validate.
// - Every process (one per VS Code window) writes its own segments, so lines never interleave.
import { closeSync, fdatasyncSync, fstatSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { listSegments } from './telemetryReader';
import { serializeEntry, type TelemetryEntry } from './telemetryRecord';

export interface TelemetryStoreOptions {
  dir: string;
  /** Cap on the bytes of all segments together (this process keeps its own writes under it). */
  maxBytes?: number;
  /** A segment is closed and a new one started past this size. */
  segmentBytes?: number;
  syncIntervalMs?: number;
  /** Epoch milliseconds; injected for tests. */
  now?: () => number;
  pid?: number;
  /** Called once when a file system error stops recording for the rest of the session. */
  onDisabled?: (code: string, error: Error) => void;
}

/** What the recorder needs from a store. */
export interface TelemetrySink {
  append(entry: TelemetryEntry): void;
}

export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;
export const DEFAULT_SEGMENT_BYTES = 1024 * 1024;

export class JsonlTelemetryStore implements TelemetrySink {
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly syncIntervalMs: number;
  private readonly now: () => number;
  private readonly pid: number;
  private fd: number | null = null;
  private activeName: string | null = null;
  private activeBytes = 0;
  private sequence = 0;
  private lastSync = 0;
  private disabled: string | null = null;
  /** After a Clear, a stopped store tries its next write again; its reason stands until one succeeds. */
  private retry = false;

  constructor(private readonly options: TelemetryStoreOptions) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.segmentBytes = options.segmentBytes ?? Math.min(DEFAULT_SEGMENT_BYTES, Math.floor(this.maxBytes / 4));
    if (this.segmentBytes <= 0 || this.segmentBytes > this.maxBytes) {
      throw new RangeError(`segmentBytes must be in (0, maxBytes]; got ${this.segmentBytes} with maxBytes ${this.maxBytes}`);
    }
    this.syncIntervalMs = options.syncIntervalMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.pid = options.pid ?? process.pid;
  }

  get dir(): string {
    return this.options.dir;
  }

  get maxTotalBytes(): number {
    return this.maxBytes;
  }

  get disabledReason(): string | null {
    return this.disabled;
  }

  append(entry: TelemetryEntry): void {
    if (this.disabled !== null && !this.retry) return;
    const line = Buffer.from(serializeEntry(entry), 'utf8');
    try {
      // Deleted under it by another window's Clear: lines written there would be lost with the file.
      const unlinked = this.fd !== null && fstatSync(this.fd).nlink === 0;
      if (this.fd === null || unlinked || (this.activeBytes > 0 && this.activeBytes + line.length > this.segmentBytes)) {
        this.startSegment();
      }
      this.writeLine(line);
      if (this.now() - this.lastSync >= this.syncIntervalMs) this.sync();
      this.disabled = null;
      this.retry = false;
    } catch (error) {
      this.disable(error as NodeJS.ErrnoException);
    }
  }

  /**
   * Deletes every segment, this process's included; the next append starts a new one. Answers how many went and the
   * errors of those that did not (a read-only store: the records came back at the next refresh, and nothing said why).
   */
  clear(): { deleted: number; failures: string[] } {
    this.closeSegment();
    // Room made: a store stopped by a full disk (ENOSPC) records again, and says so again if it fails again. Its
    // reason stays until a write succeeds: a Clear that could not delete in a read-only folder leaves it stopped.
    this.retry = this.disabled !== null;
    let deleted = 0;
    const failures: string[] = [];
    for (const segment of listSegments(this.options.dir)) {
      try {
        unlinkSync(join(this.options.dir, segment.name));
        deleted++;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') failures.push(`${segment.name}: ${code ?? String(error)}`);
      }
    }
    return { deleted, failures };
  }

  close(): void {
    try {
      this.closeSegment();
    } catch (error) {
      this.disable(error as NodeJS.ErrnoException);
    }
  }

  private startSegment(): void {
    this.closeSegment();
    mkdirSync(this.options.dir, { recursive: true, mode: 0o700 });
    // Make room for a full new segment first, so the total stays under the cap while it fills.
    this.prune(this.maxBytes - this.segmentBytes);
    this.sequence++;
    // Never before the newest segment's stamp: name order is age order for pruning, and segments named while the
    // clock was ahead were pruned last, so a month-ahead clock's records outlived 99% of the correct ones.
    const newest = Number(/^telemetry-(\d{13})-/.exec(listSegments(this.options.dir).at(-1)?.name ?? '')?.[1] ?? 0);
    const now = this.now();
    const stamp = String(now > newest ? now : newest + 1).padStart(13, '0');
    this.activeName = `telemetry-${stamp}-${this.pid}-${String(this.sequence % 10000).padStart(4, '0')}.jsonl`;
    this.fd = openSync(join(this.options.dir, this.activeName), 'a', 0o600);
    this.activeBytes = 0;
  }

  private writeLine(line: Buffer): void {
    let written = 0;
    try {
      while (written < line.length) {
        written += writeSync(this.fd as number, line, written, line.length - written);
      }
    } finally {
      this.activeBytes += written;
      // A line cut short must stay the last line of its file: start a new segment for the next entry.
      if (written < line.length) this.closeSegment();
    }
  }

  private sync(): void {
    if (this.fd !== null) fdatasyncSync(this.fd);
    this.lastSync = this.now();
  }

  private closeSegment(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    this.activeName = null;
    try {
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Deletes the oldest segments until the others add up to at most `budget` bytes. */
  private prune(budget: number): void {
    const segments = listSegments(this.options.dir).filter((s) => s.name !== this.activeName);
    let total = segments.reduce((sum, s) => sum + s.bytes, 0);
    for (const segment of segments) {
      if (total <= budget) break;
      if (this.unlink(segment.name)) total -= segment.bytes;
    }
  }

  private unlink(name: string): boolean {
    try {
      unlinkSync(join(this.options.dir, name));
      return true;
    } catch {
      return false; // Already gone, or held open on Windows; the next prune retries.
    }
  }

  private disable(error: NodeJS.ErrnoException): void {
    if (this.disabled !== null && !this.retry) return;
    this.retry = false;
    // mkdir answers EEXIST where the folder's path is a file: the folder is no folder, which ENOTDIR says.
    this.disabled = error.code === 'EEXIST' ? 'ENOTDIR' : (error.code ?? 'EUNKNOWN');
    try {
      if (this.fd !== null) closeSync(this.fd);
    } catch {
      // The descriptor is unusable either way.
    }
    this.fd = null;
    this.activeName = null;
    this.options.onDisabled?.(this.disabled, error);
  }
}
