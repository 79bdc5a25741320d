import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finishedPart } from '../../lsp-server/finishedText';

describe('finishedPart (a completion cut at the time limit)', () => {
  it("keeps a block's complete lines", () => {
    assert.equal(finishedPart('\n  const a = 1;\n  return a +', 'multi-line'), '\n  const a = 1;');
    assert.equal(finishedPart('\n  const a = 1;\n', 'multi-line'), '\n  const a = 1;');
  });

  it("keeps the whole words of a block's only line, as of a single line", () => {
    assert.equal(finishedPart('\n  return total', 'multi-line'), '\n  return ');
    assert.equal(finishedPart('user.profile.displ', 'single-line'), 'user.profile.');
    assert.equal(finishedPart('fn(a, b) + ', 'whole-line'), 'fn(a, b) + ');
    assert.equal(finishedPart('naïveCafé', 'single-line'), '');
    // The post-processing drops control characters: the word they end may go on after them.
    assert.equal(finishedPart('x = spam\x05', 'single-line'), 'x = ');
    assert.equal(finishedPart('x = \x05', 'single-line'), 'x = ');
  });
});
