// Answers the dashboard's questions (`locus/telemetry`, `locus/telemetryExport`) from the stored segments.
// At the 20 MB cap that is ~50,000 records and ~200 ms of summarizing on this 2-core machine, too long to hold
// the server's message loop while the user types, so the server asks a worker thread
// (telemetryQueryThread.ts). InThreadTelemetryQueries does the same work on the calling thread: for tests,
// and for a server started without its bundled worker file.
import type { TelemetryExportFormat, TelemetryExportResult, TelemetrySummary } from '../protocol';
import { summarize, toSamples } from './telemetryAggregate';
import { exportSamples } from './telemetryExport';
import { JsonlTelemetryReader } from './telemetryReader';

interface QueryBase {
  /** The store's folder and its byte cap. */
  dir: string;
  maxBytes: number;
  /** Epoch milliseconds: when the question was asked. */
  now: number;
  /** Only requests received at or after this time. */
  since?: number;
}

export interface SummaryQuery extends QueryBase {
  kind: 'summary';
  enabled: boolean;
}

export interface ExportQuery extends QueryBase {
  kind: 'export';
  format: TelemetryExportFormat;
}

export type TelemetryQuery = SummaryQuery | ExportQuery;

export interface TelemetryQueries {
  summary(query: SummaryQuery): Promise<TelemetrySummary>;
  export(query: ExportQuery): Promise<TelemetryExportResult>;
  dispose(): void;
}

/** Answers queries against one folder at a time, keeping its parsed segments between questions. */
export class TelemetryQueryAnswerer {
  private reader: JsonlTelemetryReader | null = null;

  answer(query: SummaryQuery): TelemetrySummary;
  answer(query: ExportQuery): TelemetryExportResult;
  answer(query: TelemetryQuery): TelemetrySummary | TelemetryExportResult;
  answer(query: TelemetryQuery): TelemetrySummary | TelemetryExportResult {
    const read = this.readerFor(query).read();
    if (query.kind === 'summary') {
      return summarize(toSamples(read.entries), { enabled: query.enabled, generatedAt: query.now, store: read.stats, since: query.since });
    }
    const since = query.since;
    const samples = toSamples(read.entries).filter((s) => since === undefined || s.receivedAt >= since);
    return { format: query.format, content: exportSamples(samples, query.format, query.now), records: samples.length };
  }

  private readerFor(query: TelemetryQuery): JsonlTelemetryReader {
    if (this.reader?.dir !== query.dir || this.reader.maxBytes !== query.maxBytes) {
      this.reader = new JsonlTelemetryReader(query.dir, query.maxBytes);
    }
    return this.reader;
  }
}

export class InThreadTelemetryQueries implements TelemetryQueries {
  private readonly answerer = new TelemetryQueryAnswerer();

  async summary(query: SummaryQuery): Promise<TelemetrySummary> {
    return this.answerer.answer(query);
  }

  async export(query: ExportQuery): Promise<TelemetryExportResult> {
    return this.answerer.answer(query);
  }

  dispose(): void {}
}
