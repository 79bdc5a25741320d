// lsp-server/extraClosers.ts: a completion's closer that the closers after the cursor leave nothing to close.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cursorContext } from '../../lsp-server/cursorContext';
import { cutAtExtraCloser } from '../../lsp-server/extraClosers';

const CURSOR = '┃';

function cut(document: string, completion: string, languageId = 'javascript'): string {
  const offset = document.indexOf(CURSOR);
  return cutAtExtraCloser(completion, cursorContext(document.replace(CURSOR, ''), offset, languageId));
}

describe('cutAtExtraCloser', () => {
  it('reads what is open from the start of the statement the cursor is in', () => {
    // The `(` left open by an earlier top-level statement is no bracket the completion may close.
    assert.equal(cut(`broken(\n\ndef run(items):\n    result = compute(${CURSOR}, verbose=True)\n`, 'items)', 'python'), 'items');
    const body = '  total += 1;\n'.repeat(1000);
    assert.equal(cut(`function f() {\n${body}  foo(${CURSOR});\n}\n`, 'a))'), 'a', '14 KB into a function');
  });

  it('leaves the completion as it is where the start of that statement is over 32 KB before the cursor', () => {
    const body = '  total += 1;\n'.repeat(3000);
    assert.equal(cut(`function f() {\n${body}  foo(${CURSOR});\n}\n`, 'a))'), 'a))');
  });

  it('leaves it where the cursor is in a string or comment, or the closers after it close nothing open before it', () => {
    assert.equal(cut(`log("a (${CURSOR})");\n`, 'b))'), 'b))');
    assert.equal(cut(`// see foo(${CURSOR})\n`, 'a))'), 'a))');
    assert.equal(cut(`x = 1;${CURSOR})\n`, 'a))'), 'a))');
  });
});
