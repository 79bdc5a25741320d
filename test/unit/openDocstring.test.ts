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

  it('reads strings and comments: a triple quote inside one is no docstring, in the completion or before the cursor', () => {
    const inString = "return line.strip().startswith('\"\"\"')";
    assert.equal(closeOpenDocstring(inString, at('def is_doc_line(line):\n    ')), inString);
    const inComment = '# drop the \"\"\" quotes\n    return text.strip(\'"\')';
    assert.equal(closeOpenDocstring(inComment, at('def unquote(text):\n    ')), inComment);
    // The cursor is inside a docstring (the comment's quotes do not count): the completion closes it itself.
    const closes = '>>> f(1)\n    2\n    \"\"\"\n    return x * 2';
    assert.equal(closeOpenDocstring(closes, at('# Docstrings use \"\"\" quotes.\ndef f(x):\n    \"\"\"Compute.\n\n    Example:\n    ')), closes);
  });
});
