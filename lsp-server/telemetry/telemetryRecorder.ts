// Follows one completion request through its phases and writes its record when it finishes.
// The completion path calls, in order: recorder.begin() when the request arrives, trace.promptBuilt(),
// trace.firstToken() on the first generated text, trace.modelRunFinished() with the engine's timings when its result
// comes, and trace.done() exactly once however it ends.
// The editor's acceptance arrives later through recorder.accepted() and is appended as its own line.
import { randomBytes } from 'node:crypto';
import type { Acceptance, RequestOutcome } from '../protocol';
import { isValidId, RECORD_VERSION, sanitizeLabel, type RequestRecord } from './telemetryRecord';
import type { TelemetrySink } from './telemetryStore';

export interface TelemetryClock {
  /** Epoch milliseconds: when a request was received. */
  now(): number;
  /** Monotonic milliseconds: durations, immune to wall-clock changes. */
  monotonic(): number;
}

export const systemClock: TelemetryClock = { now: () => Date.now(), monotonic: () => performance.now() };

export interface TelemetryRecorderOptions {
  clock: TelemetryClock;
  store: TelemetrySink;
  /** `locus.telemetry.enabled`; false means nothing is written. */
  enabled: boolean;
  newId?: () => string;
}

export interface RequestStart {
  /** The editor's language id. */
  language: string;
  model: string;
}

export interface PromptBuiltInfo {
  retrievalMs?: number | null;
  compressionMs?: number | null;
  /** Prompt tokens before and after compression to the budget. */
  promptTokens: number;
  promptTokensCompressed: number;
  prefixCacheHit?: boolean | null;
}

export interface DoneInfo {
  outcome: RequestOutcome;
  generatedTokens: number;
  /** The engine's own decode rate; computed from the phase marks when absent. */
  tokensPerSecond?: number | null;
  draftProposed?: number | null;
  draftAccepted?: number | null;
  prefixCacheHit?: boolean | null;
  /** Answered from the completion cache with no model run. */
  servedFromCache?: boolean;
  /** For an answer from the completion cache: the id of the request whose model run made the suggestion. */
  cachedFrom?: string;
  /** The model that actually served the request, when it differs from the one known at begin(). */
  model?: string;
}

/** Offered completions whose acceptance can still be reported; older ones count as not accepted. */
const MAX_PENDING_ACCEPTANCE = 256;

export class TelemetryRecorder {
  private enabled: boolean;
  /** A typed-out suggestion may still be reported accepted: VS Code's report of a Tab may come after the next request. */
  private readonly acceptable = new Map<string, 'offered' | 'typedOut' | 'partiallyAccepted'>();
  private readonly newId: () => string;

  constructor(private readonly options: TelemetryRecorderOptions) {
    this.enabled = options.enabled;
    this.newId = options.newId ?? (() => randomBytes(9).toString('base64url'));
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (!enabled) this.acceptable.clear();
  }

  begin(start: RequestStart): RequestTrace {
    return new RequestTrace(this.newId(), start, this.options.clock, (record) => this.finish(record));
  }

  /**
   * The editor reported that the user accepted an offered completion, the `item`th suggestion of its model run's answer
   * when it said which (0 the first). Unknown or repeated reports are ignored.
   */
  accepted(id: string, acceptance: Acceptance, item?: number): void {
    if (!this.enabled || !isValidId(id)) return;
    const state = this.acceptable.get(id);
    if (state === undefined || (state === 'partiallyAccepted' && acceptance === 'partiallyAccepted')) return;
    if (acceptance === 'accepted') this.acceptable.delete(id);
    else this.acceptable.set(id, 'partiallyAccepted');
    this.options.store.append({ v: RECORD_VERSION, kind: 'outcome', id, at: this.options.clock.now(), acceptance, ...(item !== undefined && { item }) });
  }

  /**
   * The user typed an offered suggestion to its end, the `item`th of its model run's answer (0 the first). Ignored for
   * one already reported (accepted, in part or whole, or typed out).
   */
  typedOut(id: string, item: number): void {
    if (!this.enabled || this.acceptable.get(id) !== 'offered') return;
    this.acceptable.set(id, 'typedOut');
    this.options.store.append({ v: RECORD_VERSION, kind: 'outcome', id, at: this.options.clock.now(), acceptance: 'typedOut', item });
  }

  private finish(record: RequestRecord): void {
    if (!this.enabled) return;
    this.options.store.append(record);
    // A suggestion typed into stays reportable as long as it is shown: its cache answers would push it out.
    const { cachedFrom } = record;
    const originState = cachedFrom === null ? undefined : this.acceptable.get(cachedFrom);
    if (cachedFrom !== null && originState !== undefined) {
      this.acceptable.delete(cachedFrom);
      this.acceptable.set(cachedFrom, originState);
    }
    if (record.outcome === 'offered') {
      this.acceptable.set(record.id, 'offered');
      if (this.acceptable.size > MAX_PENDING_ACCEPTANCE) this.acceptable.delete(this.acceptable.keys().next().value as string);
    }
  }
}

/** One request in flight. Phase marks after done() are ignored, so every exit path may call done() safely. */
export class RequestTrace {
  private readonly receivedAt: number;
  private readonly start: number;
  private promptMark: number | null = null;
  private firstTokenMark: number | null = null;
  private prompt: PromptBuiltInfo | null = null;
  private finished = false;

  constructor(
    readonly id: string,
    private readonly request: RequestStart,
    private readonly clock: TelemetryClock,
    private readonly onDone: (record: RequestRecord) => void,
  ) {
    this.receivedAt = clock.now();
    this.start = clock.monotonic();
  }

  promptBuilt(info: PromptBuiltInfo): void {
    if (this.finished || this.promptMark !== null) return;
    this.promptMark = this.clock.monotonic();
    this.prompt = info;
  }

  firstToken(): void {
    if (this.finished || this.firstTokenMark !== null) return;
    this.firstTokenMark = this.clock.monotonic();
  }

  /**
   * The model's result came, with the engine's own times: its first token came its decode time before now. That wins
   * over firstToken(): beam search writes its text only at its end, and a first token may write no text. Counted back
   * from the end, a wait for the engine (a run before this one, its warm-up), which its times leave out, stays before
   * the first token, where the user waited.
   */
  modelRunFinished(engine: { firstTokenMs: number; totalMs: number }): void {
    if (this.finished || this.promptMark === null) return;
    const now = this.clock.monotonic();
    const decodeMs = engine.totalMs - engine.firstTokenMs;
    this.firstTokenMark = decodeMs >= 0 ? Math.max(this.promptMark, now - decodeMs) : now;
  }

  /** Builds the record, writes it when recording is on, and returns it; null when the request was already done. */
  done(info: DoneInfo): RequestRecord | null {
    if (this.finished) return null;
    this.finished = true;
    const doneMark = this.clock.monotonic();
    const since = (mark: number | null): number | null => (mark === null ? null : round(Math.max(0, mark - this.start)));
    const doneMs = since(doneMark) as number;
    const firstTokenMs = since(this.firstTokenMark);
    const record: RequestRecord = {
      v: RECORD_VERSION,
      kind: 'request',
      id: this.id,
      receivedAt: this.receivedAt,
      promptBuiltMs: since(this.promptMark),
      firstTokenMs,
      doneMs,
      retrievalMs: optionalDuration(this.prompt?.retrievalMs),
      compressionMs: optionalDuration(this.prompt?.compressionMs),
      promptTokens: optionalCount(this.prompt?.promptTokens),
      promptTokensCompressed: optionalCount(this.prompt?.promptTokensCompressed),
      generatedTokens: optionalCount(info.generatedTokens) ?? 0,
      // An engine reports 0 when there was nothing to decode after the first token; that is no rate at all.
      tokensPerSecond: (info.tokensPerSecond ?? 0) > 0 ? optionalDuration(info.tokensPerSecond) : decodeRate(info.generatedTokens, firstTokenMs, doneMs),
      draftProposed: optionalCount(info.draftProposed),
      draftAccepted: optionalCount(info.draftAccepted),
      prefixCacheHit: info.prefixCacheHit ?? this.prompt?.prefixCacheHit ?? null,
      servedFromCache: info.servedFromCache ?? false,
      cachedFrom: info.cachedFrom !== undefined && isValidId(info.cachedFrom) ? info.cachedFrom : null,
      model: sanitizeLabel(info.model ?? this.request.model),
      language: sanitizeLabel(this.request.language),
      outcome: info.outcome,
    };
    this.onDone(record);
    return record;
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function optionalDuration(value: number | null | undefined): number | null {
  return value == null || !Number.isFinite(value) || value < 0 ? null : round(value);
}

function optionalCount(value: number | null | undefined): number | null {
  return value == null || !Number.isFinite(value) || value < 0 ? null : Math.round(value);
}

/** Tokens after the first, per second of decoding; the first token's time belongs to prefill. */
function decodeRate(generated: number, firstTokenMs: number | null, doneMs: number): number | null {
  if (firstTokenMs === null || generated < 2 || doneMs <= firstTokenMs) return null;
  return round((generated - 1) / ((doneMs - firstTokenMs) / 1000));
}
