// Which lines of an explanation are a code example, and the fence a text leaves open (lsp-server/context/codeExampleLines.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeExampleLines, fenceCloser } from '../../lsp-server/context/codeExampleLines';

describe('codeExampleLines', () => {
  it('reads a JSDoc block past its markers though the model wrote one line without its `*`', () => {
    assert.deepEqual(codeExampleLines([' Adds two numbers.', '   *', '   * @example', '   * add(1, 2)', '   add(3, 4)']), [false, false, false, true, true]);
    assert.deepEqual(codeExampleLines([' Adds two numbers.', '   * ```js', '   * add(1, 2)', '   * ```', '   Returns the sum.']), [false, false, true, false, false]);
  });

  it('reads a docstring by its whitespace, its example’s `#` lines code', () => {
    assert.deepEqual(codeExampleLines(['Doubles x.', '', 'Example:', '    y = double(2)', '    # y is four', '    z = y + 1']), [false, false, false, true, true, true]);
  });

  it('closes a fence only with its own characters, at least as many, and nothing after them', () => {
    assert.deepEqual(codeExampleLines(['Shows:', '~~~md', '```js', 'x', '~~~', 'Done.']), [false, false, true, true, false, false]);
  });
});

describe('fenceCloser', () => {
  it('is the open fence’s indentation, marker and characters, and nothing where every fence is closed', () => {
    assert.equal(fenceCloser(['Shows:', '', '~~~md', '```js', 'x', '~~~']), undefined);
    assert.equal(fenceCloser(['Shows:', '', '~~~md', '```js', 'x', '```']), '~~~');
    assert.equal(fenceCloser(['Shows:', '````', '```', 'x']), '````');
    assert.equal(fenceCloser([' Adds.', '   * ```js', '   * add(1, 2)']), '   * ```');
  });
});
