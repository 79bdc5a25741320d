import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestartPolicy } from '../../lsp-server/restartPolicy';

describe('RestartPolicy', () => {
  it('restarts up to 4 times in 3 minutes, then gives up until reset', () => {
    let now = 0;
    const policy = new RestartPolicy(4, 180_000, () => now);
    for (let i = 0; i < 4; i++) {
      assert.equal(policy.crashed(), true);
      now += 10_000;
    }
    assert.equal(policy.crashed(), false);
    policy.reset();
    assert.equal(policy.crashed(), true);
  });

  it('forgets crashes older than the window', () => {
    let now = 0;
    const policy = new RestartPolicy(4, 180_000, () => now);
    for (let i = 0; i < 10; i++) {
      assert.equal(policy.crashed(), true, `crash ${i}`);
      now += 60_000;
    }
  });
});
