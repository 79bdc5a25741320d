// Verification rules for speculative decoding. Greedy: accept drafts while they equal the target's argmax.
// Sampling: the rule of Leviathan et al. (2023) and Chen et al. (2023), which leaves the output distributed
// exactly as sampling from the target alone.

export interface Verdict {
  /** How many draft tokens were accepted (a prefix of the drafts). */
  accepted: number;
  /** The token the target contributes after the accepted prefix (correction or bonus). */
  next: number;
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** `targetRows[i]` scores the position after drafts[0..i-1]; there are drafts.length + 1 rows. */
export function verifyGreedy(drafts: readonly number[], targetRows: readonly Float32Array[]): Verdict {
  for (let i = 0; i < drafts.length; i++) {
    const best = argmax(targetRows[i]);
    if (best !== drafts[i]) return { accepted: i, next: best };
  }
  return { accepted: drafts.length, next: argmax(targetRows[drafts.length]) };
}

/** Draws an index with probability proportional to `probs` (which sum to `total`). */
export function sampleFrom(probs: Float32Array, total: number, random: () => number): number {
  let r = random() * total;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] <= 0) continue;
    last = i;
    r -= probs[i];
    if (r < 0) return i;
  }
  return last;
}

/**
 * Lossless speculative sampling. `targetProbs[i]` and `draftProbs[i]` are the processed distributions
 * (temperature, top-k, top-p applied identically) at draft position i; `draftProbs[i]` is null for a
 * deterministic drafter (prompt lookup), which is the one-hot distribution on drafts[i].
 */
export function verifySampled(
  drafts: readonly number[],
  targetProbs: readonly Float32Array[],
  draftProbs: readonly (Float32Array | null)[],
  random: () => number,
): Verdict {
  for (let i = 0; i < drafts.length; i++) {
    const d = drafts[i];
    const p = targetProbs[i];
    const q = draftProbs[i];
    const qd = q ? q[d] : 1;
    const ratio = qd > 0 ? p[d] / qd : 1;
    if (random() < Math.min(1, ratio)) continue;
    // Rejected: draw from the residual max(0, p - q), renormalised.
    const residual = new Float32Array(p.length);
    let total = 0;
    for (let t = 0; t < p.length; t++) {
      const r = Math.max(0, p[t] - (q ? q[t] : t === d ? 1 : 0));
      residual[t] = r;
      total += r;
    }
    const next = total > 0 ? sampleFrom(residual, total, random) : sampleFrom(p, 1, random);
    return { accepted: i, next };
  }
  const last = targetProbs[drafts.length];
  let total = 0;
  for (let t = 0; t < last.length; t++) total += last[t];
  return { accepted: drafts.length, next: sampleFrom(last, total, random) };
}
