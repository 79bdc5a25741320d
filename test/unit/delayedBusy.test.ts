import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DelayedBusy } from '../../extension/delayedBusy';
import { manualTimers } from './manualTimers';

describe('DelayedBusy (the status bar while completions are generated)', () => {
  it('says nothing for a request that ends before the delay', () => {
    const { timers, advance, pending } = manualTimers();
    const shown: boolean[] = [];
    const busy = new DelayedBusy((b) => shown.push(b), 300, timers);
    const end = busy.begin();
    advance(200);
    end();
    advance(500);
    assert.deepEqual(shown, []);
    assert.equal(pending.size, 0);
  });

  it('shows busy after the delay and clears it when the last overlapping request ends', () => {
    const { timers, advance } = manualTimers();
    const shown: boolean[] = [];
    const busy = new DelayedBusy((b) => shown.push(b), 300, timers);
    const first = busy.begin();
    advance(200);
    const second = busy.begin(); // the next keystroke's request, before the first is cancelled
    advance(150);
    assert.deepEqual(shown, [true], 'busy 300 ms after requests began, not after the second');
    first();
    first();
    assert.deepEqual(shown, [true], 'one request still runs (a second call to an end does nothing)');
    second();
    assert.deepEqual(shown, [true, false]);
    busy.begin()();
    advance(1000);
    assert.deepEqual(shown, [true, false]);
  });

  it('is idle after a reset, whatever requests begun before it still hold', () => {
    const { timers, advance } = manualTimers();
    const shown: boolean[] = [];
    const busy = new DelayedBusy((b) => shown.push(b), 300, timers);
    const lost = busy.begin(); // answered by no server: it stopped (a stop that timed out)
    advance(400);
    busy.reset();
    assert.deepEqual(shown, [true, false]);
    const next = busy.begin();
    lost(); // a late end from before the reset does not end the new request
    advance(400);
    assert.deepEqual(shown, [true, false, true]);
    next();
    assert.deepEqual(shown, [true, false, true, false]);
  });
});
