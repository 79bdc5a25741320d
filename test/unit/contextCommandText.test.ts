import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failureMessage, selectionLabel } from '../../extension/contextCommandText';

describe('Explain and Compress command text', () => {
  it("shows the server's sentence without the client library's wrapping, and what to do when it is not running", () => {
    assert.equal(failureMessage(new Error('Request locus/explain failed with message: No model is loaded: it is still loading.')), 'No model is loaded: it is still loading.');
    assert.equal(failureMessage(new Error('Client is not running and can\'t be stopped.')), 'The server is not running: run "Locus: Restart Server".');
    for (const crashed of ['Pending response rejected since connection got disposed', 'Connection is closed.']) {
      assert.match(failureMessage(new Error(crashed)), /^The server stopped before it answered: run the command again once it has restarted/);
    }
    assert.equal(failureMessage('plain'), 'plain');
  });

  it('labels a selection by its lines, leaving out a last line the selection only touches at its start', () => {
    assert.equal(selectionLabel('/w/src/shapes.ts', { line: 5, character: 0, lineLength: 20 }, { line: 10, character: 0 }), 'shapes.ts:6-10');
    assert.equal(selectionLabel('/w/src/shapes.ts', { line: 5, character: 0, lineLength: 20 }, { line: 10, character: 3 }), 'shapes.ts:6-11');
    assert.equal(selectionLabel('/w/analysis.ipynb', { line: 0, character: 0, lineLength: 9 }, { line: 2, character: 4 }, 3), 'analysis.ipynb, cell 4, lines 1-3');
    assert.equal(selectionLabel('/w/analysis.ipynb', { line: 1, character: 2, lineLength: 9 }, { line: 2, character: 0 }, 0), 'analysis.ipynb, cell 1, line 2');
    assert.equal(selectionLabel('/w/a.py', { line: 4, character: 0, lineLength: 0 }, { line: 4, character: 0 }), 'a.py:5-5');
  });

  it('leaves out a first line the selection only touches at its end (Shift+Down from the end of a line)', () => {
    assert.equal(selectionLabel('/w/src/timing.ts', { line: 8, character: 1, lineLength: 1 }, { line: 18, character: 1 }), 'timing.ts:10-19');
    assert.equal(selectionLabel('/w/src/timing.ts', { line: 8, character: 0, lineLength: 1 }, { line: 18, character: 1 }), 'timing.ts:9-19');
    // Nothing but that line end: the line it is on.
    assert.equal(selectionLabel('/w/src/timing.ts', { line: 8, character: 1, lineLength: 1 }, { line: 9, character: 0 }), 'timing.ts:9-9');
  });
});
