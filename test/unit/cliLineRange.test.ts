import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineRangeOf } from '../../cli/lineRange';

describe('cli line range', () => {
  const text = 'def f(x):\r\n    return x\r\n\r\n\r\ng = 1\n';

  it('selects whole lines, from the first line start to the last line end', () => {
    assert.deepEqual(lineRangeOf(text, 1, 2), { start: { line: 0, character: 0 }, end: { line: 1, character: 12 } });
    assert.deepEqual(lineRangeOf(text, 5, 5), { start: { line: 4, character: 0 }, end: { line: 4, character: 5 } });
    // Blank lines inside the range are taken in.
    assert.deepEqual(lineRangeOf(text, 2, 5), { start: { line: 1, character: 0 }, end: { line: 4, character: 5 } });
    // Lone CR ends lines too, as the editor and the server count them.
    assert.deepEqual(lineRangeOf('a\rbc', 2, 2), { start: { line: 1, character: 0 }, end: { line: 1, character: 2 } });
  });

  it('refuses lines past the end of the file and lines that hold no code', () => {
    assert.equal(lineRangeOf(text, 7, 7), 'line 7 is past the end of the file (6 lines)');
    assert.equal(lineRangeOf(text, 2, 9), 'line 9 is past the end of the file (6 lines)');
    assert.equal(lineRangeOf('x', 2, 2), 'line 2 is past the end of the file (1 line)');
    assert.equal(lineRangeOf(text, 3, 4), 'lines 3-4 are blank: name lines that hold code');
    assert.equal(lineRangeOf(' \t\n', 1, 1), 'line 1 is blank: name lines that hold code');
  });
});
