// Admission control for the model: one run at a time, at most one waiting (the latest), and a new request aborts
// the one running, whatever its document: ghost text shows in one editor, and a request from another means the
// user went there (it waited up to the time limit behind a block for the document left).

interface Slot {
  controller: AbortController;
  start(): void;
  /** Resolves a request that never ran with `undefined`. */
  drop(): void;
}

export class RequestScheduler {
  private running: Slot | undefined;
  private queued: Slot | undefined;

  /**
   * Runs `task` once the model is free. Resolves `undefined`, without running it, when the request is
   * superseded or cancelled while waiting. `signal` (the request's cancellation) and supersession both abort
   * the signal the task gets, which the engine checks every step.
   */
  schedule<T>(signal: AbortSignal, task: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve, reject) => {
      const controller = new AbortController();
      const forwardAbort = () => controller.abort(signal.reason);
      signal.addEventListener('abort', forwardAbort, { once: true });
      const slot: Slot = {
        controller,
        start: () => {
          this.running = slot;
          task(controller.signal)
            .then(resolve, reject)
            .finally(() => {
              signal.removeEventListener('abort', forwardAbort);
              this.running = undefined;
              this.startNext();
            });
        },
        drop: () => {
          signal.removeEventListener('abort', forwardAbort);
          resolve(undefined);
        },
      };
      controller.signal.addEventListener(
        'abort',
        () => {
          if (this.queued === slot) {
            this.queued = undefined;
            slot.drop();
          }
        },
        { once: true },
      );

      this.running?.controller.abort(new SupersededError());
      if (this.queued !== undefined) {
        const older = this.queued;
        this.queued = undefined;
        older.controller.abort(new SupersededError());
        older.drop();
      }
      if (this.running === undefined) slot.start();
      else this.queued = slot;
    });
  }

  /** Aborts whatever runs or waits (shutdown, model reload). */
  abortAll(): void {
    const queued = this.queued;
    this.queued = undefined;
    queued?.controller.abort(new SupersededError());
    queued?.drop();
    this.running?.controller.abort(new SupersededError());
  }

  private startNext(): void {
    const next = this.queued;
    this.queued = undefined;
    next?.start();
  }
}

/** Abort reason for a request that a newer one replaced. */
export class SupersededError extends Error {
  constructor() {
    super('Superseded by a newer completion request.');
    this.name = 'AbortError';
  }
}
