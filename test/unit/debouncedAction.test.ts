import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DebouncedAction } from '../../lsp-server/debouncedAction';
import { manualTimers } from './manualTimers';

describe('DebouncedAction (a model reload waits for the settings to settle)', () => {
  it('runs once, the delay after the last of requests that came closer together than the delay', () => {
    const { timers, advance } = manualTimers();
    let runs = 0;
    const reload = new DebouncedAction(() => runs++, timers);
    // A path typed with pauses: the Settings editor writes each part 2-2.5 s after the one before.
    for (const gap of [0, 2200, 2400]) {
      advance(gap);
      reload.request(3000);
    }
    advance(2999);
    assert.equal(runs, 0, 'nothing runs while the settings keep changing');
    advance(1);
    assert.equal(runs, 1);
    advance(10_000);
    assert.equal(runs, 1, 'one run for the burst');
  });

  it('runs again for a request after a run', () => {
    const { timers, advance } = manualTimers();
    let runs = 0;
    const reload = new DebouncedAction(() => runs++, timers);
    reload.request(3000);
    advance(3000);
    reload.request(3000);
    advance(3000);
    assert.equal(runs, 2);
  });

  it('runs nothing once cancelled (settings back to the model in place, or the server shutting down)', () => {
    const { timers, advance, pending } = manualTimers();
    let runs = 0;
    const reload = new DebouncedAction(() => runs++, timers);
    reload.request(3000);
    advance(1000);
    reload.cancel();
    advance(5000);
    assert.equal(runs, 0);
    assert.equal(pending.size, 0, 'no timer left');
    reload.cancel();
  });
});
