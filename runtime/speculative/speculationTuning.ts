// What speculative decoding has learnt about this model pair, kept across requests: per-drafter acceptance (which
// sets the draft length), the measured time per committed token of draft-model rounds and of plain one-token
// passes, and what the draft model's prompt prefill costs per token, so `auto` asks the draft model only when
// what it saves over the rest of the request pays for getting it ready.
import { AdaptiveDraftLength } from './adaptiveDraftLength';

/** Exponential moving average of milliseconds per committed token. */
class MsPerToken {
  value = 0;
  samples = 0;

  record(ms: number, tokens: number): void {
    const x = ms / Math.max(1, tokens);
    this.value = this.samples === 0 ? x : 0.85 * this.value + 0.15 * x;
    this.samples++;
  }
}

export class SpeculationTuning {
  readonly lookup = new AdaptiveDraftLength(1, 8, 0.5);
  readonly draft = new AdaptiveDraftLength(1, 6, 0.6);
  private readonly draftRounds = new MsPerToken();
  private readonly plainRounds = new MsPerToken();
  private readonly draftPrefill = new MsPerToken();
  private decisions = 0;

  /** A round that drafted with the draft model: drafting plus verification, and the tokens it committed. */
  recordDraftRound(ms: number, tokens: number): void {
    this.draftRounds.record(ms, tokens);
  }

  /** The draft model's first pass in a request: the prompt tokens its cache did not hold. */
  recordDraftPrefill(ms: number, tokens: number): void {
    this.draftPrefill.record(ms, tokens);
  }

  /** A target pass with nothing drafted (one committed token). */
  recordPlainRound(ms: number): void {
    this.plainRounds.record(ms, 1);
  }

  /** Measured speed-up of draft-model rounds over plain passes (NaN until both have been seen). */
  draftModelGain(): number {
    if (this.draftRounds.samples === 0 || this.plainRounds.samples === 0) return NaN;
    return this.plainRounds.value / this.draftRounds.value;
  }

  /**
   * Whether `auto` should run the draft model for the next round. `uncached`: prompt tokens the draft model would
   * prefill first (0 once it has run in this request); `remaining`: tokens the request may still produce.
   * Yes while its rounds measure faster than plain passes and the time they save over `remaining` tokens pays
   * for that prefill. Both kinds of round are re-measured now and then (one decision in 16 goes the other way),
   * the draft model only where that costs little prefill, so a change in either is noticed.
   */
  useDraftModel(uncached = 0, remaining = Infinity): boolean {
    const explore = ++this.decisions % 16 === 0;
    if (this.draftRounds.samples < 3) return true;
    if (this.plainRounds.samples < 3) return this.decisions % 4 !== 0;
    const setupMs = uncached * this.draftPrefill.value;
    const savedMs = (this.plainRounds.value - this.draftRounds.value) * remaining;
    if (this.draftModelGain() >= 1.05 && savedMs > setupMs) return !explore;
    return explore && setupMs <= 4 * this.plainRounds.value;
  }
}
