// Reads the telemetry store's segments: every readable entry, oldest first. Used wherever summaries are
// computed (the query worker, or the server thread when no worker is available). It never writes.
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TelemetryStoreStats } from '../protocol';
import { parseEntry, type TelemetryEntry } from './telemetryRecord';

export interface TelemetryReadResult {
  entries: TelemetryEntry[];
  stats: TelemetryStoreStats;
}

export interface Segment {
  name: string;
  bytes: number;
}

/** A segment parsed up to `offset`, the end of its last complete line. */
interface ParsedSegment {
  bytes: number;
  offset: number;
  entries: TelemetryEntry[];
  skippedLines: number;
  /** Bytes after the last newline: a line being written by another window, or one a crash cut short. */
  partialTail: boolean;
}

const SEGMENT_PATTERN = /^telemetry-\d{13}-\d+-\d{4}\.jsonl$/;

/** The store's segments in `dir`, oldest first; empty when the folder does not exist. */
export function listSegments(dir: string): Segment[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const segments: Segment[] = [];
  // Names start with a zero-padded creation time, so name order is age order.
  for (const name of names.filter((n) => SEGMENT_PATTERN.test(n)).sort()) {
    try {
      const stat = statSync(join(dir, name));
      // Only files: opening a pipe named like a segment waited for a writer forever, and every later read behind it.
      if (stat.isFile()) segments.push({ name, bytes: stat.size });
    } catch {
      // Deleted by another window meanwhile.
    }
  }
  return segments;
}

export class JsonlTelemetryReader {
  /** Rotated segments never change and active ones only grow, so each read parses only the new bytes. */
  private readonly parsed = new Map<string, ParsedSegment>();

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  /**
   * Every readable entry, oldest segment first. Lines that do not parse (torn by a crash) are counted and
   * skipped. `disabledReason` is the writer's to know and is left null here.
   */
  read(): TelemetryReadResult {
    const entries: TelemetryEntry[] = [];
    let skippedLines = 0;
    let bytes = 0;
    const seen = new Set<string>();
    for (const segment of listSegments(this.dir)) {
      // Locus writes none over the cap: a larger file in the folder is not ours to read whole (600 MB broke the read).
      if (segment.bytes > this.maxBytes) {
        skippedLines++;
        continue;
      }
      const parsed = this.parseSegment(segment);
      if (!parsed) continue; // Pruned by another window between listing and reading.
      seen.add(segment.name);
      bytes += parsed.bytes;
      skippedLines += parsed.skippedLines + (parsed.partialTail ? 1 : 0);
      for (const entry of parsed.entries) entries.push(entry);
    }
    for (const name of this.parsed.keys()) if (!seen.has(name)) this.parsed.delete(name);
    return {
      entries,
      stats: { files: seen.size, bytes, maxBytes: this.maxBytes, skippedLines, disabledReason: null },
    };
  }

  private parseSegment(segment: Segment): ParsedSegment | null {
    const cached = this.parsed.get(segment.name);
    if (cached && cached.bytes === segment.bytes) return cached;
    const base = cached && cached.bytes < segment.bytes ? cached : undefined;
    const start = base?.offset ?? 0;
    let chunk: Buffer;
    try {
      chunk = readRange(join(this.dir, segment.name), start);
    } catch {
      this.parsed.delete(segment.name);
      return null;
    }
    const end = chunk.lastIndexOf(0x0a) + 1;
    const entries = base?.entries ?? [];
    let skippedLines = base?.skippedLines ?? 0;
    // Only whole lines are decoded, so a multi-byte character is never split.
    for (const line of chunk.toString('utf8', 0, end).split('\n')) {
      if (line.length === 0) continue;
      const entry = parseEntry(line);
      if (entry) entries.push(entry);
      else skippedLines++;
    }
    const result = { bytes: start + chunk.length, offset: start + end, entries, skippedLines, partialTail: end < chunk.length };
    this.parsed.set(segment.name, result);
    return result;
  }
}

/** The bytes of a file from `start` to its current end. */
function readRange(path: string, start: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.max(0, size - start));
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, start + read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
