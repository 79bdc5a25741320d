// Closing a docstring or block comment a block completion opened and left open (lsp-server/openDocstring.ts); the chain around
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
    assert.equal(closeOpenDocstring('/** Sum', at('function f() {\n  ', '\n}', 'markdown')), '/** Sum');
    assert.equal(closeOpenDocstring('/** Sum. */\n  return 1;', at('function f() {\n  ', '\n}', 'typescript')), '/** Sum. */\n  return 1;');
  });

  it('closes a block comment the completion opened in a language with them, its `*/` under the opener', () => {
    // The token cap cut a JSDoc block in a class body: the rest of the class would be comment once accepted.
    assert.equal(closeOpenDocstring('/**\n   * @internal', at('class A {\n  ', '\n}', 'typescript')), '/**\n   * @internal\n   */');
    assert.equal(closeOpenDocstring('int x = 1;\n    /* the count, from a/*b', at('void f() {\n    ', '\n}', 'c')), 'int x = 1;\n    /* the count, from a/*b\n     */');
    // In the document's own comment, which the completion does not close: that comment's closer follows.
    assert.equal(closeOpenDocstring(' values\n   * @param', at('/**\n   * Sums the', '\n   */', 'typescript')), ' values\n   * @param');
    // The completion closes the cursor's comment, then opens one of its own.
    assert.equal(closeOpenDocstring(' values. */\n  /* next', at('  /* Sums the', '\n', 'java')), ' values. */\n  /* next\n   */');
  });

  it('closes it on its line in a one-line completion, and offers no bare opener', () => {
    const midBody = at('class A {\n  x = 1;\n  ', '\n  y = 2;\n}', 'typescript');
    assert.equal(closeOpenDocstring('/**', midBody, true), '');
    assert.equal(closeOpenDocstring('/** The width', midBody, true), '/** The width */');
    const pyBody = at('def f():\n    x = 1\n    ', '\n    return x\n');
    assert.equal(closeOpenDocstring('"""', pyBody, true), '');
    assert.equal(closeOpenDocstring('"""Sum the values', pyBody, true), '"""Sum the values"""');
    // The code before a bare opener is no line alone (`sql = f`), and a continued line cannot take the closer.
    assert.equal(closeOpenDocstring('sql = f"""', pyBody, true), '');
    assert.equal(closeOpenDocstring('const s = /*', midBody, true), '');
    assert.equal(closeOpenDocstring('usage = """\\', pyBody, true), '');
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
