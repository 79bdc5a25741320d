// Assertions in the workspace's existing tests that call the target function, turned into input/output pairs:
//   expect(f(x)).toBe(y) / .toEqual(y) / .toStrictEqual(y)
//   assert.equal|strictEqual|deepEqual|deepStrictEqual(f(x), y)    (also assertEqual / self.assertEqual)
//   assert f(x) == y                                                (Python)
// The test files themselves are never run: only these two expressions are, and only in the sandbox.
import { escapeRegExp } from '../escapeRegExp';
import { closingBracket } from './closingBracket';
import type { DocExample } from './docExamples';
import { splitTopLevel } from './functionTarget';

export interface TestFile {
  path: string;
  text: string;
}

const TEST_FILE = /(^|\/)(test_[^/]*\.py|[^/]*_test\.py|[^/]*\.(test|spec)\.[cm]?[jt]sx?)$/;
const MAX_PER_FUNCTION = 16;

export function isTestFile(path: string): boolean {
  return TEST_FILE.test(path.replace(/\\/g, '/'));
}

function callsFunction(expression: string, name: string): boolean {
  return new RegExp(`^${escapeRegExp(name)}\\s*\\(`).test(expression.trim());
}

export function findTestCalls(files: TestFile[], name: string): DocExample[] {
  const found = new Map<string, DocExample>();
  const add = (callSource: string, expectedSource: string): void => {
    const call = callSource.trim();
    const expected = expectedSource.trim();
    if (callsFunction(call, name) && expected !== '' && !expected.includes(name)) found.set(`${call}\u0000${expected}`, { callSource: call, expectedSource: expected });
  };
  for (const file of files) {
    if (!file.text.includes(name)) continue;
    const text = file.text;
    for (const match of text.matchAll(/expect\s*\(/g)) {
      const open = match.index! + match[0].length - 1;
      const close = closingBracket(text, open);
      if (close < 0) continue;
      const matcher = /^\s*\.\s*(toBe|toEqual|toStrictEqual)\s*\(/.exec(text.slice(close + 1));
      if (!matcher) continue;
      const valueOpen = close + 1 + matcher[0].length - 1;
      const valueClose = closingBracket(text, valueOpen);
      if (valueClose > 0) add(text.slice(open + 1, close), text.slice(valueOpen + 1, valueClose));
    }
    for (const match of text.matchAll(/\b(?:assert\.(?:equal|strictEqual|deepEqual|deepStrictEqual)|(?:self\.)?assertEqual)\s*\(/g)) {
      const open = match.index! + match[0].length - 1;
      const close = closingBracket(text, open);
      if (close < 0) continue;
      const args = splitTopLevel(text.slice(open + 1, close));
      if (args.length >= 2) add(args[0], args[1]);
    }
    for (const match of text.matchAll(/^[^\S\n\r\u2028\u2029]*assert\s+(.+)$/gm)) {
      const condition = splitTopLevel(match[1])[0] ?? ''; // drop an assertion message
      const equals = condition.indexOf('==');
      if (equals > 0) add(condition.slice(0, equals), condition.slice(equals + 2));
    }
    if (found.size >= MAX_PER_FUNCTION) break;
  }
  return [...found.values()].slice(0, MAX_PER_FUNCTION);
}
