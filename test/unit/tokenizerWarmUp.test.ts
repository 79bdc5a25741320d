// The tokenizer warm-up a fresh server runs while its model loads (lsp-server/tokenizerWarmUp.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextTokenizer } from '../../runtime/tokenizer';
import { warmUpTokenizer } from '../../lsp-server/tokenizerWarmUp';
import { TARGET_DIR } from './runtimeFixtures';

describe('warmUpTokenizer', () => {
  it('encodes Python and TypeScript code, whole and line by line, every round', () => {
    const texts: string[] = [];
    warmUpTokenizer({ encode: (text) => (texts.push(text), []) }, 3);
    const wholes = texts.filter((t) => t.includes('def load_records') && t.includes('export class FileCache'));
    assert.equal(wholes.length, 3);
    const lines = texts.filter((t) => !t.slice(0, -1).includes('\n'));
    assert.equal(lines.length, texts.length - 3);
    assert.ok(lines.length / 3 > 50, 'each line of the sample');
  });

  it('leaves the tokenizer\'s encodings unchanged', () => {
    const text = 'def total(values):\n    return sum(v.size for v in values)\n';
    const fresh = TextTokenizer.fromDirectory(TARGET_DIR).encode(text);
    const warmed = TextTokenizer.fromDirectory(TARGET_DIR);
    warmUpTokenizer(warmed);
    assert.deepEqual(warmed.encode(text), fresh);
  });
});
