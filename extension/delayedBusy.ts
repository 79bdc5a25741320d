// When the status bar says a completion is being generated: only once requests have been in flight for a while
// (a fast completion would make it flicker on every keystroke), and until none is. Pure (no vscode), unit-tested.
import { NODE_TIMERS, type Timers } from '../lsp-server/timers';

export class DelayedBusy {
  private inFlight = 0;
  private timer: unknown;
  private shown = false;

  constructor(
    private readonly show: (busy: boolean) => void,
    readonly delayMs = 300,
    private readonly timers: Timers = NODE_TIMERS,
  ) {}

  /** Bumped by `reset`: requests begun before it no longer count. */
  private generation = 0;

  /** A request started; call the returned function when it ends (extra calls, and calls after a reset, do nothing). */
  begin(): () => void {
    const generation = this.generation;
    if (this.inFlight++ === 0) {
      this.timer = this.timers.setTimeout(() => {
        this.timer = undefined;
        this.shown = true;
        this.show(true);
      }, this.delayMs);
    }
    let ended = false;
    return () => {
      if (ended || generation !== this.generation) return;
      ended = true;
      if (--this.inFlight > 0) return;
      this.idle();
    };
  }

  /**
   * Nothing is in flight any more: the server stopped, and a request it never answered never ends (a stop that timed
   * out leaves the connection's pending requests unsettled, and the status bar said "Generating…" for good).
   */
  reset(): void {
    this.generation++;
    this.inFlight = 0;
    this.idle();
  }

  private idle(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.shown) this.show(false);
    this.shown = false;
  }
}
