// Turns stored entries into what the dashboard and the `locus/telemetry` request show. Pure: no I/O, no clock.
import type {
  DurationStats,
  GroupStats,
  HistogramBin,
  LastRequestStats,
  OutcomeCounts,
  PhaseBreakdown,
  PhaseStats,
  TelemetrySample,
  TelemetryStoreStats,
  TelemetrySummary,
  TimePoint,
} from '../protocol';
import { countOutcomes } from './suggestionOutcomes';
import type { OutcomeRecord, RequestRecord, TelemetryEntry } from './telemetryRecord';

/**
 * The p-th percentile (0–100) of ascending `sorted` values, linearly interpolated between closest ranks:
 * rank = p/100 · (n − 1). This is NumPy's default (`method="linear"`) and Excel's PERCENTILE.INC.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] as number;
  return lowValue + ((sorted[high] as number) - lowValue) * (rank - low);
}

/** Ascending copy; a typed array sorts numerically and several times faster than a comparator sort. */
function sortedCopy(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

export function durationStats(values: readonly number[]): DurationStats | null {
  if (values.length === 0) return null;
  const sorted = sortedCopy(values);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
  };
}

/** Joins each request with the editor's acceptance report, oldest first (as {@link countOutcomes} needs them). Orphan reports (request pruned) are dropped. */
export function toSamples(entries: readonly TelemetryEntry[]): TelemetrySample[] {
  const reports = new Map<string, OutcomeRecord>();
  for (const entry of entries) {
    // A full acceptance wins over an earlier partial one for the same completion.
    if (entry.kind === 'outcome' && reports.get(entry.id)?.acceptance !== 'accepted') reports.set(entry.id, entry);
  }
  const samples: TelemetrySample[] = [];
  for (const entry of entries) {
    if (entry.kind !== 'request') continue;
    samples.push(toSample(entry, reports.get(entry.id)));
  }
  return samples.sort((a, b) => a.receivedAt - b.receivedAt);
}

function toSample(r: RequestRecord, report: OutcomeRecord | undefined): TelemetrySample {
  const accepted = r.outcome === 'offered' ? report : undefined;
  return {
    id: r.id,
    receivedAt: r.receivedAt,
    promptBuiltMs: r.promptBuiltMs,
    firstTokenMs: r.firstTokenMs,
    doneMs: r.doneMs,
    retrievalMs: r.retrievalMs,
    compressionMs: r.compressionMs,
    promptTokens: r.promptTokens,
    promptTokensCompressed: r.promptTokensCompressed,
    generatedTokens: r.generatedTokens,
    tokensPerSecond: r.tokensPerSecond,
    draftProposed: r.draftProposed,
    draftAccepted: r.draftAccepted,
    prefixCacheHit: r.prefixCacheHit,
    servedFromCache: r.servedFromCache,
    cachedFrom: r.cachedFrom,
    model: r.model,
    language: r.language,
    outcome: r.outcome === 'offered' ? (accepted?.acceptance ?? 'notAccepted') : r.outcome,
    acceptedItem: accepted?.item ?? null,
  };
}

function offered(counts: OutcomeCounts): number {
  return counts.accepted + counts.partiallyAccepted + counts.typedOut + counts.notAccepted;
}

function rate(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

/**
 * Model runs that ran to the end: what latency, phases and tokens/s are computed over. Cancelled and failed
 * requests would skew latency downwards, and so would answers from the completion cache, which run no model.
 */
function finished(s: TelemetrySample): boolean {
  return s.outcome !== 'cancelled' && s.outcome !== 'error' && !s.servedFromCache;
}

function median(values: number[]): number | null {
  return values.length === 0 ? null : percentile(sortedCopy(values), 50);
}

function phaseStats(values: number[]): PhaseStats | null {
  const stats = durationStats(values);
  return stats && { count: stats.count, mean: stats.mean, p50: stats.p50 };
}

export function phaseBreakdown(samples: readonly TelemetrySample[]): PhaseBreakdown {
  const complete = samples.filter((s) => finished(s) && s.promptBuiltMs !== null && s.firstTokenMs !== null);
  const prompt = complete.map((s) => s.promptBuiltMs as number);
  const prefill = complete.map((s) => (s.firstTokenMs as number) - (s.promptBuiltMs as number));
  const decode = complete.map((s) => s.doneMs - (s.firstTokenMs as number));
  const retrieval = samples.flatMap((s) => (finished(s) && s.retrievalMs !== null ? [s.retrievalMs] : []));
  const compression = samples.flatMap((s) => (finished(s) && s.compressionMs !== null ? [s.compressionMs] : []));
  return {
    prompt: phaseStats(prompt),
    retrieval: phaseStats(retrieval),
    compression: phaseStats(compression),
    prefill: phaseStats(prefill),
    decode: phaseStats(decode),
  };
}

const NICE_STEPS = [1, 2, 2.5, 5, 10];

/** The smallest 1/2/2.5/5 × 10^k that is at least `value`. */
export function niceStep(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = NICE_STEPS.find((s) => s * magnitude >= value - 1e-9) as number;
  return step * magnitude;
}

/**
 * Equal-width bins with a round width covering 0 to the 99th percentile in at most `maxBins` bins, plus one
 * open bin for the slowest tail, so one outlier cannot squash the rest of the chart.
 */
export function latencyHistogram(latencies: readonly number[], maxBins = 20): HistogramBin[] {
  if (latencies.length === 0) return [];
  const sorted = sortedCopy(latencies);
  const top = percentile(sorted, 99);
  const width = niceStep(top / maxBins);
  const closed = Math.max(1, Math.ceil(top / width + 1e-9));
  const bins: HistogramBin[] = [];
  for (let i = 0; i < closed; i++) bins.push({ fromMs: i * width, toMs: (i + 1) * width, count: 0 });
  const overflow: HistogramBin = { fromMs: closed * width, toMs: null, count: 0 };
  for (const value of sorted) {
    const index = Math.floor(value / width);
    if (index < closed) (bins[index] as HistogramBin).count++;
    else overflow.count++;
  }
  if (overflow.count > 0) bins.push(overflow);
  return bins;
}

const BUCKET_SIZES_MS = [60_000, 300_000, 900_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000];

/** Percentiles per time bucket; the bucket is the smallest standard size that gives at most `maxPoints` buckets. */
export function latencyOverTime(
  samples: readonly TelemetrySample[],
  maxPoints = 48,
): { bucketMs: number; points: TimePoint[] } {
  const timed = samples.filter(finished);
  if (timed.length === 0) return { bucketMs: BUCKET_SIZES_MS[0] as number, points: [] };
  const first = timed.reduce((min, s) => Math.min(min, s.receivedAt), Infinity);
  const last = timed.reduce((max, s) => Math.max(max, s.receivedAt), -Infinity);
  const bucketMs =
    BUCKET_SIZES_MS.find((size) => Math.floor(last / size) - Math.floor(first / size) + 1 <= maxPoints) ??
    (BUCKET_SIZES_MS[BUCKET_SIZES_MS.length - 1] as number);
  const buckets = new Map<number, number[]>();
  for (const s of timed) {
    const start = Math.floor(s.receivedAt / bucketMs) * bucketMs;
    const list = buckets.get(start) ?? [];
    list.push(s.doneMs);
    buckets.set(start, list);
  }
  const points = [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, values]) => {
      const stats = durationStats(values) as DurationStats;
      return { start, count: stats.count, p50: stats.p50, p95: stats.p95 };
    });
  return { bucketMs, points };
}

function groupBy(samples: readonly TelemetrySample[], key: (s: TelemetrySample) => string): GroupStats[] {
  const groups = new Map<string, TelemetrySample[]>();
  for (const s of samples) {
    const list = groups.get(key(s)) ?? [];
    list.push(s);
    groups.set(key(s), list);
  }
  return [...groups.entries()]
    .map(([name, list]) => {
      const outcomes = countOutcomes(list);
      return {
        key: name,
        outcomes,
        latency: durationStats(list.filter(finished).map((s) => s.doneMs)),
        tokensPerSecondP50: median(list.flatMap((s) => (s.tokensPerSecond === null ? [] : [s.tokensPerSecond]))),
        acceptanceRate: rate(outcomes.accepted + outcomes.partiallyAccepted, offered(outcomes)),
      };
    })
    .sort((a, b) => b.outcomes.requests - a.outcomes.requests || a.key.localeCompare(b.key));
}

export function lastRequest(samples: readonly TelemetrySample[]): LastRequestStats | null {
  const s = samples[samples.length - 1];
  if (!s) return null;
  return {
    id: s.id,
    receivedAt: s.receivedAt,
    latencyMs: s.doneMs,
    firstTokenMs: s.firstTokenMs,
    tokensPerSecond: s.tokensPerSecond,
    generatedTokens: s.generatedTokens,
    outcome: s.outcome === 'accepted' || s.outcome === 'partiallyAccepted' || s.outcome === 'typedOut' || s.outcome === 'notAccepted' ? 'offered' : s.outcome,
    model: s.model,
    language: s.language,
  };
}

export interface SummarizeOptions {
  enabled: boolean;
  generatedAt: number;
  store: TelemetryStoreStats;
  /** Only requests received at or after this time. */
  since?: number;
}

export function summarize(allSamples: readonly TelemetrySample[], options: SummarizeOptions): TelemetrySummary {
  const since = options.since;
  const samples = since === undefined ? allSamples : allSamples.filter((s) => s.receivedAt >= since);
  const outcomes = countOutcomes(samples);
  const done = samples.filter(finished);
  const latencies = done.map((s) => s.doneMs);
  const drafted = samples.filter((s) => s.draftProposed !== null && s.draftProposed > 0);
  const cacheKnown = samples.filter((s) => s.prefixCacheHit !== null);
  const compressed = samples.flatMap((s) =>
    s.promptTokens && s.promptTokensCompressed !== null ? [s.promptTokensCompressed / s.promptTokens] : [],
  );
  return {
    enabled: options.enabled,
    generatedAt: options.generatedAt,
    from: samples.length > 0 ? (samples[0] as TelemetrySample).receivedAt : null,
    to: samples.length > 0 ? (samples[samples.length - 1] as TelemetrySample).receivedAt : null,
    outcomes,
    servedFromCache: samples.filter((s) => s.servedFromCache).length,
    latency: durationStats(latencies),
    firstToken: durationStats(done.flatMap((s) => (s.firstTokenMs === null ? [] : [s.firstTokenMs]))),
    tokensPerSecondP50: median(samples.flatMap((s) => (s.tokensPerSecond === null ? [] : [s.tokensPerSecond]))),
    acceptanceRate: rate(outcomes.accepted + outcomes.partiallyAccepted, offered(outcomes)),
    partialAcceptanceRate: rate(outcomes.partiallyAccepted, offered(outcomes)),
    speculativeAcceptanceRate: rate(
      drafted.reduce((sum, s) => sum + (s.draftAccepted ?? 0), 0),
      drafted.reduce((sum, s) => sum + (s.draftProposed ?? 0), 0),
    ),
    prefixCacheHitRate: rate(cacheKnown.filter((s) => s.prefixCacheHit).length, cacheKnown.length),
    compressionRatio: compressed.length > 0 ? compressed.reduce((a, b) => a + b, 0) / compressed.length : null,
    phases: phaseBreakdown(samples),
    histogram: latencyHistogram(latencies),
    overTime: latencyOverTime(samples),
    byLanguage: groupBy(samples, (s) => s.language),
    byModel: groupBy(samples, (s) => s.model),
    last: lastRequest(samples),
    store: options.store,
  };
}
