// Runs an action once requests for it have stopped coming for a while: a model reload waits until the settings that
// cause it settle (the Settings editor writes a path being typed at each pause). Pure timing, unit-tested.
import { NODE_TIMERS, type Timers } from './timers';

export class DebouncedAction {
  private timer: unknown;

  constructor(
    private readonly action: () => void,
    private readonly timers: Timers = NODE_TIMERS,
  ) {}

  /** Runs the action `delayMs` after the last request (0: on the next turn), unless another request or `cancel` comes first. */
  request(delayMs: number): void {
    this.cancel();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.action();
    }, delayMs);
  }

  /** Drops a requested run that has not started. */
  cancel(): void {
    if (this.timer === undefined) return;
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
