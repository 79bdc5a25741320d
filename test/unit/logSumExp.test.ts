// The fast log Σ exp (runtime/logSumExp.ts) against an exact one (Math.exp on every entry, summed after the maximum
// is known), on rows shaped like a large vocabulary's logits and on the edge cases beam search can hand it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logNormalizer } from '../../runtime/logSumExp';
import { mulberry32 } from '../../runtime/sampler';

function exact(row: Float32Array): number {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  if (max === -Infinity) return max;
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

describe('logNormalizer', () => {
  it('agrees with the exact sum within 1e-8 nats on rows of 151,936 logits of several spreads', () => {
    const random = mulberry32(7);
    for (const spread of [0.5, 6, 40, 400]) {
      const row = Float32Array.from({ length: 151_936 }, () => (random() + random() + random() - 1.5) * spread);
      // Masked entries, as the healed prefix and word choices leave them.
      for (let i = 0; i < row.length; i += 97) row[i] = -Infinity;
      assert.ok(Math.abs(logNormalizer(row) - exact(row)) < 1e-8, `spread ${spread}`);
    }
  });

  it('is exact where the row is a few known probabilities, and handles large, masked and infinite rows', () => {
    const row = Float32Array.from([-Infinity, Math.log(2), Math.log(5), -Infinity, Math.log(3)]);
    assert.ok(Math.abs(logNormalizer(row) - Math.log(10)) < 1e-7);
    assert.ok(Math.abs(logNormalizer(Float32Array.from([1000, 999, 1000])) - (1000 + Math.log(2 + Math.exp(-1)))) < 1e-9);
    // Entries far below the maximum count for nothing rather than underflowing into NaN.
    assert.equal(logNormalizer(Float32Array.from([0, -1e30, -3e38])), 0);
    assert.equal(logNormalizer(new Float32Array(3).fill(-Infinity)), -Infinity);
    assert.equal(logNormalizer(new Float32Array(0)), -Infinity);
    assert.equal(logNormalizer(Float32Array.from([1, Infinity])), Infinity);
    for (const row of [[1, NaN, 2], [NaN, NaN], [Infinity, NaN], [NaN, -Infinity]]) assert.ok(Number.isNaN(logNormalizer(Float32Array.from(row))), `${row}: a NaN entry makes the row NaN`);
  });
});
