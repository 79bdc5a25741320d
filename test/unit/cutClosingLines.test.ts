import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closingLinesAfterCut } from '../../lsp-server/cutClosingLines';

describe('closingLinesAfterCut (the model closing what a cut leaves open)', () => {
  it("keeps the model's closing lines of the brackets the kept lines opened, up to their closers", () => {
    assert.deepEqual(closingLinesAfterCut(['foo(', '  "a",'], ['  "a",', '  "b",', ')', 'bar()'], 'python'), [')']);
    assert.deepEqual(closingLinesAfterCut(['app.use({', '  a: 1,'], ['  a: 1,', '});', 'next();'], 'javascript'), ['});']);
    assert.deepEqual(closingLinesAfterCut(['foo(bar({', '  a: 1,'], ['  a: 1,', '}', '));'], 'javascript'), ['}', '));'], 'closers over two lines');
  });

  it('skips a bracket pair the lines after the cut open and close themselves', () => {
    const rest = ['  a: 1,', '  nested: {', '    b: 2', '  },', '});'];
    assert.deepEqual(closingLinesAfterCut(['app.use({', '  a: 1,'], rest, 'javascript'), ['});']);
  });

  it('keeps only the closers of its own brackets from a line that goes on to close an enclosing block', () => {
    assert.deepEqual(closingLinesAfterCut(['  run({', '    a: 1,'], ['    a: 1,', '  })}'], 'javascript'), ['  })']);
  });

  it('adds nothing when the kept lines leave nothing open, or the model never closes it', () => {
    assert.deepEqual(closingLinesAfterCut(['x = 1', 'y = 2'], ['y = 2', ')'], 'python'), []);
    assert.deepEqual(closingLinesAfterCut(['const {', '  a,'], ['  a,', '  a,', '  a,'], 'javascript'), []);
  });

  it('reads brackets in strings and comments as text', () => {
    assert.deepEqual(closingLinesAfterCut(['foo(', '  "(",  # (', '  x,'], ['  x,', ')'], 'python'), [')']);
  });
});
