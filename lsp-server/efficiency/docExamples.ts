// Input/output examples written in doc comments: JSDoc `@example` blocks and Python doctests (`>>>`).
// Only examples of the form "an expression, then the value it should produce" become checks; prose and
// statements are skipped. The expressions are workspace text, so they are only ever evaluated in the sandbox.

export interface DocExample {
  /** Expression whose value is checked, e.g. `sum([1, 2])`. */
  callSource: string;
  /** Expression for the expected value, e.g. `3`. */
  expectedSource: string;
}

// `call // => value`, `call; // value`, `call //=> value`, `call // returns value`, `call // → value`
// No lazy run is followed by an optional one that also takes spaces (quadratic in a line's run of spaces).
const TRAILING = /^(.*?)(?:(?<!\s);?|;)\s*\/\/\s*(?:(?:=>|→|->|returns?:?|prints?:?|logs?:?|result:?)\s*)?(.+)$/;
// `call === value` or `call == value`
const EQUALITY = /^(.+?)(?<=^.|\S)\s*={2,3}\s*(.+?);?$/;
// `// => value` on its own line, after a line holding the call
const RESULT_LINE = /^\/\/\s*(?:=>|→|->|returns?:?|prints?:?|logs?:?|result:?)\s*(.+)$/;

function unwrapConsoleLog(expression: string): string {
  const match = /^console\.log\(([\s\S]*)\)$/.exec(expression.trim());
  return match ? match[1] : expression;
}

/** JSDoc `@example` bodies (one string per tag) → examples. */
export function parseDocExamples(blocks: string[]): DocExample[] {
  const examples: DocExample[] = [];
  for (const block of blocks) {
    const lines = block
      // A lone CR or U+2028 inside a line made the patterns below quadratic again.
      .split(/\r\n?|\n|\u2028|\u2029/)
      .map((line) => line.replace(/^\s*\*?\s?/, '').trim())
      .filter((line) => line !== '' && !line.startsWith('```'));
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (line.startsWith('//')) continue;
      const next = lines[i + 1] ?? '';
      const resultLine = RESULT_LINE.exec(next);
      let example: DocExample | null = null;
      const trailing = TRAILING.exec(line);
      if (trailing && trailing[1].trim() !== '') example = { callSource: trailing[1], expectedSource: trailing[2] };
      else if (resultLine) {
        example = { callSource: line.replace(/;$/, ''), expectedSource: resultLine[1] };
        i++;
      } else {
        const equality = EQUALITY.exec(line);
        if (equality) example = { callSource: equality[1], expectedSource: equality[2] };
      }
      if (example) {
        const callSource = unwrapConsoleLog(example.callSource).trim();
        const expectedSource = example.expectedSource.trim().replace(/;$/, '');
        if (callSource.includes('(') && expectedSource !== '') examples.push({ callSource, expectedSource });
      }
    }
  }
  return examples;
}

/** Python docstring → doctest examples (`>>> call` then the expected output lines). */
export function parseDoctests(docstring: string): DocExample[] {
  const examples: DocExample[] = [];
  const lines = docstring.split(/\r\n?|\n|\u2028|\u2029/).map((line) => line.trim());
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('>>>')) continue;
    let callSource = lines[i].slice(3).trim();
    while (lines[i + 1]?.startsWith('...')) callSource += '\n' + lines[++i].slice(3).trim();
    const expected: string[] = [];
    while (i + 1 < lines.length && lines[i + 1] !== '' && !lines[i + 1].startsWith('>>>')) expected.push(lines[++i]);
    const expectedSource = expected.join('\n');
    // Statements (assignments, imports) and tracebacks are not input/output pairs.
    if (expectedSource === '' || expectedSource.startsWith('Traceback') || /^\s*\w+\s*=[^=]/.test(callSource)) continue;
    examples.push({ callSource, expectedSource });
  }
  return examples;
}
