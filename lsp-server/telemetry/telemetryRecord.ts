// The two kinds of line in the telemetry store, and the only code that turns them into text and back.
// A request is written once, when it finishes; the editor's later acceptance is appended as its own line
// and joined at read time, so the store stays append-only and a record is on disk as soon as it exists.
// Serialization copies allowlisted fields only, so nothing else (code, paths, prompts) can reach the file.
import type { Acceptance, RequestOutcome, TelemetrySample } from '../protocol';

/** What a stored report says of an offered suggestion: the editor's acceptance, or the server's `typedOut`. */
export type ReportedOutcome = Acceptance | 'typedOut';

export const RECORD_VERSION = 1;

/** A stored request: the protocol's sample fields with the server-side outcome (acceptance is joined at read time). */
export interface RequestRecord extends Omit<TelemetrySample, 'outcome' | 'acceptedItem'> {
  v: typeof RECORD_VERSION;
  kind: 'request';
  outcome: RequestOutcome;
}

export interface OutcomeRecord {
  v: typeof RECORD_VERSION;
  kind: 'outcome';
  id: string;
  at: number;
  acceptance: ReportedOutcome;
  /** The accepted (or typed-out) suggestion's place in its model run's answer (0 the first); absent when the editor did not say. */
  item?: number;
}

export type TelemetryEntry = RequestRecord | OutcomeRecord;

const REQUEST_OUTCOMES: readonly RequestOutcome[] = ['offered', 'empty', 'cancelled', 'error'];
const REPORTED_OUTCOMES: readonly ReportedOutcome[] = ['accepted', 'partiallyAccepted', 'typedOut'];
/** The highest suggestion place stored; an answer offers a handful of suggestions, so a larger one is damage. */
const MAX_ITEM_INDEX = 63;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const LABEL_PATTERN = /^[A-Za-z0-9_.+#-]{1,64}$/;

/** A language id or model name as stored: short identifier characters only, anything else becomes `other`. */
export function sanitizeLabel(value: string): string {
  return LABEL_PATTERN.test(value) ? value : 'other';
}

/** Whether `value` can be a suggestion's place in an answer (0 the first). */
export function isItemIndex(value: unknown): value is number {
  return isCount(value) && value <= MAX_ITEM_INDEX;
}

export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** One line of the store, newline included. Field order is fixed so lines are easy to read by eye. */
export function serializeEntry(entry: TelemetryEntry): string {
  if (entry.kind === 'outcome') {
    const line = { v: RECORD_VERSION, kind: 'outcome', id: entry.id, at: entry.at, acceptance: entry.acceptance, item: entry.item };
    return `${JSON.stringify(line)}\n`;
  }
  const line: RequestRecord = {
    v: RECORD_VERSION,
    kind: 'request',
    id: entry.id,
    receivedAt: entry.receivedAt,
    promptBuiltMs: entry.promptBuiltMs,
    firstTokenMs: entry.firstTokenMs,
    doneMs: entry.doneMs,
    retrievalMs: entry.retrievalMs,
    compressionMs: entry.compressionMs,
    promptTokens: entry.promptTokens,
    promptTokensCompressed: entry.promptTokensCompressed,
    generatedTokens: entry.generatedTokens,
    tokensPerSecond: entry.tokensPerSecond,
    draftProposed: entry.draftProposed,
    draftAccepted: entry.draftAccepted,
    prefixCacheHit: entry.prefixCacheHit,
    servedFromCache: entry.servedFromCache,
    cachedFrom: entry.cachedFrom,
    model: sanitizeLabel(entry.model),
    language: sanitizeLabel(entry.language),
    outcome: entry.outcome,
  };
  return `${JSON.stringify(line)}\n`;
}

/** No request lasts longer: a record saying so was written by hand, or damaged. */
const MAX_REQUEST_MS = 24 * 60 * 60 * 1000;

/** Parses one stored line; null for a torn, foreign or newer-version line, which readers skip. */
export function parseEntry(line: string): TelemetryEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const o = value as Record<string, unknown>;
  if (o.v !== RECORD_VERSION || typeof o.id !== 'string' || !isValidId(o.id)) return null;
  if (o.kind === 'outcome') {
    if (!isTime(o.at) || !REPORTED_OUTCOMES.includes(o.acceptance as ReportedOutcome)) return null;
    if (o.item !== undefined && !isItemIndex(o.item)) return null;
    return { v: RECORD_VERSION, kind: 'outcome', id: o.id, at: o.at, acceptance: o.acceptance as ReportedOutcome, ...(o.item !== undefined && { item: o.item }) };
  }
  if (o.kind !== 'request') return null;
  const durations = ['promptBuiltMs', 'firstTokenMs', 'retrievalMs', 'compressionMs', 'tokensPerSecond'] as const;
  const counts = ['promptTokens', 'promptTokensCompressed', 'draftProposed', 'draftAccepted'] as const;
  if (
    !isTime(o.receivedAt) ||
    !isNonNegative(o.doneMs) ||
    !isCount(o.generatedTokens) ||
    !durations.every((k) => o[k] === null || isNonNegative(o[k])) ||
    !counts.every((k) => o[k] === null || isCount(o[k])) ||
    !(o.prefixCacheHit === null || typeof o.prefixCacheHit === 'boolean') ||
    typeof o.servedFromCache !== 'boolean' ||
    // Absent from records written before cache answers named the model run they continue.
    !(o.cachedFrom === undefined || o.cachedFrom === null || (typeof o.cachedFrom === 'string' && isValidId(o.cachedFrom))) ||
    typeof o.model !== 'string' ||
    !LABEL_PATTERN.test(o.model) ||
    typeof o.language !== 'string' ||
    !LABEL_PATTERN.test(o.language) ||
    !REQUEST_OUTCOMES.includes(o.outcome as RequestOutcome) ||
    // Phases end within the request: a first token after its end would make a negative decode time.
    !(['promptBuiltMs', 'firstTokenMs'] as const).every((k) => o[k] === null || (o[k] as number) <= (o.doneMs as number)) ||
    // ...and in order: a first token before the prompt was built would make a negative prefill time.
    (o.promptBuiltMs !== null && o.firstTokenMs !== null && (o.firstTokenMs as number) < (o.promptBuiltMs as number)) ||
    // A request lasts less than a day: a duration of 1e308 ms made the dashboard's axis loop forever.
    (o.doneMs as number) > MAX_REQUEST_MS
  ) {
    return null;
  }
  return {
    v: RECORD_VERSION,
    kind: 'request',
    id: o.id,
    receivedAt: o.receivedAt,
    promptBuiltMs: o.promptBuiltMs as number | null,
    firstTokenMs: o.firstTokenMs as number | null,
    doneMs: o.doneMs,
    retrievalMs: o.retrievalMs as number | null,
    compressionMs: o.compressionMs as number | null,
    promptTokens: o.promptTokens as number | null,
    promptTokensCompressed: o.promptTokensCompressed as number | null,
    generatedTokens: o.generatedTokens,
    tokensPerSecond: o.tokensPerSecond as number | null,
    draftProposed: o.draftProposed as number | null,
    draftAccepted: o.draftAccepted as number | null,
    prefixCacheHit: o.prefixCacheHit,
    servedFromCache: o.servedFromCache,
    cachedFrom: (o.cachedFrom as string | null | undefined) ?? null,
    model: o.model,
    language: o.language,
    outcome: o.outcome as RequestOutcome,
  };
}

function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isCount(value: unknown): value is number {
  return isNonNegative(value) && Number.isInteger(value);
}

/** Largest time a Date holds (±8.64e15 ms): a later one would show as "Invalid Date". */
const MAX_TIME = 8.64e15;

function isTime(value: unknown): value is number {
  return isCount(value) && value > 0 && value <= MAX_TIME;
}
