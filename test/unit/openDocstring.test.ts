// Closing a docstring a Python block completion opened and left open (lsp-server/openDocstring.ts); the chain around
// it is in the post-processing golden cases.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cursorContext } from '../../lsp-server/cursorContext';
import { closeOpenDocstring } from '../../lsp-server/openDocstring';

const at = (before: string, after = '\n', languageId = 'python') => cursorContext(before + after, before.length, languageId);

describe('closeOpenDocstring', () => {
  it('closes the docstring the completion opened, at the indentation of its opening line', () => {
    assert.equal(closeOpenDocstring('"""Sum the values', at('def f(xs):\n    ')), '"""Sum the values\n    """');
    assert.equal(closeOpenDocstring("x = 1\n    doc = '''\n        Usage", at('def f():\n    ')), "x = 1\n    doc = '''\n        Usage\n    '''");
  });

  it('leaves a text alone that closes what it opens, that closes the string the cursor is in, or that is not Python', () => {
    assert.equal(closeOpenDocstring('"""Sum."""\n    return 1', at('def f():\n    ')), '"""Sum."""\n    return 1');
    assert.equal(closeOpenDocstring(' the values.\n    """', at('def f():\n    """Sum')), ' the values.\n    """');
    assert.equal(closeOpenDocstring('/** Sum', at('function f() {\n  ', '\n}', 'typescript')), '/** Sum');
  });
});
