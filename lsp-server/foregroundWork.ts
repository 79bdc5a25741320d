// Work the user waits for, counted while it runs, so that background work on the server's thread can wait for a
// moment without it. The workspace index (context/) waits between files and between slices of a parse while a
// completion request is being answered: on this 2-core machine its work otherwise shared the thread and the cores
// with every completion while a large workspace was indexed.

export class ForegroundWork {
  private running = 0;
  private waiting: (() => void)[] = [];
  private nextBegin = new AbortController();

  /** Marks work as started; the function returned marks it ended (again: no effect). */
  begin(): () => void {
    this.running++;
    this.nextBegin.abort();
    this.nextBegin = new AbortController();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.running > 0) return;
      const waiting = this.waiting;
      this.waiting = [];
      for (const resume of waiting) resume();
    };
  }

  /** A signal aborted when foreground work next begins, or already aborted while some runs: background work gives way. */
  starts(): AbortSignal {
    return this.running > 0 ? AbortSignal.abort() : this.nextBegin.signal;
  }

  /** Resolves at once when no foreground work runs, else when the last of it ends. */
  idle(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resume) => this.waiting.push(resume));
  }
}
