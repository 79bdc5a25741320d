// The server's telemetry feature: owns the store and the recorder, answers `locus/telemetry`,
// `locus/telemetryExport` and `locus/telemetryClear`, and takes the `locus.completionAccepted` command.
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCodes, ResponseError, type Command, type Connection } from 'vscode-languageserver';
import {
  CompletionAcceptedCommand,
  TelemetryClearRequest,
  TelemetryExportRequest,
  TelemetryRequest,
  type Acceptance,
  type TelemetryClearResult,
  type TelemetryExportParams,
  type TelemetryExportResult,
  type TelemetryParams,
  type TelemetrySummary,
} from '../protocol';
import { checkedSince } from '../requestParams';
import { summarize } from './telemetryAggregate';
import { exportSamples } from './telemetryExport';
import { InThreadTelemetryQueries, type TelemetryQueries } from './telemetryQueries';
import { isItemIndex } from './telemetryRecord';
import { systemClock, TelemetryRecorder, type RequestStart, type RequestTrace, type TelemetryClock } from './telemetryRecorder';
import { JsonlTelemetryStore } from './telemetryStore';

export interface TelemetrySettings {
  /** `locus.telemetry.enabled`. */
  enabled: boolean;
  /** Where segments are written (the client's private storage folder); null keeps nothing on disk. */
  dir: string | null;
}

export interface TelemetryFeatureOptions {
  maxBytes?: number;
  clock?: TelemetryClock;
  /** One line for the Output channel, e.g. when a disk error stops recording. */
  log?: (message: string) => void;
  /** Who reads and summarizes the store; the server passes a worker thread (telemetryQueryThread.ts). */
  queries?: TelemetryQueries;
}

/** The error to answer a request with while the server is not between `initialize` and `shutdown`; undefined inside. */
export type LifecycleRefusal = () => ResponseError<void> | undefined;

/** What the completion path needs: a trace per request, and the command that reports its acceptance. */
export interface CompletionTelemetry {
  begin(start: RequestStart): RequestTrace;
  /** `item` is the suggestion's place in its model run's answer (0 the first). */
  acceptanceCommand(trace: RequestTrace, item: number): Command | undefined;
  /** The user typed out the `item`th suggestion of request `id`'s answer to its end. */
  typedOut(id: string, item: number): void;
}

const ACCEPTANCES: readonly Acceptance[] = ['accepted', 'partiallyAccepted'];
const NO_STORE_STATS = { files: 0, bytes: 0, maxBytes: 0, skippedLines: 0, disabledReason: null };

export class TelemetryFeature implements CompletionTelemetry {
  readonly recorder: TelemetryRecorder;
  private store: JsonlTelemetryStore | null = null;
  private dir: string | null = null;
  private readonly clock: TelemetryClock;
  private readonly queries: TelemetryQueries;

  constructor(
    settings: TelemetrySettings,
    private readonly options: TelemetryFeatureOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.queries = options.queries ?? new InThreadTelemetryQueries();
    // The sink follows `this.store`, which configure() may replace.
    this.recorder = new TelemetryRecorder({ clock: this.clock, store: { append: (entry) => this.store?.append(entry) }, enabled: false });
    this.configure(settings);
  }

  /** Applies settings; turning recording off stops writing at once and keeps what is stored. */
  configure(settings: TelemetrySettings): void {
    if (settings.dir !== this.dir) {
      this.store?.close();
      this.dir = settings.dir;
      this.store = settings.dir === null ? null : this.openStore(settings.dir);
    }
    this.recorder.setEnabled(settings.enabled && this.store !== null);
    if (!this.recorder.isEnabled) this.store?.close();
  }

  /** Starts timing one completion request (received now). */
  begin(start: RequestStart): RequestTrace {
    return this.recorder.begin(start);
  }

  /** The command to put on an item showing the `item`th suggestion of a model run (0 the first), or undefined while nothing is recorded. */
  acceptanceCommand(trace: RequestTrace, item: number): Command | undefined {
    if (!this.recorder.isEnabled) return undefined;
    return { title: 'Completion accepted', command: CompletionAcceptedCommand.command, arguments: [trace.id, 'accepted', item] };
  }

  /** Handles `locus.completionAccepted`; the arguments come from the client and are checked here. */
  accepted(args: unknown[] | undefined): void {
    const [id, acceptance = 'accepted', item] = Array.isArray(args) ? args : [];
    if (typeof id !== 'string' || !ACCEPTANCES.includes(acceptance as Acceptance)) return;
    // An editor that sends no usable place still reports the acceptance itself.
    this.recorder.accepted(id, acceptance as Acceptance, isItemIndex(item) ? item : undefined);
  }

  typedOut(id: string, item: number): void {
    this.recorder.typedOut(id, item);
  }

  async summary(params: TelemetryParams | null | undefined): Promise<TelemetrySummary> {
    const store = this.store;
    const enabled = this.recorder.isEnabled;
    const generatedAt = this.clock.now();
    const since = sinceOf(params);
    if (!store) return summarize([], { enabled, generatedAt, store: NO_STORE_STATS, since });
    const summary = await this.queries.summary({ kind: 'summary', dir: store.dir, maxBytes: store.maxTotalBytes, now: generatedAt, since, enabled });
    return { ...summary, store: { ...summary.store, disabledReason: store.disabledReason } };
  }

  async export(params: TelemetryExportParams): Promise<TelemetryExportResult> {
    const format = params?.format === 'csv' ? 'csv' : 'json';
    const store = this.store;
    const query = { kind: 'export', format, now: this.clock.now(), since: sinceOf(params) } as const;
    if (!store) return this.emptyExport(query);
    return this.queries.export({ ...query, dir: store.dir, maxBytes: store.maxTotalBytes });
  }

  clear(): TelemetryClearResult {
    const { deleted, failures } = this.store?.clear() ?? { deleted: 0, failures: [] };
    if (failures.length > 0) this.options.log?.(`Deleting latency records failed for ${failures.join(', ')}; check that ${this.store!.dir} is writable.`);
    return { deletedFiles: deleted, failedFiles: failures.length };
  }

  /**
   * Registers the telemetry requests; `refusal` is the server's lifecycle check (an error to answer instead, outside
   * `initialize`..`shutdown`). `locus.completionAccepted` is routed by the server's executeCommand handler.
   */
  register(connection: Connection, refusal: LifecycleRefusal): void {
    connection.onRequest(TelemetryRequest.type, (params) => refusal() ?? this.summary(params));
    connection.onRequest(TelemetryExportRequest.type, (params) => {
      const refused = refusal();
      if (refused) return refused;
      const format: unknown = params?.format;
      if (format !== undefined && format !== 'json' && format !== 'csv') return new ResponseError(ErrorCodes.InvalidParams, 'format must be "json" or "csv".');
      return this.export(params);
    });
    connection.onRequest(TelemetryClearRequest.type, () => refusal() ?? this.clear());
  }

  dispose(): void {
    this.store?.close();
    this.queries.dispose();
  }

  private openStore(dir: string): JsonlTelemetryStore {
    return new JsonlTelemetryStore({
      dir,
      maxBytes: this.options.maxBytes,
      now: () => this.clock.now(),
      onDisabled: (code) => this.options.log?.(stoppedMessage(code, dir)),
    });
  }

  private emptyExport(query: { format: 'json' | 'csv'; now: number }): TelemetryExportResult {
    return { format: query.format, content: exportSamples([], query.format, query.now), records: 0 };
  }
}

/** The Output channel's line when the store stops: what to fix, naming the file that stands where a folder must be. */
function stoppedMessage(code: string, dir: string): string {
  const file = code === 'ENOTDIR' ? fileInPath(dir) : undefined;
  return file === undefined
    ? `Local latency telemetry stopped for this session (${code}); check that ${dir} is writable.`
    : `Local latency telemetry stopped for this session (${code}): ${file} is a file, not a folder; rename or remove it${file === dir ? '' : ` to record in ${dir}`}.`;
}

/** `dir` itself, or the nearest folder above it, where that is a file; undefined where none is. */
function fileInPath(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    try {
      return statSync(at).isFile() ? at : undefined;
    } catch {
      // Missing, or under a file: look one level up.
    }
    if (dirname(at) === at) return undefined;
  }
}

function sinceOf(params: { since?: number } | null | undefined): number | undefined {
  return checkedSince(params?.since);
}
