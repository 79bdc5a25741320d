// lsp-server/bracketScan.ts: brackets in code, not in strings, comments or regular expression literals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openBrackets, openBracketsAtEnd, unmatchedClosers } from '../../lsp-server/bracketScan';

const opened = (text: string, lineComment = '//') => openBrackets(text, lineComment).map((b) => b.char).join('');
const unmatched = (text: string, lineComment = '//') => unmatchedClosers(text, lineComment).map((b) => b.char).join('');

describe('bracket scan', () => {
  it('skips a regular expression literal where one can start: after an operator, a bracket or a keyword', () => {
    assert.equal(unmatched('const m = /^\\s*\\)/.exec(line);'), '');
    assert.equal(unmatched('if (/[)}]$/.test(s)) {}'), '');
    assert.equal(unmatched('return /\\}/g;'), '');
    assert.equal(opened('parts = s.split(/[(]/);'), '');
    // A slash inside a character class does not end the literal.
    assert.equal(opened('const r = /[/(]/;'), '');
  });

  it('reads a slash after a value as a division, so brackets after it are code', () => {
    assert.equal(opened('x = a / (b / 2'), '(');
    assert.equal(opened('y = f(a) / (b'), '(');
    assert.equal(unmatched('z = n / 2)'), ')');
    // A slash with no second one on its line is a division too.
    assert.equal(opened('w = ( /'), '(');
  });

  it('reads JSX: a self-closing tag after braces is no regular expression, so the closers after it are code', () => {
    assert.equal(opened('{items.map((x) => <Item k={x} />)}</ul>'), '');
    assert.equal(unmatched('{loading && <Spinner size={20} />}</div>\n}'), '}');
  });

  it('takes a keyword before a slash only as a whole word', () => {
    assert.equal(opened('return /[(]/.test(s)'), '');
    assert.equal(opened('const n = login / (rate / 2'), '(');
    assert.equal(opened('const n = x.in / (rate / 2'), '(');
  });

  it('leaves `#`-comment languages alone, where a slash is only a division', () => {
    assert.equal(opened('x = (a /(b/ 2', '#'), '((');
  });

  it('tells the openers still open at the end of a text, and nothing where it ends in a string or comment', () => {
    assert.deepEqual(openBracketsAtEnd('f(a, g(', '//')?.map((b) => b.char), ['(', '(']);
    assert.equal(openBracketsAtEnd('f(a, // see g(', '//'), undefined);
    assert.equal(openBracketsAtEnd('f(a, "g(', '//'), undefined);
    assert.equal(openBracketsAtEnd('f(a, # see g(', '#'), undefined);
    assert.deepEqual(openBracketsAtEnd('f(a, // see g(\n', '//')?.map((b) => b.char), ['(']);
  });
});
