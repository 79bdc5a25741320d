import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RECORD_VERSION, serializeEntry, type RequestRecord } from '../../lsp-server/telemetry/telemetryRecord';
import { JsonlTelemetryReader, type TelemetryReadResult } from '../../lsp-server/telemetry/telemetryReader';
import { JsonlTelemetryStore } from '../../lsp-server/telemetry/telemetryStore';

const root = mkdtempSync(join(tmpdir(), 'locus-telemetry-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = (): string => join(root, `store-${dirCount++}`);

// Fixed-width ids keep every line the same length, so segment sizes are exact.
const id = (sequence: number): string => `r${String(sequence).padStart(4, '0')}`;

function record(sequence: number): RequestRecord {
  return {
    v: RECORD_VERSION,
    kind: 'request',
    id: id(sequence),
    receivedAt: 1_700_000_000_000 + sequence * 1000,
    promptBuiltMs: 12.3,
    firstTokenMs: 95.1,
    doneMs: 240.7,
    retrievalMs: 4.2,
    compressionMs: 1.1,
    promptTokens: 1800,
    promptTokensCompressed: 900,
    generatedTokens: 28,
    tokensPerSecond: 101.2,
    draftProposed: null,
    draftAccepted: null,
    prefixCacheHit: false,
    servedFromCache: false,
    cachedFrom: null,
    model: 'locus-small',
    language: 'python',
    outcome: 'offered',
  };
}

// One reader per store, as the query worker keeps one: later reads parse only what was appended since.
const readers = new WeakMap<JsonlTelemetryStore, JsonlTelemetryReader>();
function readBack(store: JsonlTelemetryStore): TelemetryReadResult {
  const reader = readers.get(store) ?? new JsonlTelemetryReader(store.dir, store.maxTotalBytes);
  readers.set(store, reader);
  return reader.read();
}
const ids = (store: JsonlTelemetryStore): string[] => readBack(store).entries.map((e) => e.id);
const dirBytes = (dir: string): number => readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);

describe('JsonlTelemetryStore', () => {
  it('reads back what it appended, in order, with private file permissions', () => {
    const dir = freshDir();
    const store = new JsonlTelemetryStore({ dir });
    for (let i = 0; i < 5; i++) store.append(record(i));
    store.append({ v: RECORD_VERSION, kind: 'outcome', id: id(3), at: 1_700_000_010_000, acceptance: 'accepted' });
    const read = readBack(store);
    assert.deepEqual(read.entries.slice(0, 5), [0, 1, 2, 3, 4].map(record));
    assert.deepEqual(read.entries[5], { v: 1, kind: 'outcome', id: id(3), at: 1_700_000_010_000, acceptance: 'accepted' });
    assert.equal(read.stats.files, 1);
    assert.equal(read.stats.skippedLines, 0);
    const [file] = readdirSync(dir);
    if (process.platform !== 'win32') assert.equal(statSync(join(dir, file as string)).mode & 0o777, 0o600);
    store.close();
  });

  it('rotates to a new segment past segmentBytes and reads across segments', () => {
    const dir = freshDir();
    const lineBytes = readLineBytes();
    const store = new JsonlTelemetryStore({ dir, segmentBytes: lineBytes * 10, maxBytes: lineBytes * 1000 });
    for (let i = 0; i < 35; i++) store.append(record(i));
    store.close();
    const files = readdirSync(dir).sort();
    assert.equal(files.length, 4);
    for (const file of files.slice(0, 3)) assert.equal(statSync(join(dir, file)).size, lineBytes * 10);
    assert.deepEqual(ids(new JsonlTelemetryStore({ dir })), Array.from({ length: 35 }, (_, i) => id(i)));
  });

  it('keeps the total under maxBytes by deleting the oldest segments', () => {
    const dir = freshDir();
    const lineBytes = readLineBytes();
    const maxBytes = lineBytes * 40;
    const store = new JsonlTelemetryStore({ dir, segmentBytes: lineBytes * 10, maxBytes });
    for (let i = 0; i < 500; i++) {
      store.append(record(i));
      assert.ok(dirBytes(dir) <= maxBytes, `after ${i + 1} appends the store holds ${dirBytes(dir)} > ${maxBytes} bytes`);
    }
    const kept = ids(store);
    // Whole segments go, oldest first: what is left is the newest records, contiguous.
    assert.ok(kept.length >= 30 && kept.length <= 40, `kept ${kept.length}`);
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => id(500 - kept.length + i)));
    assert.ok(readdirSync(dir).length <= 4);
    store.close();
  });

  it('keeps the newest records when the clock was ahead for a while: later segments are never named before earlier ones', () => {
    const dir = freshDir();
    const lineBytes = readLineBytes();
    const maxBytes = lineBytes * 40;
    let clock = Date.UTC(2027, 0, 1); // a month ahead
    const store = new JsonlTelemetryStore({ dir, segmentBytes: lineBytes * 10, maxBytes, now: () => clock });
    for (let i = 0; i < 50; i++) store.append(record(i));
    clock = Date.UTC(2026, 11, 1); // corrected
    for (let i = 50; i < 300; i++) store.append(record(i));
    const kept = ids(store);
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => id(300 - kept.length + i)), 'what is left is the newest records');
    store.close();
  });

  it('skips a torn last line, and a later process writes a fresh segment instead of continuing it', () => {
    const dir = freshDir();
    const first = new JsonlTelemetryStore({ dir, now: () => 1_700_000_000_000 });
    for (let i = 0; i < 3; i++) first.append(record(i));
    first.close();
    const [file] = readdirSync(dir);
    const path = join(dir, file as string);
    truncateSync(path, statSync(path).size - 25); // The crash cut record r2 short.
    const second = new JsonlTelemetryStore({ dir, now: () => 1_700_000_000_001, pid: 2 });
    second.append(record(3));
    const read = readBack(second);
    assert.deepEqual(read.entries.map((e) => e.id), [id(0), id(1), id(3)]);
    assert.equal(read.stats.skippedLines, 1);
    assert.equal(readdirSync(dir).length, 2);
    second.close();
  });

  it("follows another window's growing segment, counting a half-written line only until it is complete", () => {
    const dir = freshDir();
    const store = new JsonlTelemetryStore({ dir });
    store.append(record(0));
    const other = join(dir, 'telemetry-1700000000000-99999-0001.jsonl');
    const line = serializeEntry(record(1));
    writeFileSync(other, line.slice(0, 40));
    let read = readBack(store);
    assert.deepEqual(read.entries.map((e) => e.id).sort(), [id(0)]);
    assert.equal(read.stats.skippedLines, 1);
    appendFileSync(other, line.slice(40) + serializeEntry(record(2)));
    store.append(record(3));
    read = readBack(store);
    assert.deepEqual(read.entries.map((e) => e.id).sort(), [id(0), id(1), id(2), id(3)]);
    assert.equal(read.stats.skippedLines, 0);
    assert.equal(read.stats.bytes, dirBytes(dir));
    store.close();
  });

  it('ignores foreign files and lines that fail validation', () => {
    const dir = freshDir();
    const store = new JsonlTelemetryStore({ dir });
    store.append(record(0));
    store.close();
    const [file] = readdirSync(dir);
    appendFileSync(join(dir, file as string), '{"v":1,"kind":"request","id":"x"}\nnot json\n{"v":2,"kind":"outcome"}\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a segment\n');
    const read = readBack(store);
    assert.deepEqual(read.entries.map((e) => e.id), [id(0)]);
    assert.equal(read.stats.skippedLines, 3);
    assert.equal(read.stats.files, 1);
  });

  it('stops recording, once and without throwing, when the directory cannot be written', () => {
    const blocker = join(root, `blocker-${dirCount++}`);
    writeFileSync(blocker, 'a file where the directory should be');
    const reasons: string[] = [];
    const store = new JsonlTelemetryStore({ dir: join(blocker, 'telemetry'), onDisabled: (code) => reasons.push(code) });
    store.append(record(0));
    store.append(record(1));
    assert.deepEqual(reasons, ['ENOTDIR']);
    assert.equal(store.disabledReason, 'ENOTDIR');
  });

  it('says ENOTDIR for a folder that is a file, and keeps its reason through a Clear until a write succeeds', () => {
    const dir = freshDir();
    writeFileSync(dir, 'a file where the folder should be');
    const reasons: string[] = [];
    const store = new JsonlTelemetryStore({ dir, onDisabled: (code) => reasons.push(code) });
    store.append(record(0));
    assert.equal(store.disabledReason, 'ENOTDIR');
    // A Clear makes no write succeed: the dashboard must go on saying that recording stopped.
    store.clear();
    assert.equal(store.disabledReason, 'ENOTDIR');
    store.append(record(1));
    store.append(record(2));
    assert.deepEqual(reasons, ['ENOTDIR', 'ENOTDIR']);
    assert.equal(store.disabledReason, 'ENOTDIR');
    store.clear();
    rmSync(dir);
    store.append(record(3));
    assert.equal(store.disabledReason, null);
    assert.deepEqual(ids(store), [id(3)]);
    store.close();
  });

  it('clear() deletes every segment and later appends start over', () => {
    const dir = freshDir();
    const store = new JsonlTelemetryStore({ dir, segmentBytes: readLineBytes() * 2, maxBytes: 1 << 20 });
    for (let i = 0; i < 5; i++) store.append(record(i));
    assert.deepEqual(store.clear(), { deleted: 3, failures: [] });
    assert.deepEqual(ids(store), []);
    store.append(record(9));
    assert.deepEqual(ids(store), [id(9)]);
    store.close();
  });

  it('skips a file in the folder larger than the cap, which Locus never writes, instead of failing the read', () => {
    const dir = freshDir();
    const store = new JsonlTelemetryStore({ dir, maxBytes: 4096 });
    store.append(record(0));
    writeFileSync(join(dir, 'telemetry-0000000000001-9-0001.jsonl'), `${'x'.repeat(8192)}\n`);
    const read = readBack(store);
    assert.deepEqual(read.entries.map((e) => e.id), [id(0)]);
    assert.equal(read.stats.skippedLines, 1);
    store.close();
  });

  it('keeps the records another window writes after this one cleared the folder', () => {
    const dir = freshDir();
    const mine = new JsonlTelemetryStore({ dir, pid: 1, maxBytes: 1 << 20 });
    const other = new JsonlTelemetryStore({ dir, pid: 2, maxBytes: 1 << 20 });
    mine.append(record(0));
    other.append(record(1));
    assert.deepEqual(mine.clear(), { deleted: 2, failures: [] });
    other.append(record(2));
    other.append(record(3));
    assert.deepEqual(ids(mine), [id(2), id(3)], 'written to a new segment, not to the deleted one');
    mine.close();
    other.close();
  });

  it('loses no completed record and corrupts nothing when the writer is SIGKILLed mid-loop', async () => {
    const dir = freshDir();
    const reader = new JsonlTelemetryReader(dir, 1 << 30);
    const rounds = 4;
    let next = 0;
    for (let round = 0; round < rounds; round++) {
      await killWriterAfterStart(dir, next, 5 + round * 37);
      const sequences = reader.read().entries.map((e) => Number(e.id.slice(1)));
      assert.ok(sequences.length > next + 500, `round ${round} wrote only ${sequences.length - next} records`);
      next = Math.max(...sequences) + 1;
    }
    const read = reader.read();
    const sequences = read.entries.map((e) => Number(e.id.slice(1))).sort((a, b) => a - b);
    // Every record whose append completed is there exactly once: the sequence has no gaps and no repeats.
    assert.deepEqual(sequences, Array.from({ length: next }, (_, i) => i));
    assert.ok(read.stats.skippedLines <= rounds, `${read.stats.skippedLines} unreadable lines after ${rounds} kills`);
    // Each torn line can only be the last line of a segment.
    for (const name of readdirSync(dir)) {
      const lines = readFileSync(join(dir, name), 'utf8').split('\n');
      lines.slice(0, -2).forEach((line) => assert.doesNotThrow(() => JSON.parse(line), `${name}: ${line}`));
    }
  });
});

function readLineBytes(): number {
  const dir = freshDir();
  const store = new JsonlTelemetryStore({ dir });
  store.append(record(0));
  store.close();
  const bytes = dirBytes(dir);
  rmSync(dir, { recursive: true });
  return bytes;
}

/** Starts a writer, waits until it has written 500 records, lets it run `extraMs` more, then SIGKILLs it. */
function killWriterAfterStart(dir: string, first: number, extraMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'telemetryKillWriter.ts'), dir, '16384', String(first)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the writer never became ready'));
    }, 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) setTimeout(() => child.kill('SIGKILL'), extraMs);
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the writer exited by itself (${signal ?? _code})`));
    });
  });
}
