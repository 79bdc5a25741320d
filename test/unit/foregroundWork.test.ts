// ForegroundWork: background work waits while the user's work runs, and goes on once the last of it ends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ForegroundWork } from '../../lsp-server/foregroundWork';

describe('ForegroundWork', () => {
  it('is idle at once with nothing running, and resumes its waiters when the last work ends', async () => {
    const work = new ForegroundWork();
    await work.idle();
    const first = work.begin();
    const second = work.begin();
    let resumed = 0;
    const waiters = [work.idle(), work.idle()].map((p) => p.then(() => resumed++));
    first();
    // Ending the same work twice does not end the other.
    first();
    await new Promise((r) => setImmediate(r));
    assert.equal(resumed, 0);
    second();
    await Promise.all(waiters);
    assert.equal(resumed, 2);
    await work.idle();
  });

  it('aborts the signal of background work that gives way when foreground work begins, at once while some runs', () => {
    const work = new ForegroundWork();
    const before = work.starts();
    assert.equal(before.aborted, false);
    const end = work.begin();
    assert.equal(before.aborted, true);
    assert.equal(work.starts().aborted, true, 'while it runs');
    end();
    const after = work.starts();
    assert.equal(after.aborted, false);
    work.begin()();
    assert.equal(after.aborted, true);
  });
});
