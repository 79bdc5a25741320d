// Efficiency checks of functions that use module-level names (constants, helpers, a compiled regex) end to end: the
// real self-test and sandbox, a scripted engine. The definitions come from the file; nothing else at module level runs.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { DEFAULT_EFFICIENCY_OPTIONS, EfficiencyChecker, type EfficiencyOptions, type EfficiencyRequest } from '../../lsp-server/efficiency/efficiencyChecker';
import { need, selfTest } from './efficiencyAvailability';
import { FakeEngine } from '../unit/fakeEngine';

interface Scenario {
  languageId: string;
  /** The file, with `<body>` where the completions go. */
  file: string;
  /** The plain suggestion first, then one sample per seed. */
  bodies: string[];
  options?: Partial<EfficiencyOptions>;
}

async function refine(scenario: Scenario) {
  const engine = new FakeEngine((request) => scenario.bodies[request.sampling.seed] ?? '');
  const checker = new EfficiencyChecker({
    options: () => ({ ...DEFAULT_EFFICIENCY_OPTIONS, enabled: true, samples: scenario.bodies.length - 1, ...scenario.options }),
    isTrusted: () => true,
    selfTest: () => selfTest,
    logger: { info: () => undefined, warn: () => undefined },
    clock: () => performance.now(),
  });
  const offset = scenario.file.indexOf('<body>');
  const request: EfficiencyRequest = {
    uri: 'file:///w/module',
    version: 1,
    languageId: scenario.languageId,
    text: scenario.file.replace('<body>', ''),
    offset,
    greedy: scenario.bodies[0],
    sample: async (sampling, signal) => (await engine.generate({ promptIds: [1], maxNewTokens: 400, sampling, stopStrings: [] }, { signal })).text,
  };
  const refinement = await checker.refine(request);
  assert.ok(refinement, 'the function was checked');
  return refinement;
}

async function needPython(t: TestContext): Promise<boolean> {
  if (!(await need(t))) return false;
  if ((await selfTest).runtimes.python) return true;
  t.skip('the sandbox does not run Python here');
  return false;
}

const TOP_WORDS = `from __future__ import annotations
import re

WORD = re.compile(r"[A-Za-z]+")
LIMIT = 3

def normalize(word):
    return word.lower()

def top_words(text):
    """
    >>> top_words("b a B c a b d")
    ['b', 'a', 'c']
    """
<body>

if __name__ == '__main__':
    print(top_words(open('input.txt').read()))
`;
const COUNTING = '    words = [normalize(w) for w in WORD.findall(text)]\n    return sorted(set(words), key=lambda w: (-words.count(w), words.index(w)))[:LIMIT]';
const ONE_PASS = '    counts = {}\n    for w in WORD.findall(text):\n        w = normalize(w)\n        counts[w] = counts.get(w, 0) + 1\n    return sorted(counts, key=lambda w: -counts[w])[:LIMIT]';
const UNSORTED = '    return [normalize(w) for w in WORD.findall(text)][:LIMIT]';

describe('efficiency checks of functions that use module-level names', () => {
  it('passes a Python doctest with a module-level regex, constant and helper, and ranks the candidates', async (t) => {
    if (!(await needPython(t))) return;
    const refinement = await refine({ languageId: 'python', file: TOP_WORDS, bodies: [COUNTING, ONE_PASS, UNSORTED] });
    const outcome = (body: string) => refinement.ranked.find((candidate) => candidate.text === body)?.outcome;
    assert.deepEqual([outcome(COUNTING), outcome(ONE_PASS), outcome(UNSORTED)], ['pass', 'pass', 'fail'], refinement.summary);
    assert.equal(refinement.ranked[0].outcome, 'pass');
    assert.match(refinement.summary, /checks passed; .*\(2\/3 candidates correct\)$/);
  });

  it('passes a Python doctest with names bound in `try` statements at module level, its `TYPE_CHECKING` imports left out', async (t) => {
    if (!(await needPython(t))) return;
    const file = [
      'from __future__ import annotations',
      'from functools import lru_cache',
      'from typing import TYPE_CHECKING',
      '',
      'try:',
      '    import ujson as json',
      'except ImportError:',
      '    import json',
      '',
      'try:',
      '    from functools import cache',
      'except ImportError:',
      '    cache = lru_cache(None)',
      '',
      'if TYPE_CHECKING:',
      '    from collections.abc import Iterable',
      '',
      '@cache',
      'def parse(line):',
      '    return json.loads(line)',
      '',
      'def keys(lines: Iterable[str]) -> list:',
      '    """',
      '    >>> keys([\'{"b": 1, "a": 2}\', \'{"c": 3}\'])',
      "    ['a', 'b', 'c']",
      '    """',
      '<body>',
    ].join('\n');
    const sortedKeys = '    return sorted(k for line in lines for k in parse(line))';
    const looped = '    found = set()\n    for line in lines:\n        found.update(parse(line))\n    return sorted(found)';
    const unsorted = '    return [k for line in lines for k in parse(line)]';
    const refinement = await refine({ languageId: 'python', file, bodies: [sortedKeys, looped, unsorted] });
    const outcome = (body: string) => refinement.ranked.find((candidate) => candidate.text === body)?.outcome;
    assert.deepEqual([outcome(sortedKeys), outcome(looped), outcome(unsorted)], ['pass', 'pass', 'fail'], refinement.summary);
  });

  it("runs the function with its decorators, whose names the module provides: a cache's state is the examples' to read", async (t) => {
    if (!(await needPython(t))) return;
    const file = [
      'import functools',
      '',
      '@functools.cache',
      'def squares(n: int) -> list[int]:',
      '    """',
      '    >>> squares(3)',
      '    [0, 1, 4]',
      '    >>> squares.cache_info().misses',
      '    1',
      '    """',
      '<body>',
    ].join('\n');
    const refinement = await refine({ languageId: 'python', file, bodies: ['    return [i * i for i in range(n)]', '    return [i ** 2 for i in range(n)]'] });
    assert.deepEqual(refinement.ranked.map((candidate) => candidate.outcome), ['pass', 'pass'], refinement.summary);
  });

  it("runs a JavaScript @example's calls in order before timing any: a counter's examples see only each other", async (t) => {
    if (!(await need(t))) return;
    const file = [
      'let last = 0;',
      '/**',
      ' * @example',
      ' * nextId() // => 1',
      ' * nextId() // => 2',
      ' */',
      'function nextId() {<body>',
      '}',
    ].join('\n');
    const refinement = await refine({ languageId: 'javascript', file, bodies: ['\n  last += 1;\n  return last;', '\n  return ++last;'] });
    assert.deepEqual(refinement.ranked.map((candidate) => candidate.outcome), ['pass', 'pass'], refinement.summary);
  });

  it('provides the module-level names the examples use, though the body never reads them', async (t) => {
    if (!(await needPython(t))) return;
    const file = [
      'from dataclasses import dataclass',
      '',
      '@dataclass',
      'class Rect:',
      '    w: int',
      '    h: int',
      '',
      'def area(r) -> int:',
      '    """',
      '    >>> area(Rect(2, 3))',
      '    6',
      '    """',
      '<body>',
    ].join('\n');
    const refinement = await refine({ languageId: 'python', file, bodies: ['    return r.w * r.h', '    return r.h * r.w', '    return r.w + r.h'] });
    assert.deepEqual(refinement.ranked.map((candidate) => candidate.outcome), ['pass', 'pass', 'fail'], refinement.summary);
  });

  it('passes a TypeScript @example with a module-level constant and helpers, never running the top-level call', async (t) => {
    if (!(await need(t))) return;
    const file = [
      "import { strict as assert } from 'node:assert';",
      'const WEIGHT = 2;',
      'function square(n: number): number { return n * n; }',
      'const weighted = (n: number): number => square(n) * WEIGHT;',
      '/**',
      ' * @example',
      ' * score([1, 2]) // => 10',
      ' */',
      'export function score(xs: number[]): number {<body>',
      '}',
      'main(); // not defined: running it would fail every candidate',
      '',
    ].join('\n');
    const mapped = '\n  assert.ok(Array.isArray(xs));\n  return xs.map(weighted).reduce((a, b) => a + b, 0);';
    const looped = '\n  let total = 0;\n  for (const x of xs) total += weighted(x);\n  return total;';
    const refinement = await refine({ languageId: 'typescript', file, bodies: [mapped, looped, '\n  return xs.length * WEIGHT;'] });
    assert.deepEqual(refinement.ranked.map((candidate) => candidate.outcome).sort(), ['fail', 'pass', 'pass'], refinement.summary);
    assert.match(refinement.summary, /\(2\/3 candidates correct\)$/);
  });

  it('keeps the module-level set-up out of the measured time', async (t) => {
    if (!(await needPython(t))) return;
    const file = [
      'def _build():',
      '    total = 0',
      '    for i in range(3000000):',
      '        total += i',
      '    return [total]',
      '',
      'TABLE = _build()',
      '',
      'def first(n):',
      '    """',
      '    >>> first(0)',
      '    4499998500000',
      '    """',
      '<body>',
    ].join('\n');
    const refinement = await refine({ languageId: 'python', file, bodies: ['    return TABLE[n]'] });
    assert.equal(refinement.ranked[0].outcome, 'pass', refinement.summary);
    // The set-up takes ~100 ms of CPU; one call of the function a microsecond or so.
    assert.ok(refinement.ranked[0].timeNs < 5e6, `${refinement.ranked[0].timeNs} ns measured`);
  });

  it('says in the summary when the module-level definitions fail in the sandbox', async (t) => {
    if (!(await needPython(t))) return;
    const file = 'DATA = open("words.txt").read().split()\n\ndef known(word):\n    """\n    >>> known("a")\n    True\n    """\n<body>';
    const refinement = await refine({ languageId: 'python', file, bodies: ['    return word in DATA', '    return word in set(DATA)'] });
    assert.equal(refinement.ranked[0].outcome, 'runtime-error');
    assert.match(refinement.summary, /^no candidate passed every check \(best: 0\/1\): its module-level definitions \(DATA\) failed: \w+Error/);
  });

  it('says in the summary when the module-level definitions run past the time limit', async (t) => {
    if (!(await needPython(t))) return;
    const file = 'def _spin():\n    while True:\n        pass\n\nTABLE = _spin()\n\ndef known(word):\n    """\n    >>> known("a")\n    True\n    """\n<body>';
    const options = { limits: { ...DEFAULT_EFFICIENCY_OPTIONS.limits, wallMs: 1200, cpuSeconds: 1 } };
    const refinement = await refine({ languageId: 'python', file, bodies: ['    return word in TABLE'], options });
    assert.match(refinement.summary, /: its module-level definitions \(_spin, TABLE\) ran past the (time|CPU) limit$/);
  });

  it('blames the function, not the definitions, when it runs past the limit after loading', async (t) => {
    if (!(await needPython(t))) return;
    const file = 'LIMIT = 3\n\ndef known(word):\n    """\n    >>> known("a")\n    True\n    """\n<body>';
    const options = { limits: { ...DEFAULT_EFFICIENCY_OPTIONS.limits, wallMs: 1200, cpuSeconds: 1 } };
    const refinement = await refine({ languageId: 'python', file, bodies: ['    while LIMIT:\n        pass\n    return True'], options });
    assert.match(refinement.summary, /\(best: 0\/1\): ran past the (time|CPU) limit$/);
  });
});

describe('efficiency checks of functions whose imports the sandbox lacks', () => {
  const MEAN = 'def mean(xs):\n    """\n    >>> mean([1.0, 2.0, 3.0])\n    2.0\n    """\n<body>';

  it('does not count a Python package the sandbox lacks as a failure, nor offer a sample that avoids it as a fix', async (t) => {
    if (!(await needPython(t))) return;
    const file = `import locus_absent_package as np\n\n${MEAN}`;
    const refinement = await refine({ languageId: 'python', file, bodies: ['    return float(np.mean(xs))', '    return sum(xs) / len(xs)'] });
    assert.equal(refinement.ranked[0].outcome, 'unavailable', refinement.summary);
    assert.equal(refinement.improved, false);
    assert.equal(refinement.summary, 'the plain suggestion was not checked: locus_absent_package is not available in the sandbox; it stays first (1/2 candidates correct)');
  });

  it('still fails a name no import binds (a typo the model made)', async (t) => {
    if (!(await needPython(t))) return;
    const file = `import locus_absent_package as np\n\n${MEAN}`;
    const refinement = await refine({ languageId: 'python', file, bodies: ['    return float(nmupy.mean(xs))', '    return sum(xs) / len(xs)'] });
    assert.equal(refinement.ranked.find((candidate) => candidate.isGreedy)?.outcome, 'fail');
    assert.equal(refinement.improved, true, refinement.summary);
  });

  it('says so of a module-level definition that needs the missing import, and fails a candidate that is also wrong elsewhere', async (t) => {
    if (!(await needPython(t))) return;
    const uses = `import locus_absent_package as np\n\nZERO = np.float64(0)\n\n${MEAN}`;
    const loaded = await refine({ languageId: 'python', file: uses, bodies: ['    return ZERO + sum(xs) / len(xs)', '    return sum(xs) / len(xs)'] });
    assert.equal(loaded.ranked[0].outcome, 'unavailable', loaded.summary);
    const twoExamples = 'import locus_absent_package as np\n\ndef mean(xs):\n    """\n    >>> mean([])\n    0.0\n    >>> mean([1.0, 2.0, 3.0])\n    2.0\n    """\n<body>';
    const wrong = await refine({ languageId: 'python', file: twoExamples, bodies: ['    return float(np.mean(xs)) if xs else 1.0', '    return sum(xs) / len(xs) if xs else 0.0'] });
    assert.equal(wrong.ranked.find((candidate) => candidate.isGreedy)?.outcome, 'fail', 'it returned a wrong value where it needed no import');
  });

  it('runs a function in a file that imports asyncio (whose import the sandbox refuses): only its names are missing', async (t) => {
    if (!(await needPython(t))) return;
    const file = 'import asyncio\n\nLIMIT = 2\n\ndef double(n):\n    """\n    >>> double(2)\n    4\n    """\n<body>';
    const onBranch = '    if n < 0:\n        return asyncio.run(asyncio.sleep(0))\n    return n * LIMIT';
    const always = '    asyncio.get_event_loop_policy()\n    return n * LIMIT';
    const refinement = await refine({ languageId: 'python', file, bodies: [onBranch, always] });
    const outcome = (body: string) => refinement.ranked.find((candidate) => candidate.text === body);
    assert.equal(outcome(onBranch)?.outcome, 'pass', refinement.summary);
    // Where asyncio loads in the sandbox, both pass; where it is refused (PermissionError), the other was not checked.
    assert.match(`${outcome(always)?.outcome}: ${outcome(always)?.detail}`, /^(pass: undefined|unavailable: asyncio is not available in the sandbox)$/);
  });

  it("runs a try statement's fallback where the sandbox refuses the import, as where the module is not installed", async (t) => {
    if (!(await needPython(t))) return;
    const double = 'def double(n):\n    """\n    >>> double(2)\n    4\n    """\n<body>';
    const fallback = '    return n * 2 if asyncio is None else n + n';
    const onLoop = '    return asyncio.run(asyncio.sleep(0, n * 2))';
    for (const handler of ['ImportError', '(ImportError, ModuleNotFoundError)', 'ModuleNotFoundError']) {
      const file = `try:\n    import asyncio\nexcept ${handler}:\n    asyncio = None\n\n${double}`;
      const refinement = await refine({ languageId: 'python', file, bodies: [fallback, onLoop] });
      const outcome = (body: string) => refinement.ranked.find((candidate) => candidate.text === body);
      assert.equal(outcome(fallback)?.outcome, 'pass', `${handler}: ${refinement.summary}`);
      // Where asyncio loads in the sandbox, the event loop runs; where it is refused, its None is not the code's fault.
      assert.match(`${outcome(onLoop)?.outcome}: ${outcome(onLoop)?.detail}`, /^(pass: undefined|unavailable: asyncio is not available in the sandbox)$/, handler);
    }
  });

  it("does not fail a function on the None an optional import's fallback bound, nor offer a sample that avoids it as a fix", async (t) => {
    if (!(await needPython(t))) return;
    const optional = 'try:\n    import numpy as np\n    HAS_NUMPY = True\nexcept ImportError:\n    np = None\n    HAS_NUMPY = False\n\n';
    const file = `${optional}def total(xs):\n    """\n    >>> total([])\n    0\n    >>> total([1, 2, 3])\n    6\n    """\n<body>`;
    const plain = '    return int(np.sum(xs))';
    const guarded = '    if not HAS_NUMPY:\n        raise ImportError("numpy is required")\n    return int(np.sum(xs))';
    const builtin = '    return sum(xs)';
    for (const body of [plain, guarded]) {
      const refinement = await refine({ languageId: 'python', file, bodies: [body, builtin] });
      assert.equal(refinement.ranked[0].outcome, 'unavailable', refinement.summary);
      assert.equal(refinement.improved, false);
      assert.match(refinement.summary, /^the plain suggestion was not checked: numpy is not available in the sandbox; it stays first/);
    }
    const typo = await refine({ languageId: 'python', file, bodies: ['    return int(nq.sum(xs))', builtin] });
    assert.equal(typo.ranked.find((candidate) => candidate.isGreedy)?.outcome, 'fail', 'a name no import binds');
    const wrong = await refine({ languageId: 'python', file, bodies: ['    return int(np.sum(xs)) if xs else 1', builtin] });
    assert.equal(wrong.ranked.find((candidate) => candidate.isGreedy)?.outcome, 'fail', 'it returned a wrong value where it needed no numpy');
    assert.equal(wrong.improved, true, wrong.summary);
  });

  it("wraps the imports of a module-level `if` statement: a missing one leaves its name unbound, and is named", async (t) => {
    if (!(await needPython(t))) return;
    const file = `import sys\n\nif sys.version_info >= (3, 99):\n    import locus_absent_future as np\nelse:\n    import locus_absent_package as np\n\n${MEAN}`;
    const onBranch = '    if not xs:\n        return np.nan\n    return sum(xs) / len(xs)';
    const always = '    return float(np.mean(xs))';
    const refinement = await refine({ languageId: 'python', file, bodies: [always, onBranch] });
    const outcome = (body: string) => refinement.ranked.find((candidate) => candidate.text === body);
    assert.equal(outcome(onBranch)?.outcome, 'pass', refinement.summary);
    assert.equal(`${outcome(always)?.outcome}: ${outcome(always)?.detail}`, 'unavailable: locus_absent_package is not available in the sandbox');
    assert.equal(refinement.improved, false);
  });

  it("does not fail a function on its own import of a module the sandbox lacks, nor offer a sample that avoids it as a fix", async (t) => {
    if (!(await needPython(t))) return;
    const refinement = await refine({ languageId: 'python', file: MEAN, bodies: ['    import locus_absent_package as np\n    return float(np.mean(xs))', '    return sum(xs) / len(xs)'] });
    assert.equal(refinement.ranked[0].outcome, 'unavailable', refinement.summary);
    assert.equal(refinement.improved, false);
    assert.match(refinement.summary, /^the plain suggestion was not checked: locus_absent_package is not available in the sandbox; it stays first/);
  });

  it("does not judge a function by a name its file's import finds missing in the sandbox's Python (`from json import lods`)", async (t) => {
    if (!(await needPython(t))) return;
    // The user's own import: a name of a newer Python (itertools.batched) looks the same as a typo here.
    const file = 'import json\nfrom json import lods\n\ndef parse(s):\n    """\n    >>> parse("[1]")\n    [1]\n    """\n<body>';
    const refinement = await refine({ languageId: 'python', file, bodies: ['    return lods(s)', '    return json.loads(s)'] });
    const plain = refinement.ranked.find((candidate) => candidate.isGreedy);
    assert.equal(`${plain?.outcome}: ${plain?.detail}`, 'unavailable: json.lods is not available in the sandbox', refinement.summary);
    assert.equal(refinement.improved, false);
  });

  it('names the submodule a from-import lacked (unittest.mock), not its package', async (t) => {
    if (!(await needPython(t))) return;
    const file = 'from unittest import mock\n\ndef calls(n):\n    """\n    >>> calls(2)\n    2\n    """\n<body>';
    const refinement = await refine({ languageId: 'python', file, bodies: ['    m = mock.Mock()\n    for _ in range(n):\n        m()\n    return m.call_count'] });
    const [only] = refinement.ranked;
    // unittest.mock imports asyncio, which the sandbox refuses where asyncio sets a function's __code__.
    assert.match(`${only.outcome}: ${only.detail}`, /^(pass: undefined|unavailable: unittest\.mock is not available in the sandbox)$/, refinement.summary);
  });

  it("does not fail a script function on the null a `try` statement's catch bound for a package the sandbox lacks, nor offer a sample that avoids it as a fix", async (t) => {
    if (!(await need(t))) return;
    const doc = '/**\n * @example\n * total([]) // => 0\n * @example\n * total([1, 2, 3]) // => 6\n */\n';
    const files = [
      { languageId: 'javascript', file: `let fast;\ntry { fast = require('locus-absent-fast'); } catch (e) { fast = null; }\n\n${doc}function total(xs) {<body>\n}\n` },
      { languageId: 'typescript', file: `let fast: any;\ntry {\n  fast = (await import('locus-absent-fast')).default;\n} catch {}\n\n${doc}export function total(xs: number[]): number {<body>\n}\n` },
    ];
    const builtin = '\n  return xs.reduce((a, b) => a + b, 0);';
    for (const { languageId, file } of files) {
      for (const body of ['\n  return fast.sum(xs);', '\n  return fast(xs);']) {
        const refinement = await refine({ languageId, file, bodies: [body, builtin] });
        assert.equal(refinement.ranked[0].outcome, 'unavailable', `${languageId}: ${refinement.summary}`);
        assert.equal(refinement.improved, false);
        assert.match(refinement.summary, /^the plain suggestion was not checked: locus-absent-fast is not available in the sandbox; it stays first/);
      }
      const typo = await refine({ languageId, file, bodies: ['\n  return fats.sum(xs);', builtin] });
      assert.equal(typo.ranked.find((candidate) => candidate.isGreedy)?.outcome, 'fail', 'a name nothing binds');
      const wrong = await refine({ languageId, file, bodies: ['\n  return xs.length ? fast.sum(xs) : 1;', builtin] });
      assert.equal(wrong.ranked.find((candidate) => candidate.isGreedy)?.outcome, 'fail', 'it returned a wrong value where it needed no package');
      assert.equal(wrong.improved, true, wrong.summary);
    }
  });

  it("does not fail a script function on an Error naming a package whose require failed, in its own catch, the module's or its guard", async (t) => {
    if (!(await need(t))) return;
    const doc = '/**\n * @example\n * total([]) // => 0\n * @example\n * total([1, 2, 3]) // => 6\n */\n';
    const builtin = '\n  return xs.reduce((a, b) => a + b, 0);';
    const required = "throw new Error('locus-absent-fast is required');";
    const cases = [
      { file: `${doc}function total(xs) {<body>\n}\n`, body: `\n  let fast;\n  try { fast = require('locus-absent-fast'); } catch (e) { ${required} }\n  return fast.sum(xs);` },
      { file: `let fast;\ntry { fast = require('locus-absent-fast'); } catch (e) { ${required} }\n\n${doc}function total(xs) {<body>\n}\n`, body: '\n  return fast.sum(xs);' },
      { file: `let fast;\ntry { fast = require('locus-absent-fast'); } catch (e) { fast = null; }\n\n${doc}function total(xs) {<body>\n}\n`, body: `\n  if (!fast) ${required}\n  return fast.sum(xs);` },
    ];
    for (const { file, body } of cases) {
      const refinement = await refine({ languageId: 'javascript', file, bodies: [body, builtin] });
      assert.equal(refinement.ranked[0].outcome, 'unavailable', `${body}: ${refinement.summary}`);
      assert.equal(refinement.improved, false);
      assert.match(refinement.summary, /^the plain suggestion was not checked: locus-absent-fast is not available in the sandbox; it stays first/);
    }
    const wrong = await refine({ languageId: 'javascript', file: cases[1].file, bodies: ['\n  return xs.length ? fast.sum(xs) : 1;', builtin] });
    assert.equal(wrong.ranked.find((candidate) => candidate.isGreedy)?.outcome, 'fail', 'it returned a wrong value where it needed no package');
    const other = await refine({ languageId: 'javascript', file: cases[0].file, bodies: ["\n  if (xs.length === 0) throw new Error('xs is required');\n  return xs.reduce((a, b) => a + b, 0);", builtin] });
    assert.equal(other.ranked.find((candidate) => candidate.isGreedy)?.outcome, 'fail', 'an Error about something else');
    // A validation Error of the code's own, where the package's fallback works: it names a binding or the package, not its absence.
    const semverDoc = "/**\n * @example\n * major('2.0.0') // => 2\n * @example\n * major('v2.0.0') // => 2\n */\n";
    const semverFile = `let semver;\ntry { semver = require('locus-absent-semver'); } catch { semver = null; }\n\n${semverDoc}function major(version) {<body>\n}\n`;
    const strict = "\n  if (semver) return semver.major(version);\n  if (!/^\\d/.test(version)) throw new Error('invalid locus-absent-semver version: ' + version);\n  return Number(version.split('.')[0]);";
    const validation = await refine({ languageId: 'javascript', file: semverFile, bodies: [strict, "\n  return Number(version.replace(/^v/, '').split('.')[0]);"] });
    assert.equal(validation.ranked.find((candidate) => candidate.isGreedy)?.outcome, 'fail', validation.summary);
  });

  it("runs a script declaration whose functions import() or require a package only when called", async (t) => {
    if (!(await need(t))) return;
    const doc = "/**\n * @example\n * parseAs('json', '{\"a\":1}') // => {a: 1}\n */\n";
    const loaders = "const loaders = {\n  json: async (text) => JSON.parse(text),\n  yaml: async (text) => (await import('locus-absent-yaml')).parse(text),\n  toml: (text) => require('locus-absent-toml').parse(text),\n};\n\n";
    const file = `${loaders}${doc}async function parseAs(kind, text) {<body>\n}\n`;
    const correct = await refine({ languageId: 'javascript', file, bodies: ['\n  return loaders[kind](text);', '\n  return JSON.parse(text);'] });
    assert.equal(correct.ranked.find((candidate) => candidate.isGreedy)?.outcome, 'pass', correct.summary);
    const wrong = await refine({ languageId: 'javascript', file, bodies: ["\n  return loaders[kind]('{}');", '\n  return loaders[kind](text);'] });
    assert.equal(wrong.ranked.find((candidate) => candidate.isGreedy)?.outcome, 'fail', wrong.summary);
  });

  it("does not fail a Python function on a module-level `except ImportError: raise SystemExit(...)`, which `except Exception` let through", async (t) => {
    if (!(await needPython(t))) return;
    const file = `try:\n    import locus_absent_package as np\nexcept ImportError:\n    raise SystemExit("locus_absent_package is required: pip install it")\n\n${MEAN}`;
    const refinement = await refine({ languageId: 'python', file, bodies: ['    return float(np.mean(xs))', '    return sum(xs) / len(xs)'] });
    assert.equal(refinement.ranked[0].outcome, 'unavailable', refinement.summary);
    assert.equal(refinement.improved, false);
  });

  it("does not fail a Python function on a module-level `except ImportError: raise ImportError(...)` for a package the sandbox lacks", async (t) => {
    if (!(await needPython(t))) return;
    const file = `try:\n    import locus_absent_package as np\nexcept ImportError as e:\n    raise ImportError("locus_absent_package is required") from e\n\n${MEAN}`;
    const refinement = await refine({ languageId: 'python', file, bodies: ['    return float(np.mean(xs))', '    return sum(xs) / len(xs)'] });
    assert.equal(refinement.ranked[0].outcome, 'unavailable', refinement.summary);
    assert.match(refinement.summary, /^the plain suggestion was not checked: locus_absent_package is not available in the sandbox; it stays first/);
    const wrong = await refine({ languageId: 'python', file, bodies: ['    return float(np.mean(xs)) if len(xs) > 5 else 0.0', '    return sum(xs) / len(xs)'] });
    assert.equal(wrong.ranked.find((candidate) => candidate.isGreedy)?.outcome, 'fail', 'it returned a wrong value where it needed no package');
  });

  it('names the import of a name bound in two branches that the run failed to load, or both where both failed', async (t) => {
    if (!(await needPython(t))) return;
    const branches = `import sys\n\nif sys.version_info >= (3, 0):\n    import locus_absent_tomllib as toml\nelse:\n    import locus_absent_tomli as toml\n\n${MEAN}`;
    const tried = `try:\n    import locus_absent_simplejson as json\nexcept ImportError:\n    import locus_absent_json as json\n\n${MEAN}`;
    const bodies = (name: string) => [`    return float(${name}.mean(xs))`, '    return sum(xs) / len(xs)'];
    const ran = await refine({ languageId: 'python', file: branches, bodies: bodies('toml') });
    assert.equal(`${ran.ranked[0].outcome}: ${ran.ranked[0].detail}`, 'unavailable: locus_absent_tomllib is not available in the sandbox', 'the branch that ran, not the last import');
    const both = await refine({ languageId: 'python', file: tried, bodies: bodies('json') });
    assert.equal(`${both.ranked[0].outcome}: ${both.ranked[0].detail}`, 'unavailable: locus_absent_simplejson and locus_absent_json are not available in the sandbox');
  });

  it("never runs a script's top-level import() of a package the sandbox lacks (its rejection went unhandled): a function using it is not checked", async (t) => {
    if (!(await need(t))) return;
    const doc = '/**\n * @example\n * total([1, 2, 3]) // => 6\n */\n';
    const file = `const fastP = import('locus-absent-fast');\n\n${doc}async function total(xs) {<body>\n}\n`;
    // A turn of the event loop, where the import's rejection went unhandled and ended the run.
    const plain = '\n  await new Promise((resolve) => setTimeout(resolve, 1));\n  return fastP ? xs.reduce((a, b) => a + b, 0) : 0;';
    const refinement = await refine({ languageId: 'javascript', file, bodies: [plain, '\n  return xs.reduce((a, b) => a + b, 0);'] });
    assert.equal(`${refinement.ranked[0].outcome}: ${refinement.ranked[0].detail}`, 'unavailable: locus-absent-fast is not available in the sandbox', refinement.summary);
    assert.equal(refinement.improved, false);
  });

  it("does not fail a Python function on its own import of a standard-library module newer than the sandbox's Python, and says so", async (t) => {
    if (!(await needPython(t))) return;
    const uses = '    from string import templatelib\n    return sum(xs) / len(xs)';
    const refinement = await refine({ languageId: 'python', file: MEAN, bodies: [uses, '    return sum(xs) / len(xs)'] });
    const plain = refinement.ranked.find((candidate) => candidate.isGreedy);
    // Python 3.14 has it: the function passes there.
    assert.match(`${plain?.outcome}: ${plain?.detail}`, /^(pass: undefined|unavailable: the sandbox's Python lacks string\.templatelib \(new in Python 3\.14\))$/, refinement.summary);
    assert.equal(refinement.improved, false);
  });

  it('does not count a workspace module a TypeScript function imports as a failure', async (t) => {
    if (!(await need(t))) return;
    const file = "import { clamp } from './mathUtil';\n\n/**\n * @example\n * clampAll([5, -1], 0, 3) // => [3, 0]\n */\nexport function clampAll(xs: number[], lo: number, hi: number): number[] {<body>\n}\n";
    const refinement = await refine({ languageId: 'typescript', file, bodies: ['\n  return xs.map((x) => clamp(x, lo, hi));', '\n  return xs.map((x) => Math.min(hi, Math.max(lo, x)));'] });
    assert.equal(refinement.ranked[0].outcome, 'unavailable', refinement.summary);
    assert.equal(refinement.improved, false);
    assert.match(refinement.summary, /^the plain suggestion was not checked: \.\/mathUtil is not available in the sandbox; it stays first/);
  });
});

describe('efficiency checks that nothing passed say why', () => {
  it('names the error and the example when every candidate raises it', async (t) => {
    if (!(await needPython(t))) return;
    const file = 'def count_lines(path):\n    """\n    >>> count_lines("locus-absent.txt")\n    1\n    """\n<body>';
    const refinement = await refine({ languageId: 'python', file, bodies: ['    with open(path) as f:\n        return sum(1 for _ in f)', '    return len(open(path).read().splitlines())'] });
    assert.equal(refinement.summary, "no candidate passed every check (best: 0/1): FileNotFoundError: [Errno 2] No such file or directory: 'locus-absent.txt' in example 1");
  });

  it('says the sandbox refused what the function does, and offers nothing in its place', async (t) => {
    if (!(await need(t))) return;
    const file = "const fs = require('fs');\n\n/**\n * @example\n * lineCount('/etc/hostname') // => 1\n */\nfunction lineCount(file) {<body>\n}\n";
    const refinement = await refine({ languageId: 'javascript', file, bodies: ["\n  return fs.readFileSync(file, 'utf8').trim().split('\\n').length;", '\n  return 1;'] });
    assert.equal(refinement.ranked[0].outcome, 'sandbox-denied', refinement.summary);
    assert.equal(refinement.improved, false, 'a candidate that reads no file is no fix for one the sandbox could not check');
    assert.match(refinement.summary, /^the plain suggestion was not checked: the function uses files, which the sandbox does not allow \(.*ERR_ACCESS_DENIED.*\(FileSystemRead: \/etc\/hostname\) in example 1\); it stays first/);
  });

  it('says the function runs programs where it does', async (t) => {
    if (!(await needPython(t))) return;
    const file = 'import subprocess\n\ndef kernel():\n    """\n    >>> kernel()\n    \'Linux\'\n    """\n<body>';
    const refinement = await refine({ languageId: 'python', file, bodies: ["    return subprocess.run(['uname'], capture_output=True, text=True).stdout.strip()", "    return 'Linux'"] });
    assert.equal(refinement.ranked[0].outcome, 'sandbox-denied', refinement.summary);
    assert.match(refinement.summary, /^the plain suggestion was not checked: the function runs programs, which the sandbox does not allow \(PermissionError: the sandbox does not run other programs/);
  });
});
