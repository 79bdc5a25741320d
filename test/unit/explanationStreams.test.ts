// extension/explanationStreams.ts: one handler for the session routes each explanation's chunks to its own tab, so a
// second Explain neither takes the first's chunks nor loses its own when the first ends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExplanationStreams } from '../../extension/explanationStreams';

describe('explanation streams', () => {
  it('routes interleaved chunks by stream, and an ended stream takes nothing from one still open', () => {
    const streams = new ExplanationStreams();
    const tabs = { first: '', second: '' };
    const first = streams.open('explain-1', (delta) => (tabs.first += delta));
    streams.deliver({ streamId: 'explain-1', delta: 'Adds ' });
    const second = streams.open('explain-2', (delta) => (tabs.second += delta));
    streams.deliver({ streamId: 'explain-2', delta: 'Returns ' });
    streams.deliver({ streamId: 'explain-1', delta: 'two.' });
    first.end();
    streams.deliver({ streamId: 'explain-1', delta: ' late' });
    streams.deliver({ streamId: 'explain-2', delta: 'the mean.' });
    assert.deepEqual(tabs, { first: 'Adds two.', second: 'Returns the mean.' });
    assert.equal(first.streamed(), 'Adds two.');
    assert.equal(second.streamed(), 'Returns the mean.');
    second.end();
    streams.deliver({ streamId: 'explain-2', delta: ' more' });
    streams.deliver({ streamId: 'explain-9', delta: 'another window' });
    assert.deepEqual(tabs, { first: 'Adds two.', second: 'Returns the mean.' });
  });

  it('keeps a stream opened again under the same id when the older one ends', () => {
    const streams = new ExplanationStreams();
    let newer = '';
    const older = streams.open('explain-1', () => undefined);
    streams.open('explain-1', (delta) => (newer += delta));
    older.end();
    streams.deliver({ streamId: 'explain-1', delta: 'kept' });
    assert.equal(newer, 'kept');
  });
});
