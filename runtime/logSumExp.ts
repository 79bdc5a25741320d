// log Σ exp(row) over a row of logits, so that a logit minus it is the token's log-probability. Beam search needs it
// for every live continuation at every step, and a large vocabulary's row is ~150,000 entries: Math.exp on each took
// 1.6-1.9 ms a row, the largest part of what a width-3 step spent outside its pass on Qwen2.5-Coder's shape. Here
// exp(v - max) = 2^-t (t = (max - v) log2 e >= 0) is a table entry 2^-k for the nearest integer k times e^f,
// |f| <= ln 2 / 2, from a degree-7 Taylor polynomial: relative error under 1e-8 per term, so under 1e-8 nats on the
// result, in 0.7-0.9 ms a row.

/**
 * Entries more than this many binary orders below the maximum are left out: each would add under 2^-64 of the
 * maximum's term, under 1e-14 of the sum over a 151,936-entry row.
 */
const NEGLIGIBLE_ORDERS = 64;
/** 2^-k for k = 0 … NEGLIGIBLE_ORDERS. */
const POWERS_OF_HALF = Float64Array.from({ length: NEGLIGIBLE_ORDERS + 1 }, (_, k) => 2 ** -k);

/**
 * log Σ exp(row); NaN if an entry is NaN (a broken model's row must not look normal), else -Infinity for a row with
 * nothing possible (all -Infinity) and Infinity if an entry is Infinity.
 */
export function logNormalizer(row: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (v > max) max = v;
    else if (v !== v) return NaN;
  }
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const t = (max - row[i]!) * Math.LOG2E;
    // Negligible, or a -Infinity entry (t is Infinity).
    if (!(t < NEGLIGIBLE_ORDERS)) continue;
    const k = (t + 0.5) | 0;
    const f = (k - t) * Math.LN2;
    const ef = 1 + f * (1 + f * (1 / 2 + f * (1 / 6 + f * (1 / 24 + f * (1 / 120 + f * (1 / 720 + f * (1 / 5040)))))));
    sum += ef * POWERS_OF_HALF[k]!;
  }
  return max + Math.log(sum);
}
