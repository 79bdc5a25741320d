// The dashboard's telemetry questions answered on a worker thread (the bundle built here from
// lsp-server/telemetry/telemetryQueryWorker.ts): the same answers as on the calling thread, while the calling
// thread's event loop keeps turning; a failing worker rejects its questions with a named error and is replaced;
// an idle one stops.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TelemetryReadFailedError } from '../../runtime/errors';
import { InThreadTelemetryQueries, type ExportQuery, type SummaryQuery } from '../../lsp-server/telemetry/telemetryQueries';
import { WorkerTelemetryQueries } from '../../lsp-server/telemetry/telemetryQueryThread';
import { serializeEntry } from '../../lsp-server/telemetry/telemetryRecord';
import { fixtureEntries } from './telemetryFixtures';
import { bundleWorker, turnsDuring } from './workerThreadFixtures';

const ROOT = resolve(__dirname, '..', '..');
const OUT_DIR = join(ROOT, 'dist', 'test-telemetry');
const WORKER = join(OUT_DIR, 'telemetryQueryWorker.js');
const root = mkdtempSync(join(tmpdir(), 'locus-telemetry-queries-'));
const store = join(root, 'store');
const summaryQuery: SummaryQuery = { kind: 'summary', dir: store, maxBytes: 20 << 20, now: Date.UTC(2026, 11, 6), enabled: true };
const exportQuery: ExportQuery = { kind: 'export', dir: store, maxBytes: 20 << 20, now: Date.UTC(2026, 11, 6), format: 'csv' };

describe('WorkerTelemetryQueries', () => {
  before(async () => {
    mkdirSync(store, { recursive: true });
    const entries = fixtureEntries(3000);
    writeFileSync(join(store, 'telemetry-1764979200000-1-0001.jsonl'), entries.map(serializeEntry).join(''));
    await bundleWorker(join(ROOT, 'lsp-server', 'telemetry', 'telemetryQueryWorker.ts'), WORKER);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('answers what the calling thread would, while the calling thread keeps turning', async () => {
    const inThread = new InThreadTelemetryQueries();
    const worker = new WorkerTelemetryQueries(WORKER);
    try {
      const here = await turnsDuring(() => inThread.summary(summaryQuery));
      const there = await turnsDuring(() => worker.summary(summaryQuery));
      assert.equal(here.value.outcomes.requests > 1000, true);
      assert.deepEqual(there.value, here.value);
      assert.equal(here.turns, 0, 'the calling thread computes the summary in one go');
      assert.ok(there.turns > 0, 'the event loop turns while the worker summarizes');
      assert.deepEqual(await worker.export(exportQuery), await inThread.export(exportQuery));
    } finally {
      worker.dispose();
    }
  });

  it('rejects the questions of a worker that fails with a named error, starts a new one for the next, and logs a repeated failure once', async () => {
    const broken = join(OUT_DIR, 'brokenWorker.js');
    writeFileSync(broken, "throw new Error('no such bundle');\n");
    const logged: string[] = [];
    const worker = new WorkerTelemetryQueries(broken, { log: (m) => logged.push(m) });
    try {
      await assert.rejects(worker.summary(summaryQuery), (e) => e instanceof TelemetryReadFailedError && /no such bundle/.test(e.message));
      assert.equal(worker.running, false);
      await assert.rejects(worker.summary(summaryQuery), (e) => e instanceof TelemetryReadFailedError && /no such bundle/.test(e.message), 'the second question started a worker of its own');
      // The failed workers' exit events come after their errors: still one line for the one reason.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(logged.length, 1, logged.join('\n'));
    } finally {
      worker.dispose();
    }
  });

  it('ends a worker stuck in a read, rejecting its question, and answers the next with a new one; a pipe named like a segment is not read', async () => {
    const stuck = join(OUT_DIR, 'stuckWorker.js');
    writeFileSync(stuck, "require('node:worker_threads').parentPort.on('message', () => undefined);\n");
    const worker = new WorkerTelemetryQueries(stuck, { deadlineMs: 200 });
    try {
      await assert.rejects(worker.summary(summaryQuery), (e) => e instanceof TelemetryReadFailedError && /did not answer within/.test(e.message));
      assert.equal(worker.running, false);
    } finally {
      worker.dispose();
    }
    const piped = join(root, 'piped');
    mkdirSync(piped);
    execFileSync('mkfifo', [join(piped, 'telemetry-1764979200000-1-0001.jsonl')]);
    const reader = new WorkerTelemetryQueries(WORKER, { deadlineMs: 10_000 });
    try {
      const summary = await reader.summary({ ...summaryQuery, dir: piped });
      assert.equal(summary.store.files, 0, 'the pipe is not a segment');
    } finally {
      reader.dispose();
    }
  });

  it('starts no other reader while one stuck in a system call has not exited, and answers again once it has', async () => {
    const fifo = join(root, 'stuck.fifo');
    execFileSync('mkfifo', [fifo]);
    const blocked = join(OUT_DIR, 'blockedWorker.js');
    // Opening a pipe for reading waits for a writer inside the system call, where terminate() cannot reach it.
    writeFileSync(blocked, `require('node:worker_threads').parentPort.on('message', () => require('node:fs').readFileSync(${JSON.stringify(fifo)}));\n`);
    // Long enough for a loaded machine to start the worker and reach the read: one ended before it was left stuck.
    const worker = new WorkerTelemetryQueries(blocked, { deadlineMs: 1500 });
    try {
      await assert.rejects(worker.summary(summaryQuery), /did not answer within 1\.5 s/);
      await assert.rejects(worker.summary(summaryQuery), /still stuck in a read/, 'no second reader piles up behind the first');
      // A writer comes: the read returns and the ended worker exits; the next question starts a new reader.
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await assert.rejects(worker.summary(summaryQuery), /did not answer within/, 'a new reader, which blocks on the pipe again');
    } finally {
      worker.dispose();
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)); // lets a blocked reader go
      } catch {
        // no reader left
      }
    }
  });

  it('stops its worker when idle and starts one again for the next question; rejects pending and later questions once disposed', async () => {
    const worker = new WorkerTelemetryQueries(WORKER, { idleMs: 20 });
    await worker.summary(summaryQuery);
    assert.equal(worker.running, true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(worker.running, false);
    assert.equal((await worker.summary(summaryQuery)).outcomes.requests > 1000, true);
    // A server shutting down while the dashboard asks: the question is rejected, not left hanging.
    const pending = worker.summary(summaryQuery);
    worker.dispose();
    await assert.rejects(pending, TelemetryReadFailedError);
    assert.equal(worker.running, false);
    await assert.rejects(worker.summary(summaryQuery), TelemetryReadFailedError);
  });
});
