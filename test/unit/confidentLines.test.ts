// How much of a block completion shows first (lsp-server/confidentLines.ts): lines while the text's log-probability
// stays above the floor, from its first line with code on, and never a comment or string left open by the cut.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BLOCK_LOG_PROB_FLOOR, BlockSettling, keepConfidentLines, unsureLine } from '../../lsp-server/confidentLines';
import type { TokenScore } from '../../runtime/engine';

/** One token per piece, each with its log-probability. */
function scored(pieces: [string, number][]): { text: string; scores: TokenScore[] } {
  let text = '';
  const scores = pieces.map(([piece, logProb]) => {
    text += piece;
    return { logProb, textEnd: text.length };
  });
  return { text, scores };
}

describe('unsureLine', () => {
  it("names the line whose tokens bring the text's log-probability below the floor", () => {
    const { text, scores } = scored([['total = a', -1], [' + b', -1], ['\n', 0], ['return', -2], [' total', -0.5], ['\n', 0], ['}', -3]]);
    assert.equal(unsureLine(text, scores, -5), 2, 'the first two lines come to -4.5');
    assert.equal(unsureLine(text, scores, -4), 1);
    assert.equal(unsureLine(text, scores, -8), undefined);
    assert.equal(unsureLine(text, scores), unsureLine(text, scores, BLOCK_LOG_PROB_FLOOR));
  });

  it('keeps the first line with code whatever it scored, also after the rest of the cursor line', () => {
    const { text, scores } = scored([['x = compute()', -9], ['\n', 0], ['y', -0.1]]);
    assert.equal(unsureLine(text, scores, -5), 1);
    const afterHeader = scored([['\n', -3], ['  ', -1], ['return 1', -4], ['\n', 0], ['}', -0.1]]);
    assert.equal(unsureLine(afterHeader.text, afterHeader.scores, -5), 2, 'the empty rest of the header line and the first line stay');
    assert.equal(unsureLine('\n  ', [{ logProb: -9, textEnd: 1 }, { logProb: -1, textEnd: 3 }], -5), undefined, 'no code yet');
  });

  it('counts a token for the line it ends in: a break for the line it ends, a break with indentation for the next', () => {
    const a = scored([['f(x', 0], [')\n', -1], ['g()', 0]]);
    assert.equal(unsureLine(a.text, a.scores, -0.5), 1, 'line 0 holds -1 but always stays; line 1 is under');
    const b = scored([['f(x)', 0], ['\n    ', -6], ['g()', 0], ['\n', 0], ['h()', 0]]);
    assert.equal(unsureLine(b.text, b.scores, -5), 1);
  });

  it('counts a piece of a character with the token that writes the character', () => {
    const text = 'x = 1\ny = 2\n\u{1F600} = 3';
    const lineTwo = text.indexOf('\u{1F600}');
    const scores = [
      { logProb: 0, textEnd: 5 },
      { logProb: 0, textEnd: 6 },
      { logProb: 0, textEnd: 11 },
      { logProb: 0, textEnd: lineTwo },
      // The emoji's first bytes write nothing yet.
      { logProb: -6, textEnd: lineTwo },
      { logProb: 0, textEnd: text.length },
    ];
    assert.equal(unsureLine(text, scores, -5), 2, 'the line the character is on, not the one before');
  });

  it('knows the line as soon as the token that crosses the floor is written', () => {
    const { text, scores } = scored([['a = 1', 0], ['\n', 0], ['b = f(', -6]]);
    assert.equal(unsureLine(text, scores, -5), 1);
  });
});

/** The piece after which BlockSettling first says the block is settled, feeding the pieces one by one; else undefined. */
function settledAfter(pieces: [string, number][], languageId: string): string | undefined {
  const settling = new BlockSettling(languageId);
  let text = '';
  const scores: TokenScore[] = [];
  for (const [piece, logProb] of pieces) {
    text += piece;
    scores.push({ logProb, textEnd: text.length });
    if (settling.settled(text, scores)) return piece;
  }
  return undefined;
}

describe('BlockSettling', () => {
  it('is settled once an unsure line is written and nothing the lines before it opened is open', () => {
    assert.equal(settledAfter([['a = 1', 0], ['\n', 0], ['b = 2', 0]], 'python'), undefined);
    assert.equal(settledAfter([['a = 1', 0], ['\n', 0], ['b = f(', -6], ['x)', 0]], 'python'), 'b = f(');
  });

  it('waits for the finished line that closes a docstring or block comment the kept lines opened', () => {
    const docstring: [string, number][] = [['"""', 0], ['\n', 0], ['    Lexer for it.', -6], ['\n', 0], ['    more.', 0], ['\n', 0], ['    """', 0], ['\n', 0], ['    name', 0]];
    assert.equal(settledAfter(docstring, 'python'), '\n', 'after the closing line is finished');
    assert.equal(settledAfter(docstring.slice(0, 7), 'python'), undefined, 'its closing line is not finished');
    const jsDoc: [string, number][] = [['/**', 0], ['\n', 0], [' * Adds.', -6], ['\n', 0], [' */', 0], ['\n', 0]];
    assert.equal(settledAfter(jsDoc, 'typescript'), '\n');
    // A quote open at a line's end is no string going on.
    assert.equal(settledAfter([["fn f<'a>(s: &'a str) -> &'a str {", 0], ['\n', 0], ['    s', -6]], 'rust'), '    s');
  });
});

describe('keepConfidentLines', () => {
  it('keeps the lines counted, without trailing blank lines', () => {
    assert.deepEqual(keepConfidentLines(['a = 1', '', 'b = 2'], 2, 'python'), ['a = 1']);
    assert.deepEqual(keepConfidentLines(['a = 1', 'b = 2'], 5, 'python'), ['a = 1', 'b = 2']);
  });

  it('goes on to the end of a docstring, block comment or template the kept lines opened', () => {
    const docstring = ['"""', '    Lexer for Procfiles.', '    """', "    name = 'Procfile'"];
    assert.deepEqual(keepConfidentLines(docstring, 1, 'python'), docstring.slice(0, 3));
    const jsDoc = ['/**', ' * Adds.', ' */', 'function add() {}'];
    assert.deepEqual(keepConfidentLines(jsDoc, 2, 'typescript'), jsDoc.slice(0, 3));
    const template = ['const sql = `', '  SELECT 1', '`;', 'run(sql);'];
    assert.deepEqual(keepConfidentLines(template, 1, 'javascript'), template.slice(0, 3));
    // A `#` comment is no string, and a string closed on its line is no reason to go on.
    assert.deepEqual(keepConfidentLines(['x = 1  # """', 'y = 2'], 1, 'python'), ['x = 1  # """']);
    assert.deepEqual(keepConfidentLines(['s = """one"""', 'y = 2'], 1, 'python'), ['s = """one"""']);
  });

  it('judges a comment or string by where it closes, not by its kind', () => {
    // Cut inside the first JSDoc; the block (capped) ends inside a second one.
    const twoDocs = ['', '  /**', '   * Adds two numbers.', '   */', '  add(a, b) { return a + b; }', '  /**', '   * Subtracts'];
    assert.deepEqual(keepConfidentLines(twoDocs, 2, 'typescript'), twoDocs.slice(0, 4));
    const twoDocstrings = ['x = 1', '"""', 'First.', '"""', 'y = 2', '"""', 'Second'];
    assert.deepEqual(keepConfidentLines(twoDocstrings, 2, 'python'), twoDocstrings.slice(0, 4));
  });

  it('finds where a comment or string opened by reading it, not by the last copy of its opener', () => {
    // A `/*` inside the JSDoc, and escaped backticks inside the template: neither opens what is open at the end.
    const jsDoc = ['  }', '', '  /**', '   * Strips /* comments', '   * and more'];
    assert.deepEqual(keepConfidentLines(jsDoc, 4, 'typescript'), ['  }']);
    const template = ['const a = 1;', 'const s = `', '  say \\`hi\\`', '  more'];
    assert.deepEqual(keepConfidentLines(template, 3, 'typescript'), template.slice(0, 1));
  });

  it("stops at the count where a quote is open at a line's end, which no string carries past", () => {
    const lifetimes = ["fn first<'a>(s: &'a str) -> &'a str {", '    s.split(\' \').next().unwrap_or(s)', '}'];
    assert.deepEqual(keepConfidentLines(lifetimes, 1, 'rust'), lifetimes.slice(0, 1));
  });

  it('leaves out a comment or string the block never closes with its opening line, or shows the whole block', () => {
    const capped = ['x = 1', 'y = 2', '"""', 'Lexer for'];
    assert.deepEqual(keepConfidentLines(capped, 3, 'python'), capped.slice(0, 2));
    const template = ['const a = 1;', 'const sql = `', '  SELECT'];
    assert.deepEqual(keepConfidentLines(template, 2, 'javascript'), template.slice(0, 1));
    // Nothing with code before it: the whole block, whose docstring post-processing closes.
    const docstring = ['"""', '    Lexer for'];
    assert.deepEqual(keepConfidentLines(docstring, 1, 'python'), docstring);
    // The cursor inside the document's docstring: its closer reads as an opener the block never closes.
    const closing = ['Returns the total.', '    """', '    return sum(values)', '', 'def mean(values):'];
    assert.deepEqual(keepConfidentLines(closing, 2, 'python'), closing.slice(0, 1));
  });
});
