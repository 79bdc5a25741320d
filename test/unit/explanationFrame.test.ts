// What an explanation shows around the model's text (lsp-server/context/explanationFrame.ts): a doc comment opened
// with the first text and closed at the end, and one sentence instead of a bare `/**` when the model wrote nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExplanationFrame } from '../../lsp-server/context/explanationFrame';

const COMMENT = { opener: '  /**\n   * ', closer: '\n   */' };
const NOTHING = 'The model wrote no description of this code.';

function framed(comment: typeof COMMENT | undefined, deltas: string[], stopReason: 'eos' | 'stop' | 'aborted') {
  const sent: string[] = [];
  const frame = new ExplanationFrame(comment, NOTHING, (delta) => sent.push(delta));
  for (const delta of deltas) frame.push(delta);
  const text = frame.finish(stopReason);
  assert.equal(sent.join(''), text, 'what streamed is the text');
  return { text, sent };
}

describe('ExplanationFrame', () => {
  it('opens the comment with the first text, not before, and closes it at the end', () => {
    const { text, sent } = framed(COMMENT, ['', 'Adds', ' one.'], 'stop');
    assert.equal(text, '  /**\n   * Adds one.\n   */');
    assert.equal(sent[0], COMMENT.opener);
  });

  it('says so in one sentence when the model wrote nothing, instead of a bare opener', () => {
    assert.equal(framed(COMMENT, [''], 'eos').text, NOTHING);
    assert.equal(framed(undefined, [], 'stop').text, NOTHING);
  });

  it('adds nothing to an answer with no comment, and says nothing of an explanation stopped before it wrote', () => {
    assert.equal(framed(undefined, ['It adds one.'], 'eos').text, 'It adds one.');
    assert.equal(framed(COMMENT, [], 'aborted').text, '');
  });
});
