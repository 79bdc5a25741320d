// A parse halted between slices resumes where it stopped and yields the same tree as one parse in one go.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Parser } from '@vscode/tree-sitter-wasm';
import { parseInSlices } from '../../lsp-server/slicedParse';
import { TimeSlices } from '../../lsp-server/timeSlices';
import { loadGrammar } from '../../lsp-server/treeSitterRuntime';

describe('parseInSlices', () => {
  it('halts between slices and resumes to the same tree', async () => {
    const grammar = await loadGrammar('python');
    assert.ok(grammar);
    const text = Array.from({ length: 4000 }, (_, i) => `def f${i}(x):\n    return [y * ${i} for y in range(x) if y % 3]\n`).join('');
    const parser = new Parser();
    try {
      parser.setLanguage(grammar);
      const whole = parser.parse(text);
      let pauses = 0;
      const sliced = await parseInSlices(parser, text, new TimeSlices(async () => void pauses++));
      assert.ok(whole && sliced);
      assert.ok(pauses > 0, 'the parse was halted at least once');
      assert.equal(sliced.rootNode.toString(), whole.rootNode.toString());
      whole.delete();
      sliced.delete();
    } finally {
      parser.delete();
    }
  });
});
