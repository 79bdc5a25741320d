// lsp-server/threadsWarning.ts: more threads than cores is said, with the fix; up to the cores, and 0, are not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { threadsWarning } from '../../lsp-server/threadsWarning';

describe('threads warning', () => {
  it('warns where locus.model.threads is above the cores, naming both and the fix', () => {
    assert.equal(
      threadsWarning(64, 2),
      "locus.model.threads is 64, more than this machine's 2 cores: the extra threads wait on each other and make completions slower; set it to 2 or less, or 0, which picks for the machine.",
    );
    for (const threads of [0, 1, 2]) assert.equal(threadsWarning(threads, 2), undefined, `${threads}`);
  });
});
