import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proposeFromHistory } from '../../runtime/speculative/promptLookupDrafter';
import { verifyGreedy, verifySampled } from '../../runtime/speculative/acceptance';
import { AdaptiveDraftLength } from '../../runtime/speculative/adaptiveDraftLength';
import { mulberry32 } from '../../runtime/sampler';

const rows = (...xs: number[][]) => xs.map((x) => Float32Array.from(x));

test('prompt lookup proposes what followed the most recent earlier occurrence of the trailing n-gram', () => {
  const history = [1, 2, 3, 9, 9, 1, 2, 3, 7, 8, 5, 1, 2, 3];
  assert.deepEqual(proposeFromHistory(history, 3), [7, 8, 5]);
  assert.deepEqual(proposeFromHistory(history, 1), [7]);
  assert.deepEqual(proposeFromHistory([4, 5, 6], 3), []);
  // Falls back to a shorter n-gram when the longer one never occurred before.
  assert.deepEqual(proposeFromHistory([5, 2, 3, 4, 0, 8, 2, 3], 2, { maxNgram: 4, minNgram: 2 }), [4, 0]);
});

test('greedy verification accepts drafts while they equal the target argmax, then corrects', () => {
  const target = rows([0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]);
  assert.deepEqual(verifyGreedy([1, 2, 0], target), { accepted: 3, next: 1 });
  assert.deepEqual(verifyGreedy([1, 0, 0], target), { accepted: 1, next: 2 });
  assert.deepEqual(verifyGreedy([2, 2, 0], target), { accepted: 0, next: 1 });
  assert.deepEqual(verifyGreedy([], rows([0, 0, 1])), { accepted: 0, next: 2 });
});

function chiSquare(counts: number[], probs: number[], total: number): number {
  let chi = 0;
  for (let i = 0; i < probs.length; i++) {
    const expected = probs[i] * total;
    if (expected > 0) chi += (counts[i] - expected) ** 2 / expected;
    else assert.equal(counts[i], 0, `token ${i} has zero probability but was emitted`);
  }
  return chi;
}

// Toy Markov "models" over a vocabulary of 4: next-token distributions given the previous token.
const P = [
  [0.5, 0.2, 0.2, 0.1],
  [0.1, 0.6, 0.2, 0.1],
  [0.25, 0.25, 0.25, 0.25],
  [0.05, 0.05, 0.1, 0.8],
];
const Q = [
  [0.2, 0.5, 0.2, 0.1],
  [0.4, 0.1, 0.4, 0.1],
  [0.7, 0.1, 0.1, 0.1],
  [0.25, 0.25, 0.25, 0.25],
];

function sample(probs: number[], random: () => number): number {
  let r = random();
  for (let i = 0; i < probs.length; i++) {
    r -= probs[i];
    if (r < 0) return i;
  }
  return probs.length - 1;
}

test('speculative sampling preserves the target distribution over the first two tokens (chi-square)', () => {
  const random = mulberry32(7);
  const trials = 60000;
  const counts = new Array(16).fill(0);
  const start = 0;
  for (let t = 0; t < trials; t++) {
    const d1 = sample(Q[start], random);
    const d2 = sample(Q[d1], random);
    const verdict = verifySampled(
      [d1, d2],
      rows(P[start], P[d1], P[d2]),
      rows(Q[start], Q[d1]),
      random,
    );
    const emitted = [d1, d2].slice(0, verdict.accepted).concat(verdict.next);
    if (emitted.length < 2) emitted.push(sample(P[emitted[0]], random));
    counts[emitted[0] * 4 + emitted[1]]++;
  }
  const joint = P[start].flatMap((p1, a) => P[a].map((p2) => p1 * p2));
  // 15 degrees of freedom: the 0.999 quantile is 37.7.
  assert.ok(chiSquare(counts, joint, trials) < 37.7, 'joint distribution differs from the target');
});

test('speculative sampling with a deterministic (prompt lookup) draft preserves the target distribution', () => {
  const random = mulberry32(11);
  const trials = 40000;
  const counts = [0, 0, 0, 0];
  for (let t = 0; t < trials; t++) {
    const verdict = verifySampled([3], rows(P[0], P[3]), [null], random);
    counts[verdict.accepted === 1 ? 3 : verdict.next]++;
  }
  assert.ok(chiSquare(counts, P[0], trials) < 16.3, 'first-token distribution differs from the target');
});

test('adaptive draft length grows with acceptance and shrinks when drafts are rejected', () => {
  const k = new AdaptiveDraftLength(1, 8, 0.5);
  const initial = k.next();
  for (let i = 0; i < 20; i++) k.record(8, 8);
  const high = k.next();
  for (let i = 0; i < 20; i++) k.record(4, 0);
  const low = k.next();
  assert.ok(high > initial, `${high} > ${initial}`);
  assert.ok(low < initial, `${low} < ${initial}`);
  assert.equal(low, 1);
  assert.ok(k.acceptanceRate < 0.05);
});

test('auto mode asks the draft model only while its rounds measure faster than plain passes', async () => {
  const { SpeculationTuning } = await import('../../runtime/speculative/speculationTuning');
  const fresh = new SpeculationTuning();
  assert.equal(fresh.useDraftModel(), true, 'unmeasured: try the draft model');

  const paying = new SpeculationTuning();
  for (let i = 0; i < 5; i++) {
    paying.recordPlainRound(10);
    paying.recordDraftRound(12, 3);
  }
  assert.ok(paying.draftModelGain() > 2, `gain ${paying.draftModelGain()}`);
  assert.equal(Array.from({ length: 32 }, () => paying.useDraftModel()).filter(Boolean).length, 30, 'used except for 1 round in 16');

  const losing = new SpeculationTuning();
  for (let i = 0; i < 5; i++) {
    losing.recordPlainRound(10);
    losing.recordDraftRound(30, 2);
  }
  assert.ok(losing.draftModelGain() < 1, `gain ${losing.draftModelGain()}`);
  assert.equal(Array.from({ length: 32 }, () => losing.useDraftModel()).filter(Boolean).length, 2, 'still probed 1 round in 16');
});

test("auto mode runs the draft model only when what it saves over the request pays for the draft's prompt prefill", async () => {
  const { SpeculationTuning } = await import('../../runtime/speculative/speculationTuning');
  const tuning = new SpeculationTuning();
  for (let i = 0; i < 5; i++) {
    tuning.recordPlainRound(10);
    tuning.recordDraftRound(12, 3); // 4 ms per token: 6 ms saved per token
  }
  tuning.recordDraftPrefill(700, 700); // 1 ms per prompt token
  const uses = (uncached: number, remaining: number) => Array.from({ length: 32 }, () => tuning.useDraftModel(uncached, remaining)).filter(Boolean).length;
  assert.equal(uses(700, 16), 0, '16 tokens save 96 ms, the prefill costs 700: never, not even to re-measure');
  assert.equal(uses(700, 200), 30, '200 tokens save 1.2 s: worth the prefill');
  assert.equal(uses(0, 16), 30, 'already prefilled in this request: nothing to pay');
  assert.equal(uses(30, 4), 2, 'not worth it, but cheap enough to re-measure now and then');
});
