// The timers that delayed work is scheduled with, passed in so that tests drive the clock by hand. Pure; the client
// shares it (extension/delayedBusy.ts).

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const NODE_TIMERS: Timers = { setTimeout: (callback, ms) => setTimeout(callback, ms), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) };
