// Every `locus/*` message, typed once. Imported by the server, the VS Code client and the CLI, so it may
// depend on `vscode-languageserver-protocol` only (no server or client runtime).
import { NotificationType, type Position, type Range, RequestType, RequestType0, type TextDocumentIdentifier } from 'vscode-languageserver-protocol';

/** Which ONNX file to prefer; mirrors `runtime/engine.ts` without importing the runtime into clients. */
export type QuantizationSetting = 'auto' | 'q4' | 'int8' | 'fp16' | 'fp32';

/** Speculative decoding's drafter; mirrors `runtime/engine.ts` `SpeculationMode`. */
export type SpeculationSetting = 'auto' | 'draft' | 'lookup' | 'off';

/** `automatic`: completions while typing; `manual`: the model runs only when the editor asks explicitly (VS Code: Alt+\). */
export type CompletionTriggerSetting = 'automatic' | 'manual';

/**
 * Whether `locus.completion.languages` lets Locus complete in `languageId`: its own entry, else `*`'s, else yes.
 * Here so that the server (which answers) and the client (whose status bar says when it will not) read it alike.
 */
export function completesLanguage(languages: Readonly<Record<string, boolean>>, languageId: string): boolean {
  return languages[languageId] ?? languages['*'] ?? true;
}

/**
 * The `locus` settings section as the client sends it: in `initializationOptions` and as
 * `workspace/didChangeConfiguration` `settings.locus`. Every field is optional and unchecked; the
 * server validates the whole object once (`lsp-server/config.ts`).
 */
export interface LocusSettingsInput {
  model?: {
    /** Model directory (Hugging Face / Optimum layout). Empty: the embedded default. */
    path?: string;
    /** Draft model directory for speculative decoding. Empty: the embedded draft with the embedded model. */
    draftPath?: string;
    quantization?: QuantizationSetting;
    /** ORT intra-op threads; 0 = choose from the core count. */
    threads?: number;
    /**
     * Not a user setting: the client's storage folder for the copies 4-bit models load from: 8-bit copies for long
     * prompts, decode-step files, onnxruntime's optimized copies (runtime/prefillCopyCache.ts). Absent: the user's
     * cache folder.
     */
    cacheDir?: string;
  };
  completion?: {
    maxNewTokens?: number;
    /** Tokens of surrounding code (prefix + suffix) in the prompt. */
    promptTokenBudget?: number;
    /** Speculative decoding: `auto` (prompt lookup, else the draft model), `draft`, `lookup` or `off`. */
    speculation?: SpeculationSetting;
    /** Continuations beam search keeps for a line (1 = greedy); blocks are always greedy. */
    beamWidth?: number;
    /** Language id → enabled; `*` is the default for languages not listed. */
    languages?: Record<string, boolean>;
    /** Milliseconds a completion may generate after its first token (then its finished part is offered); 0: no limit. */
    timeLimitMs?: number;
    /** When the model runs: on every automatic request, or only on explicit ones (cached completions still show). */
    trigger?: CompletionTriggerSetting;
  };
  efficiency?: {
    /** Sample more candidates for whole-function completions, run them in a sandbox, offer the fastest correct one first. */
    enabled?: boolean;
    /** Sampled candidates besides the plain suggestion. */
    samples?: number;
  };
  /** `locus.exclude`: globs (relative to each workspace folder) kept out of the workspace index and so out of prompts; .gitignore and the built-in secret rules apply too. */
  exclude?: string[];
  /**
   * Workspace folder URI → that folder's own values of the settings a folder may set (a multi-root workspace's folder
   * settings, `.vscode/settings.json`): they hold for its files in place of `exclude` and `context.filesExclude`. A key
   * an entry leaves out, and a folder not listed, takes the window's value. Replaced whole at each change: send every
   * folder.
   */
  folders?: Record<string, FolderSettingsInput>;
  context?: {
    /** VS Code's `files.exclude` globs that are switched on; the client sends them with the settings. */
    filesExclude?: string[];
    /** Not a user setting: the client's storage folder for the workspace index cache, read from initializationOptions only. */
    cacheDir?: string;
  };
  telemetry?: {
    /** Record each completion's timings (no code) on this machine. */
    enabled?: boolean;
    /** Not a user setting: the client's private storage folder for the records, read from initializationOptions only. */
    dir?: string;
  };
}

/** One workspace folder's own settings, relative to its root (unchecked, like the rest). */
export interface FolderSettingsInput {
  /** The folder's `locus.exclude`. */
  exclude?: string[];
  /** The folder's `files.exclude` globs that are switched on. */
  filesExclude?: string[];
}

/** Model state as the server sees it. */
export type ModelStatus =
  | {
      /**
       * A model setting typed in a text box (path, draft path, threads) changed: the model it names loads once the
       * settings have stayed unchanged for `inMs`; the model in place, if any, answers meanwhile. Then comes
       * `loading`, or, when the setting is put back first (nothing reloads), the model's status again.
       */
      state: 'pending';
      modelDir: string;
      embedded: boolean;
      /** Milliseconds from this notification to the load, unless the settings change again. */
      inMs: number;
    }
  | {
      state: 'loading';
      modelDir: string;
      /** The model shipped with Locus (no `locus.model.path`): the client names it so, not by its folder. */
      embedded: boolean;
      /** What a long load is doing now (building a model copy), in words; absent at its start. */
      step?: string;
    }
  | {
      state: 'ready';
      /** Human-readable model name. */
      model: string;
      modelDir: string;
      quantization: Exclude<QuantizationSetting, 'auto'>;
      /** ONNX file actually loaded, relative to the model directory. */
      onnxFile: string;
      /**
       * The 8-bit file of the same model that long prompts prefill on, if any: the folder's, relative to the model
       * directory, or the copy built for it, relative to `keptCopies`.
       */
      prefillFile?: string;
      /** What became of the 8-bit copy a 4-bit model without an 8-bit file gets (built, reused, or why none), in words. */
      prefillCopy?: string;
      /** The cache folder the kept copies named in `prefillFile`, `prefillCopy` and `prepared` are in, where they name any. */
      keptCopies?: string;
      /** What the runtime changed in the model's file as it loaded it (num_logits_to_keep, int8 compute), in words. */
      prepared?: string;
      /** Why quantization `auto` took `onnxFile` rather than the 4-bit file, when it did: weight bytes read per token. */
      autoChoice?: string;
      /** Draft model name when speculative decoding is on. */
      draft?: string;
    }
  | {
      state: 'error';
      /** Stable error code from `runtime/errors.ts` (for example `E_MODEL_NOT_FOUND`). */
      code: string;
      message: string;
      /** One sentence telling the user what to do. */
      fix: string;
      /** The setting that chose what failed, where changing it is the fix (the client offers to open it). */
      setting?: ModelSetting;
    };

/** Settings whose value can make the model fail to load. */
export type ModelSetting = 'locus.model.path' | 'locus.model.quantization';

/**
 * Model status changed (server → client). Sent when a model settings change waits to settle, when loading starts,
 * when the model is ready, and when loading failed.
 * - method: `locus/status`
 * - params: {@link ModelStatus}
 */
export namespace StatusNotification {
  export const method = 'locus/status';
  export const type = new NotificationType<ModelStatus>(method);
}

/** Latency of one inline completion, measured in the server. */
export interface CompletionTimings {
  /** Document the completion was for. */
  uri: string;
  promptTokens: number;
  generatedTokens: number;
  /** From the start of generation to the first generated token. */
  firstTokenMs: number;
  /** Whole generation in the engine. */
  totalMs: number;
  /** From receiving the request to sending the answer (prompt building and post-processing included). */
  requestMs: number;
  /** Generated tokens per second after the first token. */
  tokensPerSecond: number;
  /** Length of the text offered after post-processing; 0 when nothing was offered. */
  shownChars: number;
  /** Speculative decoding for this request: drafted and accepted tokens (acceptance = accepted / drafted). */
  speculation: { mode: SpeculationSetting; drafted: number; accepted: number; acceptanceRate: number };
  /**
   * True when the answer came from the server's cache of recent completions (the user typed the start of a
   * suggestion that was showing) with no model run; token counts and engine times are then 0.
   */
  cacheHit?: boolean;
  /** True when generation stopped at `locus.completion.timeLimitMs` and only its finished part was offered. */
  timeLimited?: boolean;
  /**
   * True when generation stopped at `locus.completion.maxNewTokens` before any of its text was finished, so nothing
   * was offered: a cap that low shows no suggestion at all.
   */
  tokenLimited?: boolean;
}

/**
 * A completion finished generating (server → client), so the client can show the last latency.
 * - method: `locus/completionTimings`
 * - params: {@link CompletionTimings}
 */
export namespace CompletionTimingsNotification {
  export const method = 'locus/completionTimings';
  export const type = new NotificationType<CompletionTimings>(method);
}

/** Parameters of {@link CompletionSkippedNotification}. */
export interface CompletionSkippedParams {
  uri: string;
  /**
   * Why the server makes no completion in the document, as one sentence (a secret file, `locus.exclude`, over 1 MiB,
   * binary); null once it completes there again.
   */
  reason: string | null;
}

/**
 * The server skips a document's completion requests, or completes there again (server → client), so the status bar
 * can say why no ghost text shows. Sent when that changes, not at every request.
 * - method: `locus/completionSkipped`
 * - params: {@link CompletionSkippedParams}
 */
export namespace CompletionSkippedNotification {
  export const method = 'locus/completionSkipped';
  export const type = new NotificationType<CompletionSkippedParams>(method);
}

/** Parameters of {@link WholeCompletionNotification}: where the user asked. */
export interface WholeCompletionParams {
  textDocument: TextDocumentIdentifier;
  position: Position;
}

/**
 * The user asked for the whole completion at the cursor (client → server; VS Code: Alt+\), sent just before the
 * explicit inline completion request it makes. A block then shows whole, not only the lines the model was sure of.
 * VS Code also asks explicitly when the mouse rests on ghost text and for Alt+]; from a client that declares
 * {@link WholeCompletionNotification.capability}, such an explicit request without this notice keeps showing the
 * suggestion on screen (from the cache). From other clients every explicit request is the user's.
 * - method: `locus/wholeCompletion`
 * - params: {@link WholeCompletionParams}
 */
export namespace WholeCompletionNotification {
  export const method = 'locus/wholeCompletion';
  export const type = new NotificationType<WholeCompletionParams>(method);
  /** `capabilities.experimental[capability] === true`: the client sends this notice for every ask of the user's. */
  export const capability = 'locusWholeCompletion';
}

// The context engine's messages: `locus/compress`, `locus/explain` and `locus/explainChunk`.

// ---- Local latency telemetry ----
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

/**
 * The final outcome of a request once the editor's report, if any, is joined to it. `typedOut`: the user typed the
 * suggestion to its end instead of accepting it (the server saw the typed text spell it), so it was right but not
 * accepted.
 */
export type FinalOutcome = 'accepted' | 'partiallyAccepted' | 'typedOut' | 'notAccepted' | 'empty' | 'cancelled' | 'error';

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
  /**
   * For an answer from the completion cache: the id of the request whose model run made the suggestion it shows the
   * rest of, so the suggestion counts once (see {@link OutcomeCounts}). Null otherwise, and for cache answers
   * recorded before this link was.
   */
  cachedFrom: string | null;
  model: string;
  /** The editor's language id (`typescript`, `python`, …) or `other`. */
  language: string;
  outcome: FinalOutcome;
  /**
   * Which suggestion of a model run's answer the user accepted (wholly or in part) or typed out: 0 its first, 1 the next
   * one (VS Code: Alt+]), and so on; for a cache answer, the place in the answer whose rest it showed. Null when none
   * was, or the editor did not say which.
   */
  acceptedItem: number | null;
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

/**
 * Counts of requests by what became of them; the kinds add up to `requests`. A suggestion counts once, however many
 * requests showed it: typing into a suggestion asks again at every keystroke, and the answers (from the completion
 * cache) show the rest of the same suggestion. `accepted`, `partiallyAccepted`, `typedOut` and `notAccepted` count
 * suggestions shown (as the request that showed each first), accepted when the user took it at any of its requests,
 * typed out when the user typed all of it instead; `shownAgain`
 * counts the later requests that showed the rest of one, or found it typed up to closers the editor auto-inserted
 * (a cache answer left with nothing to show). `empty` counts model runs that had nothing to show.
 */
export interface OutcomeCounts {
  requests: number;
  accepted: number;
  partiallyAccepted: number;
  /** Suggestions the user typed to their end rather than accepting them: right, but not counted as accepted. */
  typedOut: number;
  notAccepted: number;
  shownAgain: number;
  empty: number;
  cancelled: number;
  error: number;
  /**
   * Of the suggestions counted in `accepted` and `partiallyAccepted`, those that were a further suggestion of their
   * model run's answer rather than its first (VS Code: cycled to with Alt+], perhaps typed into before it was taken).
   * Not a kind of its own: not in `requests`.
   */
  acceptedRunnerUp: number;
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
  /** Suggestions accepted (wholly or in part) / suggestions shown, as {@link OutcomeCounts} counts them; null when none was shown. */
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
  /** Suggestions accepted (wholly or in part) / suggestions shown, as {@link OutcomeCounts} counts them. */
  acceptanceRate: number | null;
  /** Suggestions partially accepted / suggestions shown. */
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

/** The result of {@link TelemetryClearRequest}. */
export interface TelemetryClearResult {
  deletedFiles: number;
  /** Files that could not be deleted (a read-only store); the Output channel names them and why. */
  failedFiles: number;
}

/**
 * Deletes every stored record on this machine (client → server).
 * - method: `locus/telemetryClear`
 * - result: {@link TelemetryClearResult}
 */
export namespace TelemetryClearRequest {
  export const method = 'locus/telemetryClear';
  export const type = new RequestType0<TelemetryClearResult, void>(method);
}

/**
 * The user accepted an offered completion (client → server, through `workspace/executeCommand`). The server puts
 * this command on every inline completion item it offers while recording is on, and lists it in
 * `executeCommandProvider`; the editor runs an item's command when the item is accepted, and vscode-languageclient
 * forwards it to the server with no client code. The server appends the acceptance to the request's record.
 * - command: `locus.completionAccepted`
 * - arguments: `[id: string, acceptance?: Acceptance, item?: number]`: `accepted` when absent; `item` is the
 *   suggestion's place in its model run's answer (0 the first; a cache answer keeps the place of the suggestion whose
 *   rest it shows), so the record tells whether runners-up are taken.
 */
export namespace CompletionAcceptedCommand {
  export const command = 'locus.completionAccepted';
}

// ---- Context engine: compress and explain ----
export interface CompressParams {
  textDocument: TextDocumentIdentifier;
  position: Position;
  /** Prompt token budget after compression, a whole number from 32 (the setting's minimum); the server's `completion.promptTokenBudget` when absent. */
  budget?: number;
}

/** One part of a prompt, in prompt order. */
export interface PromptPartView {
  kind: 'snippet' | 'path' | 'suffix' | 'prefix';
  /** Workspace-relative path of a snippet (or of the current file for `path`). */
  path?: string;
  /** One-based first line of a snippet in its file. */
  line?: number;
  text: string;
  tokens: number;
}

export interface PromptView {
  tokens: number;
  parts: PromptPartView[];
}

/** A retrieved chunk and why it ranked where it did. */
export interface RetrievedView {
  path: string;
  /** One-based, inclusive. */
  startLine: number;
  endLine: number;
  score: number;
  /** BM25 relative to the best candidate, 0..1. */
  lexical: number;
  /** Jaccard similarity with the lines around the cursor, 0..1. */
  similarity: number;
  /** It declares a name used on the lines just before the cursor. */
  declaresNearbyName: boolean;
  /** The current file imports the chunk's file; `receiver`: under the name right before the cursor's dot. */
  imported: 'no' | 'yes' | 'receiver';
  /** More than 1 for open or recently edited files. */
  fileWeight: number;
}

export interface DroppedLineView {
  /** `path:line` of the snippet (one-based start of its chunk); the current file is cut, never thinned. */
  section: string;
  /** Zero-based line within the section. */
  line: number;
  text: string;
  /** Self-information in nats. */
  information: number;
  tokens: number;
}

export interface CompressResult {
  budget: number;
  /** How lines were scored: the draft model's log-probabilities, or token statistics from the index. */
  scorer: 'draft-model' | 'unigram';
  /** Uncompressed: every retrieved snippet whole, with the current file's window. */
  before: PromptView;
  after: PromptView;
  retrieved: RetrievedView[];
  dropped: DroppedLineView[];
  /** Files and chunks in the workspace index, and whether its first build is still running. */
  index: { files: number; chunks: number; building: boolean };
  timings: { retrievalMs: number; compressionMs: number };
  /** All of the above as plain text, for clients that only need to show it. */
  report: string;
}

/**
 * The prompt the cursor would get, before and after selective-context compression (client → server).
 * - method: `locus/compress`
 * - params: {@link CompressParams}
 * - result: {@link CompressResult}
 */
export namespace CompressRequest {
  export const method = 'locus/compress';
  export const type = new RequestType<CompressParams, CompressResult, void>(method);
}

export interface ExplainParams {
  textDocument: TextDocumentIdentifier;
  range: Range;
  /** Chosen by the client; every {@link ExplainChunkNotification} of this request carries it. */
  streamId: string;
}

export interface ExplainResult {
  /** `chat`: the model's chat template; `docComment`: a completion of a doc comment above the selection. */
  mode: 'chat' | 'docComment';
  /** The whole explanation (what the chunks added up to). */
  text: string;
  /**
   * Mirrors the runtime's `StopReason` (Explain sets no time limit, so never `time`), plus `superseded`: a newer
   * Explain request stopped this one, whose text is what it had written.
   */
  stopReason: 'eos' | 'stop' | 'length' | 'aborted' | 'time' | 'superseded';
  promptTokens: number;
  generatedTokens: number;
  totalMs: number;
}

/**
 * Explain the selected code (client → server). Text streams as {@link ExplainChunkNotification}s; the
 * response comes when generation ends. Cancelling the request stops generation, and so does a newer Explain request.
 * - method: `locus/explain`
 * - params: {@link ExplainParams}
 * - result: {@link ExplainResult}
 */
export namespace ExplainRequest {
  export const method = 'locus/explain';
  export const type = new RequestType<ExplainParams, ExplainResult, void>(method);
}

export interface ExplainChunk {
  streamId: string;
  /** Newly generated text. */
  delta: string;
}

/**
 * A piece of an explanation (server → client), in order.
 * - method: `locus/explainChunk`
 * - params: {@link ExplainChunk}
 */
export namespace ExplainChunkNotification {
  export const method = 'locus/explainChunk';
  export const type = new NotificationType<ExplainChunk>(method);
}

// ---- Efficiency checks ----
/**
 * Workspace Trust (client → server), sent once the client has started and again when trust is granted. The
 * checks run model-written code, so the server runs them only after `trusted: true` and assumes an untrusted
 * workspace until told otherwise.
 * - method: `locus/workspaceTrust`
 */
export namespace WorkspaceTrustNotification {
  export const method = 'locus/workspaceTrust';
  export const type = new NotificationType<{ trusted: boolean }>(method);
}

export type EfficiencyReport =
  | {
      kind: 'refined';
      uri: string;
      version: number;
      position: Position;
      functionName: string;
      /** One line, e.g. "4/4 checks passed; 2.1x faster than the slowest correct one (3/5 candidates correct)". */
      summary: string;
      /** True when the completion now offered first is not the plain suggestion. */
      improved: boolean;
    }
  | { kind: 'unavailable'; reason: string }
  /** Enabled, but the client said the workspace is not trusted: they start once it is (said once, not per request). */
  | { kind: 'untrusted'; reason: string };

/**
 * Efficiency checks (server → client): a refinement finished, so the client can show the summary and re-trigger
 * the inline suggestion at that position (which now offers the chosen completion first); or the checks are
 * unavailable on this machine, or wait for the workspace to be trusted, and why.
 * - method: `locus/efficiency`
 */
export namespace EfficiencyNotification {
  export const method = 'locus/efficiency';
  export const type = new NotificationType<EfficiencyReport>(method);
}

/** One entry of the editor's own completion list: its label and LSP `CompletionItemKind` (1-based), if it has one. */
export interface EditorCompletionEntry {
  name: string;
  kind?: number;
}

/** Where the server wants the editor's completion list. */
export interface MemberNamesParams {
  textDocument: TextDocumentIdentifier;
  /** Where the member's name starts (right after the dot, when nothing stands between). */
  position: Position;
}

/** The editor's completion list there, every kind included (the server picks the members); null when it has none. */
export type MemberNamesResult = { entries: EditorCompletionEntry[] } | null;

/**
 * The editor's completion list at a member access (server → client), from its own language support (VS Code's
 * `vscode.executeCompletionItemProvider`: TypeScript, Pylance, ...), so a completion on `client.converter.|` starts
 * with a member the editor knows. Sent only to a client that declares {@link MemberNamesRequest.capability} in
 * `capabilities.experimental`; a completion waits for the answer only briefly.
 * - method: `locus/memberNames`
 * - params: {@link MemberNamesParams}, result: {@link MemberNamesResult}
 */
export namespace MemberNamesRequest {
  export const method = 'locus/memberNames';
  export const type = new RequestType<MemberNamesParams, MemberNamesResult, void>(method);
  /** `capabilities.experimental[capability] === true`: the client answers this request. */
  export const capability = 'locusMemberNames';
  /** A list longer than this names everything in scope, not a type's members: the client answers null instead. */
  export const maxEntries = 2000;
}
