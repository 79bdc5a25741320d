import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  latencyHistogram,
  latencyOverTime,
  niceStep,
  percentile,
  summarize,
  toSamples,
} from '../../lsp-server/telemetry/telemetryAggregate';
import { RECORD_VERSION, type RequestRecord, type TelemetryEntry } from '../../lsp-server/telemetry/telemetryRecord';
import type { TelemetrySample } from '../../lsp-server/protocol';
import { fixtureEntries } from './telemetryFixtures';

const STORE = { files: 1, bytes: 1, maxBytes: 100, skippedLines: 0, disabledReason: null };
const PS = [0, 1, 25, 50, 90, 95, 99, 100];

/** The 257 values of a 31-bit LCG, computed exactly (BigInt) as the NumPy reference script did. */
function lcgValues(): number[] {
  let x = 12345n;
  const values: number[] = [];
  for (let i = 0; i < 257; i++) {
    x = (1103515245n * x + 12345n) % 2n ** 31n;
    values.push(Math.round((20 + Number(x % 100000n) / 100) * 100) / 100);
  }
  return values;
}

// Reference: numpy 2.4.6, `[float(np.percentile(np.array(v, dtype=float), p)) for p in (0, 1, 25, 50, 90, 95, 99, 100)]`.
const NUMPY_REFERENCE: { name: string; values: number[]; expected: number[] }[] = [
  { name: 'one to ten', values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], expected: [1, 1.09, 3.25, 5.5, 9.1, 9.55, 9.91, 10] },
  { name: 'two values', values: [100, 200], expected: [100, 101, 125, 150, 190, 195, 199, 200] },
  { name: 'one value', values: [42], expected: [42, 42, 42, 42, 42, 42, 42, 42] },
  {
    name: 'a skewed tail',
    values: [12.5, 13.1, 14.0, 15.2, 18.9, 22.4, 31.0, 48.7, 95.3, 410.0, 1200.0],
    expected: [12.5, 12.56, 14.6, 22.4, 410, 805, 1121, 1200],
  },
  {
    name: '257 LCG values',
    values: lcgValues(),
    expected: [20.89, 30.6152, 290.75, 503.41, 914.374, 956.932, 1007.0492, 1011.92],
  },
];

function request(overrides: Partial<RequestRecord>): RequestRecord {
  return {
    v: RECORD_VERSION,
    kind: 'request',
    id: 'a',
    receivedAt: 1_000_000,
    promptBuiltMs: 10,
    firstTokenMs: 50,
    doneMs: 100,
    retrievalMs: 4,
    compressionMs: 2,
    promptTokens: 1000,
    promptTokensCompressed: 500,
    generatedTokens: 10,
    tokensPerSecond: 180,
    draftProposed: null,
    draftAccepted: null,
    prefixCacheHit: null,
    servedFromCache: false,
    cachedFrom: null,
    model: 'm',
    language: 'typescript',
    outcome: 'offered',
    ...overrides,
  };
}

describe('percentile', () => {
  for (const { name, values, expected } of NUMPY_REFERENCE) {
    it(`matches NumPy's linear percentiles for ${name}`, () => {
      const sorted = [...values].sort((a, b) => a - b);
      PS.forEach((p, i) => assert.ok(Math.abs(percentile(sorted, p) - (expected[i] as number)) < 1e-9, `p${p}`));
    });
  }

  it('rejects an empty list and out-of-range percentiles', () => {
    assert.throws(() => percentile([], 50), RangeError);
    assert.throws(() => percentile([1], 101), RangeError);
  });
});

describe('toSamples', () => {
  it('joins acceptance reports to their requests; offered without a report is not accepted', () => {
    const entries: TelemetryEntry[] = [
      request({ id: 'b', receivedAt: 2_000_000 }),
      request({ id: 'a' }),
      request({ id: 'c', receivedAt: 3_000_000, outcome: 'cancelled' }),
      request({ id: 'd', receivedAt: 4_000_000 }),
      { v: RECORD_VERSION, kind: 'outcome', id: 'a', at: 1_100_000, acceptance: 'partiallyAccepted' },
      { v: RECORD_VERSION, kind: 'outcome', id: 'a', at: 1_200_000, acceptance: 'accepted' },
      { v: RECORD_VERSION, kind: 'outcome', id: 'd', at: 4_100_000, acceptance: 'partiallyAccepted' },
      { v: RECORD_VERSION, kind: 'outcome', id: 'pruned', at: 5_000_000, acceptance: 'accepted' },
    ];
    const samples = toSamples(entries);
    assert.deepEqual(
      samples.map((s) => [s.id, s.outcome]),
      [['a', 'accepted'], ['b', 'notAccepted'], ['c', 'cancelled'], ['d', 'partiallyAccepted']],
    );
    assert.ok(!('kind' in (samples[0] as object)) && !('v' in (samples[0] as object)));
  });
});

describe('latencyHistogram', () => {
  it('uses round bin widths up to the 99th percentile and one open bin for the tail', () => {
    const latencies = [...Array.from({ length: 99 }, (_, i) => 10 + i * 4), 5000];
    const bins = latencyHistogram(latencies);
    const width = (bins[0]?.toMs as number) - (bins[0]?.fromMs as number);
    assert.equal(width, niceStep(percentile([...latencies].sort((a, b) => a - b), 99) / 20));
    assert.ok([1, 2, 2.5, 5].includes(width / 10 ** Math.floor(Math.log10(width))));
    assert.ok(bins.length <= 21);
    assert.equal(bins.reduce((sum, b) => sum + b.count, 0), latencies.length);
    assert.deepEqual(bins[bins.length - 1], { fromMs: (bins.length - 1) * width, toMs: null, count: 1 });
    for (const bin of bins.slice(0, -1)) {
      assert.equal(bin.count, latencies.filter((v) => v >= bin.fromMs && v < (bin.toMs as number)).length);
    }
  });

  it('is empty without data', () => {
    assert.deepEqual(latencyHistogram([]), []);
  });
});

describe('latencyOverTime', () => {
  it('picks the smallest standard bucket that fits and computes percentiles per bucket', () => {
    const t0 = Date.UTC(2026, 0, 1, 12);
    const samples = toSamples([
      request({ id: 'a', receivedAt: t0, doneMs: 100 }),
      request({ id: 'b', receivedAt: t0 + 10_000, doneMs: 300 }),
      request({ id: 'c', receivedAt: t0 + 2 * 3_600_000, doneMs: 50 }),
      request({ id: 'd', receivedAt: t0 + 20_000, doneMs: 9_999, outcome: 'cancelled' }),
    ]);
    const { bucketMs, points } = latencyOverTime(samples);
    assert.equal(bucketMs, 300_000);
    assert.deepEqual(points, [
      { start: t0, count: 2, p50: 200, p95: 290 },
      { start: t0 + 2 * 3_600_000, count: 1, p50: 50, p95: 50 },
    ]);
  });
});

describe('summarize', () => {
  const samples = toSamples(fixtureEntries());
  const summary = summarize(samples, { enabled: true, generatedAt: 1, store: STORE });
  const finishedLatencies = (list: TelemetrySample[]): number[] =>
    list.filter((s) => s.outcome !== 'cancelled' && s.outcome !== 'error' && !s.servedFromCache).map((s) => s.doneMs).sort((a, b) => a - b);

  it('counts outcomes and acceptance over suggestions shown, each once however many requests showed it', () => {
    const o = summary.outcomes;
    assert.ok(summary.servedFromCache > 0);
    assert.equal(o.requests, 240 + summary.servedFromCache);
    assert.equal(o.accepted + o.partiallyAccepted + o.typedOut + o.notAccepted + o.shownAgain + o.empty + o.cancelled + o.error, o.requests);
    assert.equal(o.error, 1);
    assert.ok(o.accepted > 0 && o.typedOut > 0 && o.cancelled > 0 && o.empty > 0);
    // Every fixture cache answer shows the rest of a suggestion its model run showed: the same suggestion again.
    assert.equal(o.shownAgain, summary.servedFromCache);
    const shown = samples.filter((s) => !s.servedFromCache && ['accepted', 'partiallyAccepted', 'typedOut', 'notAccepted'].includes(s.outcome));
    assert.equal(o.accepted + o.partiallyAccepted + o.typedOut + o.notAccepted, shown.length);
    const accepted = new Set(samples.filter((s) => s.outcome === 'accepted').map((s) => s.cachedFrom ?? s.id));
    assert.equal(o.accepted, accepted.size);
    // Typed out in full is shown and right, but not accepted.
    assert.equal(summary.acceptanceRate, o.accepted / (o.accepted + o.typedOut + o.notAccepted));
  });

  it('computes latency percentiles over finished model runs only (no cancelled, failed or cached answers)', () => {
    const sorted = finishedLatencies(samples);
    assert.equal(summary.latency?.count, sorted.length);
    assert.equal(summary.latency?.p50, percentile(sorted, 50));
    assert.equal(summary.latency?.p95, percentile(sorted, 95));
    assert.equal(summary.latency?.max, sorted[sorted.length - 1]);
    assert.equal(summary.histogram.reduce((sum, b) => sum + b.count, 0), sorted.length);
  });

  it('breaks latency into phases whose means add up to the mean latency', () => {
    const { prompt, prefill, decode, retrieval, compression } = summary.phases;
    const sorted = finishedLatencies(samples);
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
    assert.ok(Math.abs((prompt?.mean ?? 0) + (prefill?.mean ?? 0) + (decode?.mean ?? 0) - mean) < 1e-6);
    assert.ok((retrieval?.mean ?? Infinity) + (compression?.mean ?? Infinity) < (prompt?.mean ?? 0));
  });

  it('groups by language and by model, most used first, matching the overall totals', () => {
    assert.deepEqual(
      summary.byLanguage.map((g) => g.key),
      ['typescript', 'python', 'rust', 'go'],
    );
    assert.equal(summary.byLanguage.reduce((sum, g) => sum + g.outcomes.requests, 0), samples.length);
    assert.deepEqual(summary.byModel.map((g) => g.key), ['locus-small-q4', 'locus-small-fp32']);
    const python = samples.filter((s) => s.language === 'python');
    const row = summary.byLanguage.find((g) => g.key === 'python');
    assert.equal(row?.latency?.p95, percentile(finishedLatencies(python), 95));
    const shown = python.filter((s) => !s.servedFromCache && ['accepted', 'partiallyAccepted', 'typedOut', 'notAccepted'].includes(s.outcome));
    const accepted = new Set(python.filter((s) => s.outcome === 'accepted').map((s) => s.cachedFrom ?? s.id));
    assert.equal(row?.acceptanceRate, accepted.size / shown.length);
  });

  it('weights speculative acceptance by drafted tokens and reports cache hits and compression', () => {
    const drafted = samples.filter((s) => s.draftProposed);
    const expected =
      drafted.reduce((sum, s) => sum + (s.draftAccepted ?? 0), 0) / drafted.reduce((sum, s) => sum + (s.draftProposed ?? 0), 0);
    assert.equal(summary.speculativeAcceptanceRate, expected);
    const known = samples.filter((s) => s.prefixCacheHit !== null);
    assert.equal(summary.prefixCacheHitRate, known.filter((s) => s.prefixCacheHit).length / known.length);
    assert.ok((summary.compressionRatio ?? 0) > 0 && (summary.compressionRatio ?? 1) < 1);
  });

  it('filters by `since` and reports the last request', () => {
    const since = (samples[200] as TelemetrySample).receivedAt;
    const recent = summarize(samples, { enabled: true, generatedAt: 1, store: STORE, since });
    assert.equal(recent.outcomes.requests, samples.length - 200);
    assert.equal(recent.from, since);
    assert.equal(recent.last?.id, (samples.at(-1) as TelemetrySample).id);
  });

  it('summarizes nothing as nulls and empty lists', () => {
    const empty = summarize([], { enabled: false, generatedAt: 1, store: STORE });
    assert.equal(empty.latency, null);
    assert.equal(empty.acceptanceRate, null);
    assert.deepEqual(empty.histogram, []);
    assert.deepEqual(empty.overTime.points, []);
    assert.equal(empty.last, null);
  });
});
