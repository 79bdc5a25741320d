// Golden cases for completion post-processing: a document with a cursor marker, the raw model output,
// the expected mode and the text that should be shown.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { completionMode, stopStringsFor, type CompletionMode } from '../../lsp-server/completionMode';
import { cursorContext } from '../../lsp-server/cursorContext';
import { postProcess } from '../../lsp-server/postProcess';

interface GoldenCase {
  name: string;
  language: string;
  document: string;
  completion: string;
  mode: CompletionMode;
  /** Of a block, the leading lines shown (confidentLines.ts); all when absent. */
  confidentLines?: number;
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
      assert.equal(postProcess(c.completion, mode, ctx, c.confidentLines), c.expected);
    });
  }
});

describe('cursor context of a Windows file', () => {
  it('gives the model LF text without the byte-order mark, and keeps the line ending for the completion', () => {
    const text = '\ufeffconst a = 1;\r\nfunction one() {\r\n  return \r\n}\r\n';
    const offset = text.indexOf('return ') + 'return '.length;
    const ctx = cursorContext(text, offset, 'javascript');
    assert.equal(ctx.prefix, 'const a = 1;\nfunction one() {\n  return ');
    assert.equal(ctx.suffix, '\n}\n');
    assert.equal(ctx.linePrefix, '  return ');
    assert.equal(ctx.lineSuffix, '');
    assert.deepEqual(ctx.followingLines, ['}', '']);
    assert.equal(ctx.eol, '\r\n');
  });

  it('drops a byte-order mark only at the start of the document, where it is one', () => {
    assert.equal(cursorContext('\ufeffx = 1\n', 0, 'python').suffix, 'x = 1\n');
    assert.equal(cursorContext('a = "\ufeff"', 5, 'python').suffix, '\ufeff"', 'U+FEFF after the cursor is a character of the code');
  });
});

describe('stop strings', () => {
  it('stop single-line generation at the line break and leave multi-line to post-processing', () => {
    assert.deepEqual(stopStringsFor('single-line'), ['\n']);
    assert.deepEqual(stopStringsFor('multi-line'), []);
  });
});
