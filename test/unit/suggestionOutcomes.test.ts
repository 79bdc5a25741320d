// lsp-server/telemetry/suggestionOutcomes.ts: a suggestion counts once, however many requests showed it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FinalOutcome, TelemetrySample } from '../../lsp-server/protocol';
import { countOutcomes } from '../../lsp-server/telemetry/suggestionOutcomes';
import { summarize } from '../../lsp-server/telemetry/telemetryAggregate';

let at = 1_000_000;

function sample(id: string, outcome: FinalOutcome, cache?: { from: string | null }, language = 'typescript'): TelemetrySample {
  at += 1000;
  return {
    id,
    receivedAt: at,
    promptBuiltMs: cache ? null : 5,
    firstTokenMs: cache ? null : 20,
    doneMs: cache ? 0.5 : 60,
    retrievalMs: null,
    compressionMs: null,
    promptTokens: null,
    promptTokensCompressed: null,
    generatedTokens: cache ? 0 : 8,
    tokensPerSecond: null,
    draftProposed: null,
    draftAccepted: null,
    prefixCacheHit: null,
    servedFromCache: cache !== undefined,
    cachedFrom: cache?.from ?? null,
    model: 'locus-target',
    language,
    outcome,
    acceptedItem: outcome === 'accepted' || outcome === 'partiallyAccepted' ? 0 : null,
  };
}

const STORE = { files: 1, bytes: 1, maxBytes: 100, skippedLines: 0, disabledReason: null };

describe('suggestion outcomes', () => {
  it('counts a suggestion typed into and then accepted once, as accepted', () => {
    // One model run, then three keystrokes into its suggestion answered from the cache; Tab at the last.
    const samples = [
      sample('run', 'notAccepted'),
      sample('k1', 'notAccepted', { from: 'run' }),
      sample('k2', 'notAccepted', { from: 'run' }),
      sample('k3', 'accepted', { from: 'run' }),
    ];
    assert.deepEqual(countOutcomes(samples), {
      requests: 4,
      accepted: 1,
      partiallyAccepted: 0,
      typedOut: 0,
      notAccepted: 0,
      shownAgain: 3,
      empty: 0,
      cancelled: 0,
      error: 0,
      acceptedRunnerUp: 0,
    });
    const summary = summarize(samples, { enabled: true, generatedAt: 1, store: STORE });
    assert.equal(summary.acceptanceRate, 1, 'one suggestion shown, and it was accepted');
  });

  it('ranks typed out in full above not accepted and below any acceptance', () => {
    const o = countOutcomes([
      sample('a', 'typedOut'),
      sample('a1', 'notAccepted', { from: 'a' }),
      sample('b', 'notAccepted'),
      sample('b1', 'typedOut', { from: 'b' }),
      sample('c', 'typedOut'),
      sample('c1', 'partiallyAccepted', { from: 'c' }),
    ]);
    assert.deepEqual([o.partiallyAccepted, o.typedOut, o.notAccepted, o.shownAgain], [1, 2, 0, 3]);
  });

  it('takes the best outcome of a suggestion’s requests, and keeps other suggestions apart', () => {
    const o = countOutcomes([
      sample('a', 'partiallyAccepted'),
      sample('a1', 'accepted', { from: 'a' }),
      sample('b', 'notAccepted'),
      sample('b1', 'notAccepted', { from: 'b' }),
      sample('c', 'partiallyAccepted'),
      sample('d', 'empty'),
    ]);
    assert.deepEqual([o.accepted, o.partiallyAccepted, o.notAccepted, o.shownAgain, o.empty], [1, 1, 1, 2, 1]);
  });

  it('counts the suggestions taken from a further item of an answer (a runner-up), by the request that decided them', () => {
    const runnerUp = (s: TelemetrySample): TelemetrySample => ({ ...s, acceptedItem: 1 });
    const o = countOutcomes([
      // Partly accepted as shown first, then typed into and the rest taken from the cache answer's second item.
      sample('a', 'partiallyAccepted'),
      runnerUp(sample('a1', 'accepted', { from: 'a' })),
      // A runner-up partly accepted, then the rest of the first item accepted: the first decided it.
      runnerUp(sample('b', 'partiallyAccepted')),
      sample('b1', 'accepted', { from: 'b' }),
      runnerUp(sample('c', 'accepted')),
      sample('d', 'accepted'),
    ]);
    assert.deepEqual([o.accepted, o.acceptedRunnerUp, o.shownAgain], [4, 2, 2]);
  });

  it('counts a suggestion first shown from the cache (its model run was cancelled) as shown', () => {
    // The document changed while the model ran: its answer was cached but not shown, then shown as the user typed it.
    const o = countOutcomes([sample('run', 'cancelled'), sample('k1', 'notAccepted', { from: 'run' }), sample('k2', 'notAccepted', { from: 'run' })]);
    assert.deepEqual([o.cancelled, o.notAccepted, o.shownAgain, o.requests], [1, 1, 1, 3]);
  });

  it('joins a cache answer recorded without its model run to the latest request of its model and language', () => {
    // Records written before cache answers named their model run.
    const o = countOutcomes([
      sample('ts', 'notAccepted'),
      sample('py', 'notAccepted', undefined, 'python'),
      sample('k1', 'notAccepted', { from: null }),
      sample('k2', 'accepted', { from: null }),
    ]);
    assert.deepEqual([o.accepted, o.notAccepted, o.shownAgain], [1, 1, 2]);
  });

  it('counts a cache answer left with only the closers the editor inserted as its suggestion’s, not as nothing to suggest', () => {
    // `foo|` suggested `(a, b)`; typing `(` auto-closed `)`, and at `foo(a, b|)` the rest, `)`, is in the editor already.
    const o = countOutcomes([sample('run', 'notAccepted'), sample('k1', 'notAccepted', { from: 'run' }), sample('k5', 'empty', { from: 'run' }), sample('none', 'empty')]);
    assert.deepEqual([o.notAccepted, o.shownAgain, o.empty, o.requests], [1, 2, 1, 4], 'only the model run that had nothing is empty');
  });

  it('adds up to the requests', () => {
    const samples = [sample('a', 'notAccepted'), sample('a1', 'notAccepted', { from: 'a' }), sample('x', 'cancelled'), sample('y', 'error'), sample('z', 'empty', { from: 'a' })];
    const o = countOutcomes(samples);
    assert.equal(o.accepted + o.partiallyAccepted + o.notAccepted + o.shownAgain + o.empty + o.cancelled + o.error, o.requests);
    assert.equal(o.requests, samples.length);
  });
});
