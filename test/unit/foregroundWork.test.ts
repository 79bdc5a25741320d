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
});
