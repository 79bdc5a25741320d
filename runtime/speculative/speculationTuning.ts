// What speculative decoding has learnt about this model pair, kept across requests: per-drafter acceptance (which
// sets the draft length) and the measured time per committed token of draft-model rounds and of plain one-token
// passes, so `auto` asks the draft model only while it is actually faster on this machine.
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
  private decisions = 0;

  /** A round that drafted with the draft model: drafting plus verification, and the tokens it committed. */
  recordDraftRound(ms: number, tokens: number): void {
    this.draftRounds.record(ms, tokens);
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
   * Whether `auto` should run the draft model now: yes while it measures faster than plain passes. Both are
   * sampled now and then (one round in 16 goes the other way), so a change in either is noticed.
   */
  useDraftModel(): boolean {
    const explore = ++this.decisions % 16 === 0;
    if (this.draftRounds.samples < 3) return true;
    if (this.plainRounds.samples < 3) return this.decisions % 4 !== 0;
    return this.draftModelGain() >= 1.05 ? !explore : explore;
  }
}
