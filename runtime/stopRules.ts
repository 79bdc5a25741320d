// When generation stops: an EOS token, a stop string in the decoded text (trimmed from the output), or the token
// budget. Streamed text is held back while it could still turn out to be the start of a stop string.

export class StopStringFilter {
  private pending = '';
  private readonly stops: string[];

  constructor(stopStrings: readonly string[]) {
    this.stops = stopStrings.filter((s) => s.length > 0);
  }

  /**
   * Adds decoded text; returns the text that is now safe to emit and whether a stop string was completed
   * (the emitted text then ends just before it).
   */
  push(delta: string): { text: string; stopped: boolean } {
    this.pending += delta;
    let first = -1;
    for (const s of this.stops) {
      const at = this.pending.indexOf(s);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    if (first >= 0) {
      const text = this.pending.slice(0, first);
      this.pending = '';
      return { text, stopped: true };
    }
    const hold = this.heldBack();
    const text = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return { text, stopped: false };
  }

  /** The text held back at the end of generation (it never became a stop string). */
  flush(): string {
    const text = this.pending;
    this.pending = '';
    return text;
  }

  /** Length of the longest suffix of `pending` that is a proper prefix of some stop string. */
  private heldBack(): number {
    let hold = 0;
    for (const s of this.stops) {
      for (let len = Math.min(s.length - 1, this.pending.length); len > hold; len--) {
        if (this.pending.endsWith(s.slice(0, len))) {
          hold = len;
          break;
        }
      }
    }
    return hold;
  }
}

export class StopRules {
  private readonly eos: Set<number>;

  constructor(
    eosTokenIds: readonly number[],
    readonly maxNewTokens: number,
  ) {
    this.eos = new Set(eosTokenIds);
  }

  isEos(tokenId: number): boolean {
    return this.eos.has(tokenId);
  }

  budgetReached(generated: number): boolean {
    return generated >= this.maxNewTokens;
  }

  /** Tokens still allowed after `generated` (at least 1 while the budget is not reached). */
  remaining(generated: number): number {
    return Math.max(0, this.maxNewTokens - generated);
  }
}
