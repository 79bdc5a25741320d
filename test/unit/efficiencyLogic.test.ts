// Pure logic of the efficiency checks: function detection, example parsing, generated inputs, the result
// channel's verification, value equality, ranking and the feature's gating. No sandbox needed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildChecks, directCallArguments } from '../../lsp-server/efficiency/checkBuilder';
import { decideExpectations, type CandidateResult, type CheckResult, type CompileInput, type EvaluationInput } from '../../lsp-server/efficiency/candidateEvaluator';
import { chooseFirst, compareCandidates, offersOtherFirst, rankCandidates, SPEEDUP_MARGIN, summarize, type RankedCandidate } from '../../lsp-server/efficiency/candidateRanker';
import { parseDocExamples, parseDoctests } from '../../lsp-server/efficiency/docExamples';
import { differentialInputs, literalArguments, parseType, seededRandom } from '../../lsp-server/efficiency/differentialInputs';
import { DEFAULT_EFFICIENCY_OPTIONS, EfficiencyChecker, type EfficiencyCheckerDeps } from '../../lsp-server/efficiency/efficiencyChecker';
import { findFunctionTarget, toCommonJs } from '../../lsp-server/efficiency/functionTarget';
import { encodeFrame, looksComplete, newRunKey, signedFrames, timingsPlausible, verifyChannel } from '../../lsp-server/efficiency/resultChannel';
import { valuesEqual } from '../../lsp-server/efficiency/valueEquality';
import { findTestCalls, isTestFile } from '../../lsp-server/efficiency/workspaceTestCalls';

const TS_DOC = `import { readFileSync } from 'node:fs';
/**
 * Sum of the squares.
 * @example
 * sumSquares([1, 2]) // => 5
 * sumSquares([]); // 0
 * @example sumSquares([3]) === 9
 */
export function sumSquares(xs: number[]): number {
}

function other() {}
`;
const TS_CURSOR = TS_DOC.indexOf('number {') + 'number {'.length;

describe('findFunctionTarget', () => {
  it('tells whether the completion writes the whole body (only comments and a docstring outside it)', () => {
    const py = 'def f(n: int) -> int:\n    """Doc.\n\n    >>> f(1)\n    1\n    """\n    # the answer\n\n';
    assert.equal(findFunctionTarget(py, py.length - 1, '    return n', 'python')?.wholeBody, true);
    const pyCode = 'def f(n: int) -> int:\n    """Doc."""\n    m = n\n\n';
    assert.equal(findFunctionTarget(pyCode, pyCode.length - 1, '    return m', 'python')?.wholeBody, false);
    assert.equal(findFunctionTarget(pyCode, pyCode.indexOf('    m = n'), '    x = 1\n', 'python')?.wholeBody, false, 'code after the completion');
    assert.equal(findFunctionTarget(TS_DOC, TS_CURSOR, '\n  return 1;', 'typescript')?.wholeBody, true);
    const ts = 'function f(n: number): number {\n  const m = n;\n\n}\n';
    assert.equal(findFunctionTarget(ts, ts.indexOf('\n\n') + 1, '  return m;', 'typescript')?.wholeBody, false);
  });

  it('finds a TypeScript function whose body the completion writes, with params, types and @example pairs', () => {
    const target = findFunctionTarget(TS_DOC, TS_CURSOR, '\n  return xs.reduce((s, x) => s + x * x, 0);\n', 'typescript');
    assert.ok(target);
    assert.equal(target.name, 'sumSquares');
    assert.deepEqual(target.params, [{ name: 'xs', type: 'number[]' }]);
    assert.equal(target.returnType, 'number');
    assert.match(target.source, /^function sumSquares\(xs: number\[\]\): number \{\n {2}return xs\.reduce/);
    assert.deepEqual(target.examples, [
      { callSource: 'sumSquares([1, 2])', expectedSource: '5' },
      { callSource: 'sumSquares([])', expectedSource: '0' },
      { callSource: 'sumSquares([3])', expectedSource: '9' },
    ]);
  });

  it('finds arrow functions assigned to a const, in JavaScript', () => {
    const text = 'const double = (n) => {\n};\n';
    const target = findFunctionTarget(text, text.indexOf('{') + 1, '\n  return n * 2;\n', 'javascript');
    assert.equal(target?.name, 'double');
    assert.deepEqual(target?.params, [{ name: 'n', type: undefined }]);
  });

  it('answers null outside a function body, for methods, for unparsable results and for other languages', () => {
    assert.equal(findFunctionTarget(TS_DOC, 0, 'const x = 1;\n', 'typescript'), null);
    const klass = 'class A {\n  m(x: number) {\n  }\n}\n';
    assert.equal(findFunctionTarget(klass, klass.indexOf('{\n  }') + 1, '\n    return x;\n', 'typescript'), null);
    assert.equal(findFunctionTarget(TS_DOC, TS_CURSOR, '\n  return ((;\n', 'typescript'), null);
    assert.equal(findFunctionTarget('fn main() {\n}\n', 11, 'x', 'rust'), null);
  });

  it('reads a Python def, its annotations and its doctests', () => {
    const text = [
      'from collections import Counter',
      '',
      'def most_common(words: list[str], k: int = 1) -> list[str]:',
      '    """The k most common words.',
      '',
      "    >>> most_common(['a', 'b', 'a'])",
      "    ['a']",
      '    >>> x = 3',
      '    >>> most_common([], 2)',
      '    []',
      '    """',
      '',
      'print(1)',
    ].join('\n');
    const cursor = text.indexOf('"""\n\nprint') + 4;
    const target = findFunctionTarget(text, cursor, '    return [w for w, _ in Counter(words).most_common(k)]\n', 'python');
    assert.ok(target);
    assert.equal(target.name, 'most_common');
    assert.deepEqual(target.params, [{ name: 'words', type: 'list[str]' }, { name: 'k', type: 'int' }]);
    assert.deepEqual(target.examples, [
      { callSource: "most_common(['a', 'b', 'a'])", expectedSource: "['a']" },
      { callSource: 'most_common([], 2)', expectedSource: '[]' },
    ]);
    assert.ok(target.source.endsWith('most_common(k)]\n'));
    assert.equal(findFunctionTarget(text, text.length, 'x = 1\n', 'python'), null, 'top-level code is no function body');
  });

  it("keeps a Python function's decorators in its source, multi-line ones and comments among them included", () => {
    const text = [
      'import functools',
      'x = [',
      '    1,',
      ']',
      '@functools.lru_cache(',
      '    maxsize=None,',
      ')',
      '# memoized',
      '@staticmethod',
      'def fib(n: int) -> int:',
      '',
    ].join('\n');
    const target = findFunctionTarget(text, text.length, '    return n\n', 'python');
    assert.ok(target);
    assert.equal(target.source, '@functools.lru_cache(\n    maxsize=None,\n)\n# memoized\n@staticmethod\ndef fib(n: int) -> int:\n    return n\n');
    const plain = 'def g():\n    pass\n\ndef f(n):\n';
    assert.equal(findFunctionTarget(plain, plain.length, '    return n\n', 'python')?.source, 'def f(n):\n    return n\n', "another function's body is not a decorator");
  });

  it('strips TypeScript types with the bundled compiler, and makes imports requires', () => {
    assert.equal(toCommonJs('function f(x: number): number { return x as number; }', true).trim().split('\n').pop(), 'function f(x) { return x; }');
    assert.match(toCommonJs("import { join } from 'node:path';\nfunction f(x) { return join(x); }", false), /require\("node:path"\)/);
  });
});

describe('examples and test calls', () => {
  it('parses the usual @example layouts and skips prose', () => {
    assert.deepEqual(parseDocExamples(['f(1) //=> 2\nf(2); // returns 4\nconsole.log(f(3)) // 6\nf(4)\n// => 8\nJust prose here.\nf(5) == 10']), [
      { callSource: 'f(1)', expectedSource: '2' },
      { callSource: 'f(2)', expectedSource: '4' },
      { callSource: 'f(3)', expectedSource: '6' },
      { callSource: 'f(4)', expectedSource: '8' },
      { callSource: 'f(5)', expectedSource: '10' },
    ]);
  });

  it('keeps only doctests that pair an expression with output', () => {
    assert.deepEqual(parseDoctests('>>> f(1)\n2\n>>> y = f(2)\n>>> f(\n... 3)\n6\n>>> f(-1)\nTraceback (most recent call last):\n'), [
      { callSource: 'f(1)', expectedSource: '2' },
      { callSource: 'f(\n3)', expectedSource: '6' },
    ]);
  });

  it('extracts assertions that call the function from workspace tests', () => {
    const files = [
      { path: 'test/sum.test.ts', text: "expect(sum([1, 2])).toBe(3);\nassert.deepStrictEqual(sum([]), 0, 'empty');\nexpect(other(1)).toBe(1);" },
      { path: 'tests/test_sum.py', text: 'def test_it():\n    assert sum([1, [2, 3]]) == [1, 2], "msg"\n    self.assertEqual(sum((4,)), 4)\n' },
    ];
    assert.deepEqual(findTestCalls(files, 'sum'), [
      { callSource: 'sum([1, 2])', expectedSource: '3' },
      { callSource: 'sum([])', expectedSource: '0' },
      { callSource: 'sum((4,))', expectedSource: '4' },
      { callSource: 'sum([1, [2, 3]])', expectedSource: '[1, 2]' },
    ]);
    assert.ok(isTestFile('src/a.spec.js') && isTestFile('pkg/test_a.py') && !isTestFile('src/a.ts'));
  });

  it('builds example, test and differential checks with direct-call arguments', () => {
    const target = findFunctionTarget(TS_DOC, TS_CURSOR, '\n  return 0;\n', 'typescript')!;
    const checks = buildChecks(target, [{ path: 'a.test.ts', text: 'expect(sumSquares([2])).toBe(4)' }], 7);
    assert.deepEqual(checks.map((c) => c.kind), ['example', 'example', 'example', 'test', 'differential', 'differential', 'differential', 'differential', 'differential', 'differential']);
    assert.equal(checks[0].argsSource, '[1, 2]');
    assert.deepEqual(checks, buildChecks(target, [{ path: 'a.test.ts', text: 'expect(sumSquares([2])).toBe(4)' }], 7), 'deterministic for a seed');
    assert.equal(directCallArguments('f(a, g(b))', 'f'), 'a, g(b)');
    assert.equal(directCallArguments('f(a).length', 'f'), undefined);
    assert.equal(directCallArguments('f(")")', 'f'), '")"');
  });
});

describe('differential inputs', () => {
  it('understands TypeScript and Python annotations', () => {
    assert.deepEqual(parseType('readonly number[]', 'javascript'), { kind: 'array', element: { kind: 'int' } });
    assert.deepEqual(parseType('Array<string>', 'javascript'), { kind: 'array', element: { kind: 'string' } });
    assert.deepEqual(parseType('List[list[float]]', 'python'), { kind: 'array', element: { kind: 'array', element: { kind: 'float' } } });
    assert.equal(parseType('Map<string, number>', 'javascript'), null);
  });

  it('infers types from literal example arguments without evaluating them', () => {
    assert.deepEqual(literalArguments("[1, 2], 'ab', True"), [[1, 2], 'ab', true]);
    assert.equal(literalArguments('process.exit(1)'), null);
    const inputs = differentialInputs([{ name: 'xs' }], [[[1, 2, 3]]], 'javascript', 1);
    assert.equal(inputs.length, 6);
    assert.ok(inputs.every((input) => Array.isArray(input.args[0]) && (input.args[0] as unknown[]).every(Number.isInteger)));
    const large = inputs.filter((input) => input.size === 'large').map((input) => (input.args[0] as unknown[]).length);
    assert.ok(large.every((n) => n >= 1000), 'large inputs are large');
  });

  it('keeps strings in a generated collection short: the collection grows, and its values fit the result channel', () => {
    for (const language of ['javascript', 'python'] as const) {
      const type = language === 'javascript' ? 'string[]' : 'list[str]';
      const large = differentialInputs([{ name: 'words', type }], [], language, 3).filter((input) => input.size === 'large');
      for (const input of large) {
        const words = input.args[0] as string[];
        assert.ok(words.length >= (language === 'javascript' ? 1000 : 150), `${language}: ${words.length} strings`);
        assert.ok(JSON.stringify(words).length < 128 * 1024, `${language}: ${JSON.stringify(words).length} characters`);
      }
    }
  });

  it('generates nothing when a parameter type is unknown', () => {
    assert.deepEqual(differentialInputs([{ name: 'x', type: 'Widget' }], [], 'javascript', 1), []);
    assert.deepEqual(differentialInputs([], [], 'python', 1), []);
  });

  it('generates strings with separators and punctuation, an empty one and ones that end in a separator, the same for a seed', () => {
    for (const language of ['javascript', 'python'] as const) {
      const strings = (seed: number) => [
        ...differentialInputs([{ name: 'p', type: language === 'python' ? 'str' : 'string' }], [], language, seed).map((input) => input.args[0] as string),
        ...differentialInputs([{ name: 'ps', type: language === 'python' ? 'list[str]' : 'string[]' }], [], language, seed).flatMap((input) => input.args[0] as string[]),
      ];
      const generated = strings(7);
      assert.deepEqual(strings(7), generated, 'deterministic for the seed');
      assert.equal(generated[0], '', 'the first small string is empty, like the boundary integer 0');
      assert.match(generated[1], /^.+\/$/, "the second ends in a path's separator");
      assert.ok(generated.includes(''), 'the empty string');
      assert.ok(generated.some((text) => text.length > 1 && text.endsWith('/')), "one ending in a path's separator");
      const text = generated.join('');
      for (const separator of ['/', '.', ' ', '-', '_', ',', ':']) assert.ok(text.includes(separator), `${language}: ${JSON.stringify(separator)} in a generated string`);
      assert.ok(generated.filter((s) => s.length > 1 && /[/. \-_,:]$/.test(s)).length >= 3, 'collections hold strings ending in separators too');
    }
  });

  it('is deterministic per seed', () => {
    const a = seededRandom(5);
    const b = seededRandom(5);
    assert.deepEqual([a(), a(), a()], [b(), b(), b()]);
  });
});

describe('result channel', () => {
  const key = newRunKey();
  const good = Buffer.from(encodeFrame(key, 0, 'load', { ok: true }) + encodeFrame(key, 1, 'check', { id: 'a', value: 1 }) + encodeFrame(key, 2, 'done', { frames: 2 }));

  it('accepts a complete, signed, ordered channel', () => {
    const verdict = verifyChannel(good, key);
    assert.ok(verdict.ok);
    assert.equal(verdict.frames.length, 3);
    assert.ok(looksComplete(Buffer.from(encodeFrame(key, 2, 'done', { frames: 2 }))), 'the runner passes the last line');
    assert.equal(looksComplete(Buffer.from(encodeFrame(key, 1, 'check', { id: 'a', value: 1 }))), false);
    assert.equal(looksComplete(Buffer.from(encodeFrame(key, 2, 'done', { frames: 2 }).trimEnd())), false, 'an unfinished line');
  });

  it('rejects another key, a tampered body, reordering, a missing done and trailing garbage', () => {
    assert.match(String((verifyChannel(good, newRunKey()) as { reason: string }).reason), /signature/);
    assert.equal(verifyChannel(Buffer.from(good.toString().replace('"value":1', '"value":2')), key).ok, false);
    const frames = good.toString().split('\n');
    assert.equal(verifyChannel(Buffer.from([frames[1], frames[0], frames[2], ''].join('\n')), key).ok, false);
    assert.equal(verifyChannel(Buffer.from(frames.slice(0, 2).join('\n') + '\n'), key).ok, false);
    assert.equal(verifyChannel(Buffer.from(good.toString() + 'pass\n'), key).ok, false);
    assert.equal(verifyChannel(Buffer.from(encodeFrame(key, 0, 'done', { frames: 3 })), key).ok, false, 'count must match');
  });

  it('tells how far a run stopped midway got: its signed frames up to the first that is not', () => {
    const [load, check] = good.toString().split('\n');
    assert.deepEqual(signedFrames(Buffer.from(`${load}\n${check}\nunfinished`), key).map((frame) => frame.type), ['load', 'check']);
    assert.deepEqual(signedFrames(Buffer.from(`${'0'.repeat(64)} 0 load {"ok":true}\n${load}\n`), key), [], 'a forged frame ends it');
    assert.deepEqual(signedFrames(Buffer.from(`${check}\n`), key), [], 'so does one out of order');
  });

  it('judges reported timings against the CPU time the system measured', () => {
    assert.ok(timingsPlausible(50, 120, 60));
    assert.ok(!timingsPlausible(1, 1500, 60));
  });
});

describe('value equality', () => {
  it('compares structurally with a float tolerance', () => {
    assert.ok(valuesEqual({ a: [1, 0.1 + 0.2] }, { a: [1, 0.3] }));
    assert.ok(!valuesEqual([1, 2], [2, 1]));
    assert.ok(!valuesEqual({ $u: 1 }, null));
  });
});

function candidate(index: number, outcome: CandidateResult['outcome'], timeNs: number, memoryBytes = 0, checksPassed = outcome === 'pass' ? 4 : 1): RankedCandidate {
  return { index, outcome, checksPassed, checksTotal: 4, timeNs, memoryBytes, cpuMs: 0, checks: new Map(), isGreedy: index === 0 };
}

describe('ranking', () => {
  it('orders passes first, then faster, then lighter, and never a failure above a pass', () => {
    const sorted = [candidate(0, 'pass', 9e6), candidate(1, 'fail', 1e3), candidate(2, 'pass', 3e6, 50e6), candidate(3, 'pass', 3.05e6, 10e6), candidate(4, 'timeout', Infinity)].sort(compareCandidates);
    assert.deepEqual(sorted.map((c) => c.index), [3, 2, 0, 1, 4]);
    assert.deepEqual(rankCandidates(sorted, 0).map((c) => c.index), [3, 2, 0, 1, 4], 'the 3x faster one goes first');
  });

  it('is a strict weak order (irreflexive, antisymmetric, transitive) on random candidates', () => {
    const random = seededRandom(11);
    const outcomes: CandidateResult['outcome'][] = ['pass', 'fail', 'timeout', 'runtime-error'];
    const pool = Array.from({ length: 40 }, (_, i) => candidate(i, outcomes[Math.floor(random() * 4)], Math.floor(random() * 5) * 1e6 + 1, Math.floor(random() * 3) * 2 ** 20, Math.floor(random() * 5)));
    for (const a of pool) {
      assert.equal(compareCandidates(a, a), 0);
      for (const b of pool) {
        assert.ok(Math.sign(compareCandidates(a, b)) === -Math.sign(compareCandidates(b, a)));
        for (const c of pool) if (compareCandidates(a, b) < 0 && compareCandidates(b, c) < 0) assert.ok(compareCandidates(a, c) < 0);
      }
    }
  });

  it('keeps the correct plain suggestion first unless another is faster by the margin identical code does not reach', () => {
    // The probe: the same code measured 150 vs 230 us between processes, and `(sum(xs))` replaced `sum(xs)` as "1.6x faster".
    const noise = rankCandidates([candidate(0, 'pass', 230e3), candidate(1, 'pass', 150e3)], 0);
    assert.equal(noise[0].index, 0);
    assert.equal(offersOtherFirst(noise), false);
    assert.equal(summarize(noise), '4/4 checks passed; no faster candidate found (2/2 candidates correct)');
    assert.ok(SPEEDUP_MARGIN > 1.86 && SPEEDUP_MARGIN < 3, 'above the spread of identical code, below the real differences measured');
    const real = rankCandidates([candidate(0, 'pass', 9e6), candidate(1, 'pass', 1e6), candidate(2, 'pass', 3e6)], 0);
    assert.deepEqual(real.map((c) => c.index), [1, 2, 0]);
    assert.equal(offersOtherFirst(real), true);
    assert.equal(summarize(real), '4/4 checks passed; 9.0x faster than the plain suggestion (3/3 candidates correct)');
    assert.deepEqual(chooseFirst([...real].reverse()), chooseFirst(real), 'the choice does not depend on the order');
  });

  it('offers another candidate over a failing plain suggestion only as a fix, and says so', () => {
    const fixed = rankCandidates([candidate(0, 'fail', 1e6, 0, 0), candidate(1, 'pass', 5e6), candidate(2, 'fail', 1e3)], 0);
    assert.equal(fixed[0].index, 1);
    assert.equal(chooseFirst(fixed).kind, 'fix');
    assert.equal(summarize(fixed), '4/4 examples passed; offered as a fix, not for speed: the plain suggestion failed 4/4 examples (1/3 candidates correct)');
    const nothing = rankCandidates([candidate(0, 'fail', 1e6), candidate(1, 'runtime-error', Infinity, 0, 0)], 0);
    assert.equal(summarize(nothing), 'no candidate passed every check (best: 1/4)');
    assert.equal(offersOtherFirst(nothing), false, 'nothing passed: nothing improved');
    // A plain suggestion that passed everything but whose run was not verified is not "fixed" by another.
    const unverified = rankCandidates([{ ...candidate(0, 'invalid-output', 1e6, 0, 4), detail: 'reported timings disagree' }, candidate(1, 'pass', 1e6)], 0);
    assert.equal(unverified[0].index, 0);
    assert.equal(offersOtherFirst(unverified), false);
  });

  it('never offers a fix for a plain suggestion the sandbox could not check (a module it lacks, a file it refuses), and says why', () => {
    const lacking = { ...candidate(0, 'unavailable', Infinity, 0, 0), detail: 'numpy is not available in the sandbox' };
    const kept = rankCandidates([lacking, candidate(1, 'pass', 1e6)], 0);
    assert.equal(chooseFirst(kept).kind, 'none');
    assert.equal(kept[0].index, 0);
    assert.equal(offersOtherFirst(kept), false);
    assert.equal(summarize(kept), 'the plain suggestion was not checked: numpy is not available in the sandbox; it stays first (1/2 candidates correct)');
    const denied = { ...candidate(0, 'sandbox-denied', 1e3, 0, 0), detail: 'the function uses files, which the sandbox does not allow (EACCES in example 1)' };
    assert.equal(chooseFirst(rankCandidates([denied, candidate(1, 'pass', 1e6)], 0)).kind, 'none');
    const allDenied = rankCandidates([denied, { ...denied, index: 1, isGreedy: false }], 0);
    assert.equal(summarize(allDenied), 'not checked: the function uses files, which the sandbox does not allow (EACCES in example 1)');
    const othersFail = rankCandidates([lacking, { ...candidate(1, 'fail', 1e3, 0, 0), detail: 'NameError in example 1' }], 0);
    assert.equal(summarize(othersFail), 'no candidate passed every check (best: 0/4); the plain suggestion was not checked: numpy is not available in the sandbox');
  });

  it('summarizes what was found in one line', () => {
    const ranked = rankCandidates([candidate(0, 'pass', 6.3e6, 5 * 2 ** 20), candidate(1, 'pass', 2e6, 3 * 2 ** 20), candidate(2, 'fail', 1e6)], 0);
    assert.equal(summarize(ranked), '4/4 checks passed; 3.1x faster and 40% less memory than the plain suggestion (2/3 candidates correct)');
    assert.equal(summarize(rankCandidates([candidate(0, 'pass', 1e6)], 0)), '4/4 checks passed; no faster candidate found (1/1 candidates correct)');
  });
});

describe('expectations on generated inputs', () => {
  const ok = (value: unknown): CheckResult => ({ ok: true, value });
  it('takes the plain suggestion as the reference when it passes every example, whatever the samples agree on', () => {
    const plain = new Map([['example-0', ok(2)], ['differential-0', ok(1)], ['differential-1', { ok: false, error: 'ValueError' }]]);
    const decided = decideExpectations(new Map([['example-0', 2]]), ['differential-0', 'differential-1'], plain);
    assert.equal(decided.plainIsReference, true);
    assert.deepEqual([...decided.expected], [['example-0', 2], ['differential-0', 1]], 'an input the plain suggestion raised on is not checked');
    const noExamples = decideExpectations(new Map(), ['differential-0'], new Map([['differential-0', ok(3)]]));
    assert.deepEqual([...noExamples.expected], [['differential-0', 3]], 'without examples the plain suggestion is still the reference');
  });

  it('checks only the examples when the plain suggestion fails one or did not run', () => {
    const failing = decideExpectations(new Map([['example-0', 2]]), ['differential-0'], new Map([['example-0', ok(3)], ['differential-0', ok(1)]]));
    assert.equal(failing.plainIsReference, false);
    assert.deepEqual([...failing.expected], [['example-0', 2]]);
    assert.deepEqual([...decideExpectations(new Map(), ['differential-0'], null).expected], [], 'no examples: nothing can replace it');
  });
});

describe('EfficiencyChecker gating', () => {
  const text = 'function double(n: number): number {\n}\n';
  const offset = text.indexOf('{') + 1;
  function checker(over: Partial<EfficiencyCheckerDeps> = {}, enabled = true) {
    const calls = { selfTest: 0, evaluate: 0, samples: 0 };
    const deps: EfficiencyCheckerDeps = {
      options: () => ({ ...DEFAULT_EFFICIENCY_OPTIONS, enabled, samples: 2 }),
      isTrusted: () => true,
      selfTest: async () => {
        calls.selfTest++;
        return { runtimes: { javascript: { language: 'javascript', executable: '/x', flags: [], binds: [], maxTasks: 1 } }, tools: { bwrap: '/b', prlimit: '/p', setpriv: null, supportsDisableUserns: true, seccomp: false, prlimitBinds: [] }, reasons: [], durationMs: 1 };
      },
      evaluate: async (input: EvaluationInput) => {
        calls.evaluate++;
        return {
          checkIds: ['differential-0'],
          plainIsReference: true,
          reference: undefined as never,
          results: input.sources.map((source, index) => ({ ...candidate(index, source.includes('n + n') ? 'pass' : 'fail', source.includes('n + n') ? 1e6 : 2e6), isGreedy: undefined })) as CandidateResult[],
        };
      },
      logger: { info: () => undefined, warn: () => undefined },
      clock: () => 0,
      ...over,
    };
    return { checker: new EfficiencyChecker(deps), calls };
  }
  const request = (sample: (seed: number) => string) => ({
    uri: 'file:///a.ts',
    version: 3,
    languageId: 'typescript',
    text,
    offset,
    greedy: '\n  return n * 3;\n',
    sample: async ({ seed }: { seed: number }) => sample(seed),
  });

  it('does nothing (not even the self-test) when disabled or untrusted', async () => {
    for (const setup of [checker({}, false), checker({ isTrusted: () => false })]) {
      assert.equal(await setup.checker.refine(request(() => '\n  return n + n;\n')), null);
      assert.deepEqual(setup.calls, { selfTest: 0, evaluate: 0, samples: 0 });
    }
    assert.equal(checker({}, false).checker.availability().state, 'disabled');
    assert.equal(checker({ isTrusted: () => false }).checker.availability().state, 'untrusted');
  });

  it('says when a suggestion goes unrefined for want of trust (the server tells an editor that never sends it), not when disabled', async () => {
    let untrusted = 0;
    const onUntrusted = () => untrusted++;
    await checker({ isTrusted: () => false, onUntrusted }).checker.refine(request(() => '\n  return n + n;\n'));
    assert.equal(untrusted, 1);
    await checker({ onUntrusted }, false).checker.refine(request(() => '\n  return n + n;\n'));
    await checker({ onUntrusted }).checker.refine(request(() => '\n  return n + n;\n'));
    assert.equal(untrusted, 1);
  });

  it('ranks the sampled candidates, offers the best first and remembers it for that position only', async () => {
    const { checker: c, calls } = checker();
    const refinement = await c.refine(request((seed) => (seed === 1 ? '\n  return n + n;\n' : '\n  return n * 3;\n')));
    assert.ok(refinement);
    assert.equal(refinement.ranked[0].text, '\n  return n + n;\n');
    assert.equal(refinement.ranked.length, 2, 'duplicates of the greedy text are dropped');
    assert.match(refinement.summary, /1\/2 candidates correct/);
    assert.equal(calls.selfTest, 1);
    assert.equal(c.lookup('file:///a.ts', 3, offset), refinement);
    assert.equal(c.lookup('file:///a.ts', 4, offset), undefined);
    await c.refine(request(() => '\n  return n + n;\n'));
    assert.equal(calls.selfTest, 1, 'the self-test runs once');
  });

  it('reads a large file around the function in slices that wait while a completion is answered', async () => {
    let waits = 0;
    const large = Array.from({ length: 6000 }, (_, i) => `const C${i} = ${i};\n`).join('') + text;
    const { checker: c, calls } = checker({ foregroundIdle: async () => void waits++ });
    const refinement = await c.refine({ ...request(() => '\n  return n + n;\n'), text: large, offset: large.length - text.length + offset });
    assert.ok(refinement);
    assert.equal(calls.evaluate, 1);
    assert.ok(waits > 0, 'gave way to completions between slices');
  });

  it('runs the self-test again after the workspace folders change (its temporary folder must lie outside each one)', async () => {
    const { checker: c, calls } = checker();
    await c.prepare();
    await c.prepare();
    assert.equal(calls.selfTest, 1);
    c.forgetIsolation();
    assert.equal(c.availability().state, 'checking-isolation');
    await c.prepare();
    assert.equal(calls.selfTest, 2);
  });

  it('refines in the background after a suggestion, offers passing candidates first, and yields to requests elsewhere', async () => {
    const refined: string[] = [];
    const { checker: c } = checker({ onRefined: (r) => refined.push(r.summary) });
    c.afterSuggestion(request((seed) => (seed === 1 ? '\n  return n + n;\n' : '\n  return n * 3;\n')));
    for (let i = 0; i < 100 && refined.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(refined.length, 1);
    assert.deepEqual(c.offerFirst('file:///a.ts', 3, offset), ['\n  return n + n;\n', '\n  return n * 3;\n'], 'the passing one first, the greedy one kept');
    assert.equal(c.offerFirst('file:///a.ts', 3, offset + 1), undefined);

    let release: () => void = () => undefined;
    const { checker: slow } = checker({ onRefined: () => assert.fail('a cancelled refinement reports nothing') });
    const sampleSignals: AbortSignal[] = [];
    slow.afterSuggestion({
      ...request(() => ''),
      sample: (_sampling, signal) => {
        sampleSignals.push(signal);
        return new Promise((resolve) => (release = () => resolve('\n  return n + n;\n')));
      },
    });
    for (let i = 0; i < 100 && sampleSignals.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    slow.cancelOthers('file:///a.ts', 3, offset);
    assert.equal(sampleSignals[0]?.aborted, false, 'a request at the same position leaves the refinement running');
    slow.cancelOthers('file:///a.ts', 4, offset);
    assert.equal(sampleSignals[0]?.aborted, true, 'a request elsewhere aborts the sampling in flight');
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
  });

  it('stays off with the reason when the self-test could not confirm isolation, and never throws', async () => {
    const { checker: off } = checker({ selfTest: async () => ({ runtimes: {}, tools: null, reasons: ['no bwrap'], durationMs: 0 }) });
    assert.equal(await off.refine(request(() => 'x')), null);
    assert.deepEqual(off.availability(), { state: 'unavailable', reason: 'no bwrap' });
    const { checker: broken } = checker({ evaluate: async () => Promise.reject(new Error('boom')) });
    assert.equal(await broken.refine(request(() => '\n  return n + n;\n')), null);
  });

  it('ignores completions that do not write a function body', async () => {
    const { checker: c, calls } = checker();
    assert.equal(await c.refine({ ...request(() => ''), offset: text.length, greedy: 'const x = 1;\n' }), null);
    assert.equal(calls.evaluate, 0);
  });

  it('says improved only when a passing candidate other than the plain suggestion is offered first', async () => {
    const { checker: c } = checker();
    assert.equal((await c.refine(request((seed) => (seed === 1 ? '\n  return n + n;\n' : '\n  return n * 4;\n'))))?.improved, true);
    const failing = await c.refine(request(() => '\n  return n * 4;\n'));
    assert.ok(failing);
    assert.equal(failing.ranked[0].outcome, 'fail');
    assert.equal(failing.improved, false, 'nothing passed: nothing is offered instead');
  });

  it('checks only completions that write the whole body', async () => {
    const { checker: c, calls } = checker();
    const partial = 'function double(n: number): number {\n  const m = n;\n\n}\n';
    assert.equal(await c.refine({ ...request(() => '  return m + m;'), text: partial, offset: partial.indexOf('\n\n') + 2, greedy: '  return m + m;' }), null);
    assert.equal(calls.evaluate, 0);
  });

  it('does not refine a Python suggestion whose coroutine waits on an event loop: not checkable, so a sample cannot replace it', async () => {
    const py = 'async def double(n: int) -> int:\n    """\n    >>> double(2)\n    4\n    """\n';
    const logged: string[] = [];
    const result = (index: number) => ({
      ...candidate(index, index === 0 ? 'fail' : 'pass', 1e6),
      isGreedy: undefined,
      checks: new Map([['example-0', index === 0 ? { ok: false, error: 'NeedsEventLoop: it waits on something only an event loop resumes' } : { ok: true, value: 4 }]]),
    });
    const refinement = await checker({
      selfTest: async () => ({ runtimes: { python: { language: 'python', executable: '/py', flags: [], binds: [], maxTasks: 1 } }, tools: { bwrap: '/b', prlimit: '/p', setpriv: null, supportsDisableUserns: true, seccomp: false, prlimitBinds: [] }, reasons: [], durationMs: 1 }),
      compile: async (input: CompileInput) => input.sources.map(() => null),
      evaluate: async (input: EvaluationInput) => ({ checkIds: ['example-0'], plainIsReference: false, reference: undefined as never, results: input.sources.map((_, index) => result(index)) as CandidateResult[] }),
      logger: { info: (message) => logged.push(message), warn: (message) => logged.push(message) },
    }).checker.refine({ uri: 'file:///e.py', version: 1, languageId: 'python', text: py, offset: py.length, greedy: '    await wait()\n    return n * 2\n', sample: async () => '    return n + n\n' });
    assert.equal(refinement, null);
    assert.match(logged.join('\n'), /skipped for double: the suggestion waits on something only an event loop resumes/);
  });

  it('does not refine a Python suggestion that does not compile, and never runs a sample that does not compile', async () => {
    const py = 'def is_even(n: int) -> bool:\n    """\n    >>> is_even(4)\n    True\n    """\n'; // the cursor on the line below the docstring
    const compiled: string[][] = [];
    const evaluated: string[][] = [];
    const setup = (greedy: string) =>
      checker({
        selfTest: async () => ({ runtimes: { python: { language: 'python', executable: '/py', flags: [], binds: [], maxTasks: 1 } }, tools: { bwrap: '/b', prlimit: '/p', setpriv: null, supportsDisableUserns: true, seccomp: false, prlimitBinds: [] }, reasons: [], durationMs: 1 }),
        compile: async (input: CompileInput) => {
          compiled.push(input.sources);
          return input.sources.map((source) => (/try:\n$/.test(source) ? 'SyntaxError: expected an indented block' : null));
        },
        evaluate: async (input: EvaluationInput) => {
          evaluated.push(input.sources);
          return { checkIds: ['example-0'], plainIsReference: true, reference: undefined as never, results: input.sources.map((_, index) => ({ ...candidate(index, 'pass', 1e6), isGreedy: undefined })) as CandidateResult[] };
        },
      }).checker.refine({ uri: 'file:///e.py', version: 1, languageId: 'python', text: py, offset: py.length, greedy, sample: async ({ seed }) => (seed === 1 ? '    try:\n' : '    return n % 2 == 0\n') });
    assert.equal(await setup('    try:\n'), null, 'the greedy `try:` alone is nothing to refine');
    assert.equal(evaluated.length, 0);
    assert.equal(compiled.length, 1, 'checked before any sampling');
    const refinement = await setup('    return not n % 2\n');
    assert.ok(refinement);
    assert.equal(evaluated.length, 1);
    assert.equal(evaluated[0].length, 2, 'the sample that does not compile is not run');
    assert.match(refinement.ranked.find((r) => r.text === '    try:\n')?.detail ?? '', /does not compile \(SyntaxError/);
  });
});
