// Chooses how many tokens to draft from the recent acceptance rate: long drafts pay off only while most of
// them are accepted, and a rejected draft wastes the drafter's time and a wider verify pass.

export class AdaptiveDraftLength {
  private rate: number;

  constructor(
    private readonly min = 1,
    private readonly max = 8,
    initialRate = 0.6,
    private readonly smoothing = 0.3,
  ) {
    this.rate = initialRate;
  }

  /** Records one round: `proposed` drafts of which `accepted` were kept. */
  record(proposed: number, accepted: number): void {
    if (proposed === 0) return;
    this.rate = (1 - this.smoothing) * this.rate + this.smoothing * (accepted / proposed);
  }

  /** The draft length that maximises expected tokens per unit of work at the current acceptance rate. */
  next(): number {
    const a = Math.min(0.98, Math.max(0.02, this.rate));
    // Expected emitted tokens for k drafts is (1 - a^(k+1)) / (1 - a); drafting costs grow linearly in k.
    let best = this.min;
    let bestValue = -Infinity;
    for (let k = this.min; k <= this.max; k++) {
      const emitted = (1 - a ** (k + 1)) / (1 - a);
      const value = emitted / (1 + 0.15 * k);
      if (value > bestValue) {
        bestValue = value;
        best = k;
      }
    }
    return best;
  }

  get acceptanceRate(): number {
    return this.rate;
  }
}
