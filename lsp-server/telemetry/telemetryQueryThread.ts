// Telemetry queries answered by a worker thread (dist/telemetryQueryWorker.js), so that summarizing the store
// never holds the server's message loop. The worker starts on the first question and stops after `idleMs`
// without one: the segments it keeps parsed (tens of MB at the cap) are worth holding only while the dashboard
// is open, and the dashboard asks every few seconds.
import { Worker } from 'node:worker_threads';
import { TelemetryReadFailedError } from '../../runtime/errors';
import type { TelemetryExportResult, TelemetrySummary } from '../protocol';
import type { ExportQuery, SummaryQuery, TelemetryQueries, TelemetryQuery } from './telemetryQueries';

/** What the worker posts back for question `id`. */
export type TelemetryQueryReply =
  | { id: number; ok: true; result: TelemetrySummary | TelemetryExportResult }
  | { id: number; ok: false; message: string };

export interface WorkerTelemetryQueriesOptions {
  idleMs?: number;
  /** A question unanswered this long ends the worker (QUERY_DEADLINE_MS by default); the next one starts another. */
  deadlineMs?: number;
  /** One line for the Output channel when the worker fails. */
  log?: (message: string) => void;
}

interface Pending {
  resolve(result: TelemetrySummary | TelemetryExportResult): void;
  reject(error: Error): void;
}

/** A bound on the worker's heap, so a pathological store fails one question instead of the server. */
const WORKER_HEAP_MB = 512;
/** A full store (20 MB) is summarized in under a second; thirty means the worker is stuck in a read. */
const QUERY_DEADLINE_MS = 30_000;

export class WorkerTelemetryQueries implements TelemetryQueries {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private idleTimer: NodeJS.Timeout | null = null;
  private disposed = false;
  private lastFailure: string | undefined;
  /** A worker ended for its deadline that has not exited yet. */
  private stuck: Worker | null = null;

  constructor(
    private readonly script: string,
    private readonly options: WorkerTelemetryQueriesOptions = {},
  ) {}

  summary(query: SummaryQuery): Promise<TelemetrySummary> {
    return this.ask(query) as Promise<TelemetrySummary>;
  }

  export(query: ExportQuery): Promise<TelemetryExportResult> {
    return this.ask(query) as Promise<TelemetryExportResult>;
  }

  /** Whether a worker is running now (it stops when idle). */
  get running(): boolean {
    return this.worker !== null;
  }

  private get deadlineMs(): number {
    return this.options.deadlineMs ?? QUERY_DEADLINE_MS;
  }

  dispose(): void {
    this.disposed = true;
    this.stop(new TelemetryReadFailedError('The language server is shutting down.'));
  }

  private ask(query: TelemetryQuery): Promise<TelemetrySummary | TelemetryExportResult> {
    if (this.disposed) return Promise.reject(new TelemetryReadFailedError('The language server is shutting down.'));
    // A thread blocked in a system call ignores terminate(): starting another for each question piled them up.
    if (this.stuck !== null) return Promise.reject(new TelemetryReadFailedError(`The telemetry reader is still stuck in a read of ${query.dir}; check that the folder is reachable.`));
    return new Promise((resolve, reject) => {
      const worker = this.worker ?? this.start();
      const id = ++this.nextId;
      this.pending.set(id, { resolve, reject });
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = null;
      worker.postMessage({ id, query });
      // A read that never returns (a stalled network folder) held this question, and every later one, for good.
      const deadline = setTimeout(() => {
        if (!this.pending.has(id)) return;
        this.failed(worker, `it did not answer within ${this.deadlineMs / 1000} s`);
        // Alive but stuck: `failed` only forgets it, as it does a worker that died. No other starts until it exits.
        this.stuck = worker;
        worker.once('exit', () => {
          if (this.stuck === worker) this.stuck = null;
        });
        void worker.terminate();
      }, this.deadlineMs);
      deadline.unref();
    });
  }

  private start(): Worker {
    const worker = new Worker(this.script, { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    // The server's lifetime is decided by the client, never by an idle reader.
    worker.unref();
    worker.on('message', (reply: TelemetryQueryReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(new TelemetryReadFailedError(`Reading the local telemetry failed: ${reply.message}`));
      if (this.pending.size === 0) this.scheduleIdleStop();
    });
    worker.on('error', (error) => this.failed(worker, error.message));
    worker.on('exit', (code) => this.failed(worker, `it exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  private failed(worker: Worker, why: string): void {
    if (this.worker !== worker) return; // Stopped on purpose.
    // A failure that repeats at every refresh (a missing bundle, a store too large for the heap) is logged once.
    if (why !== this.lastFailure) this.options.log?.(`The telemetry reader stopped (${why}); the next dashboard refresh starts a new one.`);
    this.lastFailure = why;
    this.worker = null;
    this.stop(new TelemetryReadFailedError(`The telemetry reader stopped: ${why}.`));
  }

  private scheduleIdleStop(): void {
    this.idleTimer = setTimeout(() => this.stop(null), this.options.idleMs ?? 60_000);
    this.idleTimer.unref();
  }

  /** Ends the worker; pending questions are rejected with `error` (none are pending when idle). */
  private stop(error: Error | null): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const worker = this.worker;
    this.worker = null;
    if (error) for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    void worker?.terminate();
  }
}
