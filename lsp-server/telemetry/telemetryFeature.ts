// The server's telemetry feature: owns the store and the recorder, answers `locus/telemetry`,
// `locus/telemetryExport` and `locus/telemetryClear`, takes `locus/completionAccepted`, and tells the client
// about each finished request (`locus/telemetryDidRecord`) for its status bar.
import type { Connection } from 'vscode-languageserver';
import {
  CompletionAcceptedNotification,
  TelemetryClearRequest,
  TelemetryDidRecordNotification,
  TelemetryExportRequest,
  TelemetryRequest,
  type Acceptance,
  type CompletionAcceptedParams,
  type LastRequestStats,
  type TelemetryExportParams,
  type TelemetryExportResult,
  type TelemetryParams,
  type TelemetrySummary,
} from '../telemetryProtocol';
import { summarize, toSamples } from './telemetryAggregate';
import { exportSamples } from './telemetryExport';
import { systemClock, TelemetryRecorder, type TelemetryClock } from './telemetryRecorder';
import { JsonlTelemetryStore } from './telemetryStore';

export interface TelemetryFeatureOptions {
  /** Where segments are written (the client passes its global storage folder); null keeps nothing on disk. */
  dir: string | null;
  enabled: boolean;
  maxBytes?: number;
  clock?: TelemetryClock;
  /** One line for the Output channel, e.g. when a disk error stops recording. */
  log?: (message: string) => void;
  onRecorded?: (last: LastRequestStats) => void;
}

const ACCEPTANCES: readonly Acceptance[] = ['accepted', 'partiallyAccepted'];

export class TelemetryFeature {
  readonly recorder: TelemetryRecorder;
  private readonly store: JsonlTelemetryStore | null;
  private readonly clock: TelemetryClock;
  private readonly listeners: ((last: LastRequestStats) => void)[] = [];

  constructor(options: TelemetryFeatureOptions) {
    this.clock = options.clock ?? systemClock;
    this.store =
      options.dir === null
        ? null
        : new JsonlTelemetryStore({
            dir: options.dir,
            maxBytes: options.maxBytes,
            now: () => this.clock.now(),
            onDisabled: (code) =>
              options.log?.(`Local latency telemetry stopped for this session (${code}); check that ${options.dir} is writable.`),
          });
    this.recorder = new TelemetryRecorder({
      clock: this.clock,
      store: this.store ?? { append: () => undefined },
      enabled: options.enabled && this.store !== null,
      onRecorded: (last) => this.listeners.forEach((listener) => listener(last)),
    });
    if (options.onRecorded) this.listeners.push(options.onRecorded);
  }

  /** Applies `locus.telemetry.enabled`; turning it off stops writing at once and keeps what is stored. */
  setEnabled(enabled: boolean): void {
    this.recorder.setEnabled(enabled && this.store !== null);
    if (!enabled) this.store?.close();
  }

  summary(params: TelemetryParams = {}): TelemetrySummary {
    const read = this.readStore();
    return summarize(toSamples(read.entries), {
      enabled: this.recorder.isEnabled,
      generatedAt: this.clock.now(),
      store: read.stats,
      since: typeof params.since === 'number' ? params.since : undefined,
    });
  }

  export(params: TelemetryExportParams): TelemetryExportResult {
    const format = params.format === 'csv' ? 'csv' : 'json';
    const since = typeof params.since === 'number' ? params.since : undefined;
    const samples = toSamples(this.readStore().entries).filter((s) => since === undefined || s.receivedAt >= since);
    return { format, content: exportSamples(samples, format, this.clock.now()), records: samples.length };
  }

  clear(): { deletedFiles: number } {
    return { deletedFiles: this.store?.clear() ?? 0 };
  }

  /** Validates the client's report at the border: anything malformed is dropped. */
  accepted(params: CompletionAcceptedParams): void {
    if (typeof params?.id !== 'string' || !ACCEPTANCES.includes(params.acceptance)) return;
    this.recorder.accepted(params);
  }

  register(connection: Connection): void {
    connection.onRequest(TelemetryRequest.type, (params) => this.summary(params ?? {}));
    connection.onRequest(TelemetryExportRequest.type, (params) => this.export(params));
    connection.onRequest(TelemetryClearRequest.type, () => this.clear());
    connection.onNotification(CompletionAcceptedNotification.type, (params) => this.accepted(params));
    this.listeners.push((last) => void connection.sendNotification(TelemetryDidRecordNotification.type, last));
  }

  dispose(): void {
    this.store?.close();
  }

  private readStore(): ReturnType<JsonlTelemetryStore['read']> {
    if (this.store) return this.store.read();
    return { entries: [], stats: { files: 0, bytes: 0, maxBytes: 0, skippedLines: 0, disabledReason: null } };
  }
}
