import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invocationFolder } from '../../cli/invocationFolder';

describe('invocationFolder', () => {
  it('is where npm was invoked for `npm start`, else the process folder', () => {
    assert.equal(invocationFolder({ npm_lifecycle_event: 'start', INIT_CWD: '/home/u/project/src' }, '/home/u/locus'), '/home/u/project/src');
    assert.equal(invocationFolder({}, '/tmp/x'), '/tmp/x', 'node dist/cli.js');
    // A test's child process under `npm test` inherits INIT_CWD, and was started in a folder of its own.
    assert.equal(invocationFolder({ npm_lifecycle_event: 'test', INIT_CWD: '/home/u/locus' }, '/tmp/fixture'), '/tmp/fixture');
  });
});
