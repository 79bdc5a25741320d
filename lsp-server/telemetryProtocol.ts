// The local latency telemetry part of the Locus protocol: what the server records about each completion
// request and how any editor reads it back. Self-contained so it can be merged into lsp-server/protocol.ts.
// Nothing here carries code, prompts, completions or paths: only numbers, enums, a language id and a model name.
import { RequestType, RequestType0 } from 'vscode-languageserver-protocol';

/**
 * How a completion request ended, as far as the server saw it.
 * - `offered`: a non-empty completion was returned to the editor.
 * - `empty`: the request finished with nothing to show.
 * - `cancelled`: the editor cancelled the request (or a newer one superseded it) before it finished.
 * - `error`: generation failed; the completion returned nothing.
 */
export type RequestOutcome = 'offered' | 'empty' | 'cancelled' | 'error';

/**
 * What the editor reported later about an offered completion. VS Code's stable API reports full acceptance
 * (the inline completion item's `command` runs); `partiallyAccepted` is for editors whose API reports
 * word or line acceptance. An offered completion with no report counts as not accepted.
 */
export type Acceptance = 'accepted' | 'partiallyAccepted';

/** The final outcome of a request once the editor's report, if any, is joined to it. */
export type FinalOutcome = 'accepted' | 'partiallyAccepted' | 'notAccepted' | 'empty' | 'cancelled' | 'error';

/** One request as stored and exported. Durations are milliseconds since the request was received. */
export interface TelemetrySample {
  id: string;
  /** When the request was received, epoch milliseconds (this machine's clock). */
  receivedAt: number;
  /** Prompt built: retrieval, compression and tokenization done. Null when the request ended before. */
  promptBuiltMs: number | null;
  firstTokenMs: number | null;
  doneMs: number;
  /** Time spent retrieving workspace context, inside the prompt phase. */
  retrievalMs: number | null;
  /** Time spent compressing the prompt to its token budget, inside the prompt phase. */
  compressionMs: number | null;
  promptTokens: number | null;
  promptTokensCompressed: number | null;
  generatedTokens: number;
  /** Tokens generated after the first one, per second of decoding. */
  tokensPerSecond: number | null;
  /** Draft tokens proposed and accepted by speculative decoding; null when it was not used. */
  draftProposed: number | null;
  draftAccepted: number | null;
  /** Whether the prompt's prefix was found in the KV cache; null when unknown. */
  prefixCacheHit: boolean | null;
  /**
   * Answered from the server's cache of recent completions (the user typed the start of a suggestion) with no
   * model run. Such requests count for outcomes and acceptance, not for latency, phases or tokens/s.
   */
  servedFromCache: boolean;
  model: string;
  /** The editor's language id (`typescript`, `python`, …) or `other`. */
  language: string;
  outcome: FinalOutcome;
}

/** Percentiles of a set of durations in milliseconds, linearly interpolated between closest ranks. */
export interface DurationStats {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

/** Counts of requests by final outcome. */
export interface OutcomeCounts {
  requests: number;
  accepted: number;
  partiallyAccepted: number;
  notAccepted: number;
  empty: number;
  cancelled: number;
  error: number;
}

/** Mean and median of one phase, over the requests that reached its end. */
export interface PhaseStats {
  count: number;
  mean: number;
  p50: number;
}

/**
 * Where the time goes. `prompt` (received → prompt built) contains `retrieval` and `compression`;
 * `prefill` is prompt built → first token; `decode` is first token → done. The three top-level means add up
 * to the mean latency of requests that reached every phase.
 */
export interface PhaseBreakdown {
  prompt: PhaseStats | null;
  retrieval: PhaseStats | null;
  compression: PhaseStats | null;
  prefill: PhaseStats | null;
  decode: PhaseStats | null;
}

/** One histogram bin: `[fromMs, toMs)`; the last bin has `toMs` null and holds everything above. */
export interface HistogramBin {
  fromMs: number;
  toMs: number | null;
  count: number;
}

/** Latency percentiles for one time bucket `[start, start + bucketMs)`. */
export interface TimePoint {
  start: number;
  count: number;
  p50: number;
  p95: number;
}

/** One row of the per-language or per-model tables. */
export interface GroupStats {
  key: string;
  outcomes: OutcomeCounts;
  latency: DurationStats | null;
  tokensPerSecondP50: number | null;
  /** (accepted + partially accepted) / offered; null when nothing was offered. */
  acceptanceRate: number | null;
}

/** The most recent request. */
export interface LastRequestStats {
  id: string;
  receivedAt: number;
  latencyMs: number;
  firstTokenMs: number | null;
  tokensPerSecond: number | null;
  generatedTokens: number;
  outcome: RequestOutcome;
  model: string;
  language: string;
}

/** The aggregated view of this machine's telemetry: the result of {@link TelemetryRequest}. */
export interface TelemetrySummary {
  /** `locus.telemetry.enabled`; when false nothing new is written, but earlier records are still summarized. */
  enabled: boolean;
  generatedAt: number;
  /** Received time of the first and last request summarized; null when there are none. */
  from: number | null;
  to: number | null;
  outcomes: OutcomeCounts;
  /** Requests answered from the completion cache, without a model run (included in `outcomes`). */
  servedFromCache: number;
  /** Request latency (received → done) of model runs that finished (offered or empty). */
  latency: DurationStats | null;
  firstToken: DurationStats | null;
  tokensPerSecondP50: number | null;
  acceptanceRate: number | null;
  partialAcceptanceRate: number | null;
  /** Accepted draft tokens / proposed draft tokens, over requests that used speculative decoding. */
  speculativeAcceptanceRate: number | null;
  prefixCacheHitRate: number | null;
  /** Mean of compressed / uncompressed prompt tokens. */
  compressionRatio: number | null;
  phases: PhaseBreakdown;
  histogram: HistogramBin[];
  overTime: { bucketMs: number; points: TimePoint[] };
  byLanguage: GroupStats[];
  byModel: GroupStats[];
  last: LastRequestStats | null;
  store: TelemetryStoreStats;
}

/** The on-disk store, so the dashboard can say how much is kept. */
export interface TelemetryStoreStats {
  files: number;
  bytes: number;
  maxBytes: number;
  /** Lines that could not be read back (a write cut short by a crash). */
  skippedLines: number;
  /** Why recording stopped for this session (`ENOSPC`, `EACCES`, …), or null while it works. */
  disabledReason: string | null;
}

/** Parameters of {@link TelemetryRequest}. */
export interface TelemetryParams {
  /** Only requests received at or after this epoch millisecond time. */
  since?: number;
}

/**
 * The aggregated local telemetry (client → server).
 * - method: `locus/telemetry`
 * - params: {@link TelemetryParams}
 * - result: {@link TelemetrySummary}
 */
export namespace TelemetryRequest {
  export const method = 'locus/telemetry';
  export const type = new RequestType<TelemetryParams, TelemetrySummary, void>(method);
}

export type TelemetryExportFormat = 'json' | 'csv';

/** Parameters of {@link TelemetryExportRequest}. */
export interface TelemetryExportParams {
  format: TelemetryExportFormat;
  since?: number;
}

/** The exported records as file content, ready to save. */
export interface TelemetryExportResult {
  format: TelemetryExportFormat;
  /** JSON: `{ "exportedAt", "records": TelemetrySample[] }`; CSV: a header row and one row per record. */
  content: string;
  records: number;
}

/**
 * Every stored request with its final outcome, as JSON or CSV (client → server).
 * - method: `locus/telemetryExport`
 * - params: {@link TelemetryExportParams}
 * - result: {@link TelemetryExportResult}
 */
export namespace TelemetryExportRequest {
  export const method = 'locus/telemetryExport';
  export const type = new RequestType<TelemetryExportParams, TelemetryExportResult, void>(method);
}

/**
 * Deletes every stored record on this machine (client → server).
 * - method: `locus/telemetryClear`
 * - result: `{ deletedFiles }`
 */
export namespace TelemetryClearRequest {
  export const method = 'locus/telemetryClear';
  export const type = new RequestType0<{ deletedFiles: number }, void>(method);
}

/**
 * The user accepted an offered completion (client → server, through `workspace/executeCommand`). The server puts
 * this command on every inline completion item it offers while recording is on, and lists it in
 * `executeCommandProvider`; the editor runs an item's command when the item is accepted, and vscode-languageclient
 * forwards it to the server with no client code. The server appends the acceptance to the request's record.
 * - command: `locus.completionAccepted`
 * - arguments: `[id: string, acceptance?: Acceptance]` (`accepted` when absent)
 */
export namespace CompletionAcceptedCommand {
  export const command = 'locus.completionAccepted';
}
