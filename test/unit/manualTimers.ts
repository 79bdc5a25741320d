// Timers driven by hand for tests of delayed work: `advance(ms)` fires what is due.
import type { Timers } from '../../lsp-server/timers';

export function manualTimers(): { timers: Timers; advance: (ms: number) => void; pending: Map<number, { at: number; callback: () => void }> } {
  let now = 0;
  const pending = new Map<number, { at: number; callback: () => void }>();
  let next = 0;
  const timers: Timers = {
    setTimeout: (callback, ms) => {
      pending.set(++next, { at: now + ms, callback });
      return next;
    },
    clearTimeout: (handle) => pending.delete(handle as number),
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [id, t] of [...pending]) if (t.at <= now) (pending.delete(id), t.callback());
  };
  return { timers, advance, pending };
}
