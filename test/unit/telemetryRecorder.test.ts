import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TelemetryEntry } from '../../lsp-server/telemetry/telemetryRecord';
import { TelemetryRecorder, type TelemetryClock } from '../../lsp-server/telemetry/telemetryRecorder';

/** A clock the test moves by hand; the wall clock deliberately jumps backwards to prove durations ignore it. */
class FakeClock implements TelemetryClock {
  wall = 1_750_000_000_000;
  mono = 5_000;
  now(): number {
    return this.wall;
  }
  monotonic(): number {
    return this.mono;
  }
  advance(ms: number): void {
    this.mono += ms;
    this.wall -= 3_600_000;
  }
}

function setup(enabled = true) {
  const clock = new FakeClock();
  const written: TelemetryEntry[] = [];
  let n = 0;
  const recorder = new TelemetryRecorder({ clock, store: { append: (e) => written.push(e) }, enabled, newId: () => `id${n++}` });
  return { clock, written, recorder };
}

describe('TelemetryRecorder', () => {
  it('times each phase from the monotonic clock and writes one record at done', () => {
    const { clock, written, recorder } = setup();
    const trace = recorder.begin({ language: 'typescript', model: 'locus-small' });
    clock.advance(12.34);
    trace.promptBuilt({ retrievalMs: 4.56, compressionMs: 1.2, promptTokens: 1800, promptTokensCompressed: 900, prefixCacheHit: true });
    clock.advance(80);
    trace.firstToken();
    clock.advance(5);
    trace.firstToken(); // Only the first call counts.
    clock.advance(195);
    const record = trace.done({ outcome: 'offered', generatedTokens: 21, draftProposed: 18, draftAccepted: 12 });
    assert.deepEqual(record, {
      v: 1,
      kind: 'request',
      id: 'id0',
      receivedAt: 1_750_000_000_000,
      promptBuiltMs: 12.3,
      firstTokenMs: 92.3,
      doneMs: 292.3,
      retrievalMs: 4.6,
      compressionMs: 1.2,
      promptTokens: 1800,
      promptTokensCompressed: 900,
      generatedTokens: 21,
      tokensPerSecond: 100,
      draftProposed: 18,
      draftAccepted: 12,
      prefixCacheHit: true,
      servedFromCache: false,
      cachedFrom: null,
      model: 'locus-small',
      language: 'typescript',
      outcome: 'offered',
    });
    assert.deepEqual(written, [record]);
    assert.equal(trace.done({ outcome: 'error', generatedTokens: 0 }), null);
    assert.equal(written.length, 1);
  });

  it('records a cancelled request with the phases it reached', () => {
    const { clock, written, recorder } = setup();
    const trace = recorder.begin({ language: 'python', model: 'm' });
    clock.advance(30);
    const record = trace.done({ outcome: 'cancelled', generatedTokens: 0 });
    assert.equal(record?.promptBuiltMs, null);
    assert.equal(record?.firstTokenMs, null);
    assert.equal(record?.tokensPerSecond, null);
    assert.equal(record?.doneMs, 30);
    trace.promptBuilt({ promptTokens: 1, promptTokensCompressed: 1 });
    assert.equal(written.length, 1);
  });

  it("uses the engine's first-token time when the path does not stream", () => {
    const { clock, recorder } = setup();
    const trace = recorder.begin({ language: 'go', model: 'm' });
    clock.advance(10);
    trace.promptBuilt({ promptTokens: 100, promptTokensCompressed: 100 });
    clock.advance(300);
    trace.modelRunFinished({ firstTokenMs: 100, totalMs: 300 });
    const record = trace.done({ outcome: 'offered', generatedTokens: 5, tokensPerSecond: 44.44 });
    assert.equal(record?.firstTokenMs, 110);
    assert.equal(record?.tokensPerSecond, 44.4);
    const single = recorder.begin({ language: 'go', model: 'm' });
    single.promptBuilt({ promptTokens: 100, promptTokensCompressed: 100 });
    clock.advance(50);
    single.modelRunFinished({ firstTokenMs: 50, totalMs: 50 });
    assert.equal(single.done({ outcome: 'offered', generatedTokens: 1, tokensPerSecond: 0 })?.tokensPerSecond, null);
  });

  it("takes the engine's first-token time over the first text's, counted back from its end so a wait for the engine is prefill", () => {
    const { clock, recorder } = setup();
    const trace = recorder.begin({ language: 'python', model: 'm' });
    clock.advance(10);
    trace.promptBuilt({ promptTokens: 100, promptTokensCompressed: 100 });
    clock.advance(40); // The engine finishes another job first: its own times leave this out.
    clock.advance(300);
    trace.firstToken(); // Beam search writes its text at its end.
    trace.modelRunFinished({ firstTokenMs: 100, totalMs: 300 });
    clock.advance(5);
    const record = trace.done({ outcome: 'offered', generatedTokens: 6 });
    assert.deepEqual([record?.promptBuiltMs, record?.firstTokenMs, record?.doneMs], [10, 150, 355]);
  });

  it('stores only identifier-like labels, never free text', () => {
    const { recorder } = setup();
    const record = recorder.begin({ language: 'const x = secret;', model: '/home/me/models/x' }).done({ outcome: 'empty', generatedTokens: 0 });
    assert.equal(record?.language, 'other');
    assert.equal(record?.model, 'other');
  });

  it('appends an acceptance only for a completion it offered, once', () => {
    const { written, recorder } = setup();
    const offered = recorder.begin({ language: 'rust', model: 'm' });
    offered.done({ outcome: 'offered', generatedTokens: 3 });
    const empty = recorder.begin({ language: 'rust', model: 'm' });
    empty.done({ outcome: 'empty', generatedTokens: 0 });
    recorder.accepted(empty.id, 'accepted');
    recorder.accepted('never-offered', 'accepted');
    recorder.accepted(offered.id, 'partiallyAccepted');
    recorder.accepted(offered.id, 'accepted');
    recorder.accepted(offered.id, 'accepted');
    assert.deepEqual(
      written.filter((e) => e.kind === 'outcome').map((e) => [e.id, e.kind === 'outcome' && e.acceptance]),
      [[offered.id, 'partiallyAccepted'], [offered.id, 'accepted']],
    );
  });

  it('writes nothing while disabled', () => {
    const { written, recorder } = setup(false);
    const trace = recorder.begin({ language: 'typescript', model: 'm' });
    assert.equal(trace.done({ outcome: 'offered', generatedTokens: 2 })?.outcome, 'offered');
    recorder.accepted(trace.id, 'accepted');
    assert.deepEqual(written, []);
    recorder.setEnabled(true);
    recorder.begin({ language: 'typescript', model: 'm' }).done({ outcome: 'empty', generatedTokens: 0 });
    assert.equal(written.length, 1);
  });
});
