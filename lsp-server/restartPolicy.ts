// How often something that crashed is started again: at most `maxRestarts` within `windowMs`, then it stays down
// until the user restarts it. One rule for the client restarting a crashed server (extension/client.ts) and the
// server reloading a crashed inference worker (modelHost.ts). Pure, so it is unit-tested.

export class RestartPolicy {
  private crashes: number[] = [];

  constructor(
    readonly maxRestarts = 4,
    readonly windowMs = 3 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a crash; true when the server should be restarted once more. */
  crashed(): boolean {
    const now = this.now();
    this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
    this.crashes.push(now);
    return this.crashes.length <= this.maxRestarts;
  }

  /** A manual restart starts a fresh budget. */
  reset(): void {
    this.crashes = [];
  }
}
