// What speculative decoding has learnt about this model pair, kept across requests: per-drafter acceptance (which
// sets the draft length) and the measured cost of a draft-model step relative to a target pass, so `auto` asks the
// draft model only while it pays for itself.
import { AdaptiveDraftLength } from './adaptiveDraftLength';

export class SpeculationTuning {
  readonly lookup = new AdaptiveDraftLength(1, 8, 0.5);
  readonly draft = new AdaptiveDraftLength(1, 6, 0.6);
  private targetMs = 0;
  private draftMs = 0;
  private skipped = 0;

  recordTargetPass(ms: number): void {
    this.targetMs = this.targetMs === 0 ? ms : 0.8 * this.targetMs + 0.2 * ms;
  }

  recordDraftStep(ms: number): void {
    this.draftMs = this.draftMs === 0 ? ms : 0.8 * this.draftMs + 0.2 * ms;
  }

  /**
   * Expected speed-up of one draft-model round over plain decoding: tokens emitted per round,
   * (1 - a^(k+1)) / (1 - a), over its cost, one target pass plus k draft steps.
   */
  draftModelGain(): number {
    if (this.targetMs === 0 || this.draftMs === 0) return Infinity;
    const a = Math.min(0.98, Math.max(0.02, this.draft.acceptanceRate));
    const k = this.draft.next();
    return (1 - a ** (k + 1)) / (1 - a) / (1 + (k * this.draftMs) / this.targetMs);
  }

  /**
   * Whether `auto` should run the draft model now. While it does not pay, it is still tried now and then (one
   * round in 16), so a better acceptance later in the text is noticed.
   */
  useDraftModel(): boolean {
    if (this.draftModelGain() >= 1.05) return true;
    return ++this.skipped % 16 === 0;
  }
}
