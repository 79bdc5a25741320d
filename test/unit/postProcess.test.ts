// Golden cases for completion post-processing: a document with a cursor marker, the raw model output,
// the expected mode and the text that should be shown.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { completionMode, stopStringsFor } from '../../lsp-server/completionMode';
import { cursorContext } from '../../lsp-server/cursorContext';
import { postProcess } from '../../lsp-server/postProcess';

interface GoldenCase {
  name: string;
  language: string;
  document: string;
  completion: string;
  mode: 'single-line' | 'multi-line';
  expected: string;
}

const golden = JSON.parse(readFileSync(path.join(__dirname, 'golden', 'postProcess.json'), 'utf8')) as { cursor: string; cases: GoldenCase[] };

describe('postProcess golden cases', () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      const offset = c.document.indexOf(golden.cursor);
      assert.notEqual(offset, -1, 'case has a cursor marker');
      const text = c.document.slice(0, offset) + c.document.slice(offset + golden.cursor.length);
      const ctx = cursorContext(text, offset, c.language);
      const mode = completionMode(ctx);
      assert.equal(mode, c.mode);
      assert.equal(postProcess(c.completion, mode, ctx), c.expected);
    });
  }
});

describe('stop strings', () => {
  it('stop single-line generation at the line break and leave multi-line to post-processing', () => {
    assert.deepEqual(stopStringsFor('single-line'), ['\n']);
    assert.deepEqual(stopStringsFor('multi-line'), []);
  });
});
