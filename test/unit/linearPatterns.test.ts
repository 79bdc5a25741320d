// Patterns that read the user's text run in time linear in it: each of these inputs (whitespace runs, a base64-like
// capital run, a run of dots, padding inside a line) took quadratic or cubic time before, seconds at these sizes, on
// the server's thread. The bound is generous (a machine many times slower passes); the old patterns missed it by far.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { termsOfIdentifier } from '../../lsp-server/context/codeTerms';
import { importedModules, namespaceImports } from '../../lsp-server/context/importGraph';
import { readModuleExports } from '../../lsp-server/context/moduleExports';
import { isStructuralLine } from '../../lsp-server/context/selectiveContext';
import { parseDocExamples, parseDoctests } from '../../lsp-server/efficiency/docExamples';
import { findTestCalls } from '../../lsp-server/efficiency/workspaceTestCalls';
import { escapeRegExp } from '../../lsp-server/escapeRegExp';

const N = 200_000;
const BOUND_MS = 2_000;

function linear<T>(what: string, run: () => T): T {
  const started = performance.now();
  const result = run();
  const ms = performance.now() - started;
  assert.ok(ms < BOUND_MS, `${what}: ${ms.toFixed(0)} ms for ${N} characters`);
  return result;
}

describe('patterns over user text', () => {
  it('read imports after long runs of blank lines and dots, and keep their matches', () => {
    const blank = '\n'.repeat(N);
    assert.deepEqual(Object.fromEntries(linear('python from after blank lines', () => importedModules('pkg/a.py', `import os${blank}from .util import parse\n`))), { 'pkg/util': ['parse'] });
    linear('a run of dots', () => importedModules('pkg/a.py', `from ${'.'.repeat(N)}`));
    const js = `const m = require("./m")${' '.repeat(N)}.x\nconst n = require("./n");\n`;
    assert.deepEqual([...linear('a require padded before its use', () => namespaceImports('src/a.js', js)).keys()], ['n']);
  });

  it('split a long run of capitals, judge padded lines and read padded exports', () => {
    assert.deepEqual(linear('capitals', () => termsOfIdentifier(`${'A'.repeat(N)}Bc`)).slice(1), [`${'a'.repeat(N)}`, 'bc']);
    assert.equal(linear('a padded declaration', () => isStructuralLine(`const${' '.repeat(N)}x = 1;`)), false);
    assert.equal(isStructuralLine('const { a, b } = require("x");'), true);
    const exports = linear('a padded export', () => readModuleExports('a.ts', `export function${' '.repeat(N)}(\nexport function*  gen() {}\n`, true));
    assert.deepEqual([...(exports?.names ?? [])], ['gen']);
  });

  it('read examples and test assertions with long padding, and names holding $', () => {
    linear('a padded example', () => parseDocExamples([`@example f(1)${' '.repeat(N)}x`]));
    linear('a padded equality', () => parseDocExamples([`@example f(1)${' '.repeat(N)}== 2 x`]));
    linear('a lone CR in a doctest', () => parseDoctests(`>>> f(1)${' '.repeat(N)}\r${' '.repeat(N)}x`));
    const tests = [{ path: 'test/a.test.py', text: `${'\n'.repeat(N)}x = 1\nassert f(2) == 3\n` }];
    assert.equal(linear('assertions after blank lines', () => findTestCalls(tests, 'f')).length, 1);
    assert.equal(findTestCalls([{ path: 'test/a.test.js', text: 'assert.equal($get(2), 3);\n' }], '$get').length, 1, 'a name with $ is found');
    assert.equal(escapeRegExp('a.b$c(d)'), 'a\\.b\\$c\\(d\\)');
  });
});
