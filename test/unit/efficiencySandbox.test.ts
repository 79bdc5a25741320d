// The harnesses and the result channel against the real sandbox: forged passes must not count, timings are
// taken where the candidate cannot reach (or are caught by the OS cross-check), and the ranking orders
// complexities correctly.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Check } from '../../lsp-server/efficiency/checkBuilder';
import { compileErrors, evaluateCandidates, type Evaluation } from '../../lsp-server/efficiency/candidateEvaluator';
import { rankCandidates, summarize } from '../../lsp-server/efficiency/candidateRanker';
import type { FunctionTarget } from '../../lsp-server/efficiency/functionTarget';
import { sandboxKit, syscallProbeElf, TEST_LIMITS, type SandboxKit } from './sandboxFixtures';

const kitReady = sandboxKit();

async function need(t: TestContext, python = false): Promise<SandboxKit | null> {
  const kit = await kitReady;
  if (kit === null) t.skip('bubblewrap unavailable (the fail-closed path is tested in sandboxEscapes.test.ts)');
  else if (python && kit.python === null) t.skip('no python3 in the system folders');
  else return kit;
  return null;
}

const jsTarget = (name: string): FunctionTarget => ({ language: 'javascript', name, params: [{ name: 'n' }], isAsync: false, source: '', wholeBody: true, examples: [] });
const pyTarget = (name: string): FunctionTarget => ({ ...jsTarget(name), language: 'python' });

const sumChecks: Check[] = [
  { id: 'example-0', kind: 'example', callSource: 'total(3)', argsSource: '3', expectedSource: '6' },
  { id: 'example-1', kind: 'example', callSource: 'total(10)', argsSource: '10', expectedSource: '55' },
];

async function evaluate(kit: SandboxKit, target: FunctionTarget, sources: string[], checks: Check[] = sumChecks): Promise<Evaluation> {
  const runtime = target.language === 'python' ? kit.python! : kit.node;
  return evaluateCandidates({ target, sources, checks, typescript: false, runtime, runner: kit.runner, limits: { ...TEST_LIMITS, wallMs: 4000 } });
}

describe('result channel against forged passes', () => {
  it('passes a correct JavaScript candidate and fails a wrong one', async (t) => {
    const kit = await need(t);
    if (!kit) return;
    const { results } = await evaluate(kit, jsTarget('total'), [
      'function total(n) { let s = 0; for (let i = 1; i <= n; i++) s += i; return s; }',
      'function total(n) { return n * n; }',
    ]);
    assert.deepEqual(results.map((r) => r.outcome), ['pass', 'fail']);
  });

  it('does not count an early process.exit(0), a printed "pass", or a frame forged on fd 3', async (t) => {
    const kit = await need(t);
    if (!kit) return;
    const forgedFrame = `'${'0'.repeat(64)} 0 load {"ok":true,"loadNs":1}\\n${'0'.repeat(64)} 1 done {"frames":1}\\n'`;
    const { results } = await evaluate(kit, jsTarget('total'), [
      'process.exit(0); function total(n) { return n * (n + 1) / 2; }',
      'console.log("pass"); console.log("ok 1 - all checks passed"); function total(n) { return 0; }',
      `require('fs').writeSync(3, ${forgedFrame}); function total(n) { return 0; }`,
      `for (let fd = 3; fd < 64; fd++) { try { require('fs').writeSync(fd, ${forgedFrame}); } catch {} } function total(n) { return n * (n + 1) / 2; }`,
    ]);
    assert.equal(results[0].outcome, 'fail', 'exit(0) before the checks is a failure');
    assert.equal(results[1].outcome, 'fail', 'stdout is never read as a result');
    assert.equal(results[2].outcome, 'invalid-output', 'an unsigned frame invalidates the run');
    // Forged bytes in every descriptor reach Node's own (libuv's internal pipes), which can crash the process before
    // the harness reports (a plain node process doing this segfaults): either way the run is not a pass.
    assert.ok(['invalid-output', 'runtime-error'].includes(results[3].outcome), results[3].outcome);
  });

  it("keeps measuring with the harness's own clock when the candidate patches the JavaScript clocks", async (t) => {
    const kit = await need(t);
    if (!kit) return;
    const slow = 'function total(n) { const end = Date.now() + 3; while (Date.now() < end) {} return n * (n + 1) / 2; }';
    const patch = 'process.hrtime.bigint = () => 0n; process.hrtime = () => [0, 0]; performance.now = () => 0;';
    const { results } = await evaluate(kit, jsTarget('total'), [`${patch}\n${slow}`]);
    assert.equal(results[0].outcome, 'pass');
    // Date.now() ticks in whole milliseconds, so a '3 ms' busy loop lasts between 2 and 3 ms.
    assert.ok(results[0].timeNs > 2 * 2e6, `measured ${results[0].timeNs} ns for two calls of 2 to 3 ms`);
  });

  it('keeps its timings when the candidate replaces Object.assign, the Array methods, a prototype setter or getter, or the signing', async (t) => {
    const kit = await need(t);
    if (!kit) return;
    const slow = 'function total(n) { const end = Date.now() + 3; while (Date.now() < end) {} return n * (n + 1) / 2; }';
    const patches = [
      'const assign = Object.assign; Object.assign = (t, s) => assign(t, s, { medianNs: 1 });',
      'Array.prototype.sort = function () { this.fill(1n); return this; }; Array.prototype.push = function () { return 0; };',
      "Object.defineProperty(Object.prototype, 'medianNs', { set() {}, get() { return 1; }, configurable: true });",
      // A `then` getter catches what an async function returns; wrapped Hmac and Buffer.from signed a forged frame.
      "Object.defineProperty(Object.prototype, 'then', { configurable: true, get() { if (this && 'reps' in this && 'medianNs' in this) { const real = this; return (resolve) => resolve({ __proto__: null, reps: real.reps, medianNs: 1, totalNs: real.totalNs }); } return undefined; } });",
      "{ const P = Object.getPrototypeOf(require('crypto').createHmac('sha256', 'x')); const up = P.update; const fix = (s) => (typeof s === 'string' ? s.replace(/\"medianNs\":\\d+/, '\"medianNs\":1') : s); P.update = function (d, e) { return up.call(this, fix(d), e); }; const from = Buffer.from; Buffer.from = function (v, ...r) { return from.call(this, fix(v), ...r); }; }",
    ];
    for (const patch of patches) {
      const { results } = await evaluate(kit, jsTarget('total'), [`${patch}\n${slow}`]);
      assert.equal(results[0].outcome, 'pass', patch);
      assert.ok(results[0].timeNs > 2 * 2e6, `measured ${results[0].timeNs} ns for two calls of 2 to 3 ms, with ${patch}`);
    }
  });

  it('catches a Python candidate that replaces the harness clock, through the OS CPU accounting', async (t) => {
    const kit = await need(t, true);
    if (!kit) return;
    // Python hides nothing: the candidate can reach the harness's globals. It fakes a zero-cost clock and then
    // burns CPU in every call; the kernel's CPU time for the process contradicts the reported timings.
    const forger = [
      'import sys',
      "sys.modules['__main__']._perf = lambda: 0",
      'def total(n):',
      '    x = 0',
      '    for i in range(300000):',
      '        x += i',
      '    return n * (n + 1) // 2',
    ].join('\n');
    const { results } = await evaluate(kit, pyTarget('total'), [forger]);
    assert.equal(results[0].outcome, 'invalid-output');
    assert.match(results[0].detail ?? '', /CPU time/);
  });

  it('does not count sys.exit(0), os._exit(0) or a printed pass in Python', async (t) => {
    const kit = await need(t, true);
    if (!kit) return;
    const { results } = await evaluate(kit, pyTarget('total'), [
      'def total(n):\n    return n * (n + 1) // 2\n',
      'import sys\nsys.exit(0)\ndef total(n):\n    return 0\n',
      'import os\nos._exit(0)\n',
      "print('pass')\ndef total(n):\n    return 1\n",
    ]);
    assert.deepEqual(results.map((r) => r.outcome), ['pass', 'runtime-error', 'fail', 'fail']);
  });
});

describe('measurement', () => {
  const dedupe = (name: string): FunctionTarget => ({ ...jsTarget(name), params: [{ name: 'xs', type: 'number[]' }] });
  const xs = Array.from({ length: 3000 }, (_, i) => (i * 7919) % 1009);
  const checks: Check[] = [{ id: 'differential-0', kind: 'differential', args: [xs] }, { id: 'differential-1', kind: 'differential', args: [xs.slice(0, 1000)] }];
  const quadratic = 'function uniq(xs) { const out = []; for (const x of xs) if (!out.includes(x)) out.push(x); return out.length; }';
  const linear = 'function uniq(xs) { return new Set(xs).size; }';

  it('ranks an O(n) candidate above an O(n^2) one, run after run', async (t) => {
    const kit = await need(t);
    if (!kit) return;
    for (let run = 0; run < 3; run++) {
      const { results } = await evaluate(kit, dedupe('uniq'), [quadratic, linear, linear.replace('size', 'size + 0')], checks);
      assert.deepEqual(results.map((r) => r.outcome), ['pass', 'pass', 'pass']);
      const ranked = rankCandidates(results, 0);
      assert.notEqual(ranked[0].index, 0, 'the quadratic greedy candidate is not chosen');
      assert.equal(ranked[2].index, 0, 'the quadratic candidate ranks last');
      assert.match(summarize(ranked), /^2\/2 checks passed; \d+(\.\d)?x faster/);
    }
  });

  it('measures peak memory from the operating system, above an empty baseline', async (t) => {
    const kit = await need(t);
    if (!kit) return;
    const heavy = 'function uniq(xs) { const big = new Float64Array(8 * 1024 * 1024).fill(1); return new Set(xs).size + big[0] - 1; }';
    const { results } = await evaluate(kit, dedupe('uniq'), [linear, heavy, linear], checks);
    const mib = (bytes: number) => bytes / 2 ** 20;
    assert.ok(mib(results[1].memoryBytes) >= 60, `64 MiB array seen as ${mib(results[1].memoryBytes).toFixed(1)} MiB`);
    assert.ok(mib(results[1].memoryBytes) - mib(results[0].memoryBytes) >= 55);
  });

  it('expects the plain suggestion\'s values on generated inputs and fails candidates that differ', async (t) => {
    const kit = await need(t);
    if (!kit) return;
    const { results, checkIds } = await evaluate(kit, dedupe('uniq'), [linear, quadratic, 'function uniq(xs) { return xs.length; }'], checks);
    assert.deepEqual(checkIds, ['differential-0', 'differential-1']);
    assert.deepEqual(results.map((r) => r.outcome), ['pass', 'pass', 'fail']);
  });

  it('does not let two samples with the same bug outvote a correct plain suggestion', async (t) => {
    const kit = await need(t, true);
    if (!kit) return;
    // The probe's case: the example does not catch zero and negatives, the generated inputs do.
    const target: FunctionTarget = { ...pyTarget('count_even'), params: [{ name: 'xs', type: 'list[int]' }] };
    const example: Check = { id: 'example-0', kind: 'example', callSource: 'count_even([1, 2, 4])', argsSource: '[1, 2, 4]', expectedSource: '2' };
    const generated: Check[] = [{ id: 'differential-0', kind: 'differential', args: [[0, -2, 3]] }, { id: 'differential-1', kind: 'differential', args: [[5, 6]] }];
    const correct = 'def count_even(xs):\n    return sum(1 for x in xs if x % 2 == 0)\n';
    const positive = 'def count_even(xs):\n    return sum(1 for x in xs if x % 2 == 0 and x > 0)\n';
    const positive2 = 'def count_even(xs):\n    return len([x for x in xs if x > 0 and x % 2 == 0])\n';
    const agreed = await evaluate(kit, target, [correct, positive, positive2], [example, ...generated]);
    assert.equal(agreed.plainIsReference, true);
    assert.deepEqual(agreed.results.map((r) => r.outcome), ['pass', 'fail', 'fail']);
    // A plain suggestion that fails the example is no reference: only the example counts, and a sample may fix it.
    const zero = 'def count_even(xs):\n    return 0\n';
    const fixing = await evaluate(kit, target, [zero, positive, correct], [example, ...generated]);
    assert.equal(fixing.plainIsReference, false);
    assert.deepEqual(fixing.checkIds, ['example-0']);
    assert.deepEqual(fixing.results.map((r) => r.outcome), ['fail', 'pass', 'pass']);
    // Without an example nothing can replace a failing plain suggestion: no promotion on generated inputs alone.
    const crashing = 'def count_even(xs):\n    raise ValueError(xs)\n';
    const alone = await evaluate(kit, target, [crashing, correct, correct.replace('sum(', 'sum( ')], generated);
    assert.deepEqual(alone.checkIds, []);
    assert.ok(alone.results.every((r) => r.outcome !== 'pass'));
  });

  it('copies the arguments outside the timed region', async (t) => {
    const kit = await need(t, true);
    if (!kit) return;
    const big: Check[] = [{ id: 'differential-0', kind: 'differential', args: [Array.from({ length: 20000 }, (_, i) => [i, i + 1])] }];
    const js = await evaluate(kit, dedupe('first'), ['function first(xs) { return xs[0]; }'], big);
    const py = await evaluate(kit, { ...pyTarget('first'), params: [{ name: 'xs' }] }, ['def first(xs):\n    return xs[0]\n'], big);
    for (const { results } of [js, py]) {
      assert.equal(results[0].outcome, 'pass', results[0].detail);
      // Cloning 20,000 pairs costs milliseconds (structuredClone) to tens of milliseconds (deepcopy); reading one item, nothing.
      assert.ok(results[0].timeNs < 200_000, `measured ${results[0].timeNs} ns for xs[0]`);
    }
  });

  it('compiles Python candidates without running them', async (t) => {
    const kit = await need(t, true);
    if (!kit) return;
    const errors = await compileErrors({
      target: pyTarget('is_even'),
      sources: ['def is_even(n):\n    """\n    >>> is_even(4)\n    True\n    """\n    try:\n', 'def is_even(n):\n    return n % 2 == 0\n', "import os\nos._exit(3)\ndef is_even(n):\n    return 1\n"],
      runtime: kit.python!,
      runner: kit.runner,
      limits: TEST_LIMITS,
    });
    assert.match(String(errors[0]), /^IndentationError|^SyntaxError/);
    assert.deepEqual(errors.slice(1), [null, null], 'compiled, not run: os._exit never ended the run');
  });

  it('tells Python generators apart by what they yield, and objects by their attributes, within bounds', async (t) => {
    const kit = await need(t, true);
    if (!kit) return;
    const target = { ...pyTarget('evens'), params: [{ name: 'xs', type: 'list[int]' }] };
    const generated: Check[] = [{ id: 'differential-0', kind: 'differential', args: [[0, 1, 2, -4]] }];
    const gens = await evaluate(kit, target, [
      'def evens(xs):\n    for x in xs:\n        if x % 2 == 0:\n            yield x\n',
      'def evens(xs):\n    for x in xs:\n        if x % 2 == 0 and x > 0:\n            yield x\n',
      'def evens(xs):\n    return (x for x in xs if x % 2 == 0)\n',
      'def evens(xs):\n    while True:\n        yield 0\n',
    ], generated);
    assert.deepEqual(gens.results.map((r) => r.outcome), ['pass', 'fail', 'pass', 'fail']);
    assert.deepEqual(gens.results[0].checks.get('differential-0')?.value, { $it: [0, 2, -4] });
    const endless = gens.results[3].checks.get('differential-0')?.value as { $it: unknown[]; $more: number };
    assert.equal(endless.$it.length, 1000);
    assert.equal(endless.$more, 1);
    const objects = await evaluate(kit, target, [
      'class P:\n    def __init__(self, v):\n        self.v = v\ndef evens(xs):\n    return P(len(xs))\n',
      'class P:\n    def __init__(self, v):\n        self.v = v\ndef evens(xs):\n    return P(0)\n',
    ], generated);
    assert.deepEqual(objects.results.map((r) => r.outcome), ['pass', 'fail']);
    // Objects that point back at each other: each one met again on its path is a cycle, and the whole value has a
    // bound (4 nodes of a doubly linked list took over 90 s to encode to depth 32, past the sandbox's CPU limit).
    const linked = 'class N:\n    def __init__(self, v, prev):\n        self.v = v\n        self.prev = prev\n        self.next = None\n' +
      'def evens(xs):\n    head = N(0, None)\n    node = head\n    for x in range(12):\n        node.next = N(x, node)\n        node = node.next\n    return head\n';
    const list = await evaluate(kit, target, [linked, linked.replace('range(12)', 'range(11)')], generated);
    assert.deepEqual(list.results.map((r) => r.outcome), ['pass', 'fail'], 'encoded within the CPU limit, and the two lists told apart');
  });
});

describe('what a call returns, settled inside the timed region', () => {
  const busy = { id: 'differential-0', kind: 'differential', args: [3] } as Check;
  const checks: Check[] = [busy, { ...busy, id: 'differential-1', args: [4] }];

  it('times pulling the items of a generator, not only creating it, and still stops an endless one', async (t) => {
    const kit = await need(t, true);
    if (!kit) return;
    // Each generator spends 3 ms before its one item: creating it costs nothing.
    const js = await evaluate(kit, jsTarget('gen'), ['function* gen(n) { const end = Date.now() + 3; while (Date.now() < end) {} yield n; }', 'function* gen(n) { for (;;) yield n; }'], checks);
    const py = await evaluate(kit, pyTarget('gen'), ['import time\ndef gen(n):\n    end = time.monotonic() + 0.003\n    while time.monotonic() < end:\n        pass\n    yield n\n', 'def gen(n):\n    while True:\n        yield n\n'], checks);
    for (const { results } of [js, py]) {
      assert.deepEqual(results.map((r) => r.outcome), ['pass', 'fail'], results[0].detail);
      assert.ok(results[0].timeNs > 2 * 2e6, `measured ${results[0].timeNs} ns for two generators of 2 to 3 ms`);
      assert.equal((results[1].checks.get('differential-0')?.value as { $it: unknown[] }).$it.length, 1000, 'the endless one is pulled up to the compared items');
    }
  });

  it('pulls a JavaScript async generator\'s items, awaiting each, inside the timed call; promises and generators as before', async (t) => {
    const kit = await need(t);
    if (!kit) return;
    // Each spends 3 ms before its first item: creating the async generator costs nothing.
    const { results } = await evaluate(kit, jsTarget('gen'), [
      'async function* gen(n) { const end = Date.now() + 3; while (Date.now() < end) {} yield n; await null; yield n + 1; }',
      'async function* gen(n) { yield n; }',
      'async function* gen(n) { for (;;) yield n; }',
      'function* gen(n) { yield n; yield n + 1; }',
      'async function gen(n) { await null; return [n, n + 1][Symbol.iterator](); }',
      'async function gen(n) { return [n, n + 1]; }',
    ], checks);
    assert.deepEqual(results.map((r) => r.outcome), ['pass', 'fail', 'fail', 'pass', 'pass', 'fail'], results[0].detail);
    assert.deepEqual(results[0].checks.get('differential-0')?.value, { $it: [3, 4] });
    assert.ok(results[0].timeNs > 2 * 2e6, `measured ${results[0].timeNs} ns for two async generators of 2 to 3 ms`);
    const endless = results[2].checks.get('differential-0')?.value as { $it: unknown[]; $more: number };
    assert.equal(endless.$it.length, 1000, 'the endless one is pulled up to the compared items');
    assert.equal(endless.$more, 1);
    assert.deepEqual(results[5].checks.get('differential-0')?.value, [3, 4], 'a promise is awaited to its value');
  });

  it('runs a Python coroutine to its value without an event loop, and says when one waits on an event loop', async (t) => {
    const kit = await need(t, true);
    if (!kit) return;
    const example: Check = { id: 'example-0', kind: 'example', callSource: 'double(2)', argsSource: '2', expectedSource: '4' };
    const helper = 'async def twice(n):\n    return n + n\n';
    const { results } = await evaluate(kit, pyTarget('double'), [
      'async def double(n):\n    return n * 2\n',
      `${helper}async def double(n):\n    return await twice(n)\n`,
      'async def double(n):\n    return n * 3\n',
      'class Wait:\n    def __await__(self):\n        yield self\n        return 0\nasync def double(n):\n    await Wait()\n    return n * 2\n',
      'async def double(n):\n    for _ in range(n):\n        yield n\n',
    ], [example]);
    assert.deepEqual(results.map((r) => r.outcome), ['pass', 'pass', 'fail', 'fail', 'fail']);
    assert.match(String(results[3].checks.get('example-0')?.error), /^NeedsEventLoop: /);
    assert.deepEqual(results[4].checks.get('example-0')?.value, { $it: [2, 2] }, 'an async generator yields its items');
  });

  it("computes every check's value, in order, before any timing repetitions, as doctest would", async (t) => {
    const kit = await need(t, true);
    if (!kit) return;
    const examples: Check[] = [
      { id: 'example-0', kind: 'example', callSource: 'squares(3)', argsSource: '3', expectedSource: '[0, 1, 4]' },
      { id: 'example-1', kind: 'example', callSource: 'squares.cache_info().hits', expectedSource: '0' },
    ];
    const { results } = await evaluate(kit, pyTarget('squares'), ['import functools\n@functools.cache\ndef squares(n):\n    return [i * i for i in range(n)]\n'], examples);
    assert.equal(results[0].outcome, 'pass', JSON.stringify([...results[0].checks.values()]));
  });

  it("computes every JavaScript check's value, in order, before any timing repetitions", async (t) => {
    const kit = await need(t);
    if (!kit) return;
    const examples: Check[] = [
      { id: 'example-0', kind: 'example', callSource: 'nextId()', argsSource: '', expectedSource: '1' },
      { id: 'example-1', kind: 'example', callSource: 'nextId()', argsSource: '', expectedSource: '2' },
      { id: 'example-2', kind: 'example', callSource: 'nextId.calls', expectedSource: '2' },
    ];
    const source = 'let last = 0; function nextId() { nextId.calls = (nextId.calls || 0) + 1; return ++last; }';
    const { results } = await evaluate(kit, { ...jsTarget('nextId'), params: [] }, [source], examples);
    assert.equal(results[0].outcome, 'pass', JSON.stringify([...results[0].checks.values()]));
    for (const result of results[0].checks.values()) assert.ok((result.medianNs ?? 0) > 0, 'each is still timed');
  });
});

describe('JavaScript values through the harness', () => {
  it('tells generators apart by what they yield, within bounds, and encodes objects shared along many paths', async (t) => {
    const kit = await need(t);
    if (!kit) return;
    const target = { ...jsTarget('evens'), params: [{ name: 'xs' }] };
    const generated: Check[] = [{ id: 'differential-0', kind: 'differential', args: [[0, 1, 2, -4]] }];
    const gens = await evaluate(kit, target, [
      'function* evens(xs) { for (const x of xs) if (x % 2 === 0) yield x; }',
      'function* evens(xs) { for (const x of xs) if (x % 2 === 0 && x > 0) yield x; }',
      'function evens(xs) { return xs.filter((x) => x % 2 === 0)[Symbol.iterator](); }',
      'function* evens(xs) { for (;;) yield 0; }',
      // Each level's two keys share the level below: 2^40 paths, encoded within the node budget.
      'function evens(xs) { let node = { v: xs.length }; for (let i = 0; i < 40; i++) node = { a: node, b: node }; return node; }',
    ], generated);
    assert.deepEqual(gens.results.map((r) => r.outcome), ['pass', 'fail', 'pass', 'fail', 'fail']);
    assert.deepEqual(gens.results[0]!.checks.get('differential-0')?.value, { $it: [0, 2, -4] });
    const endless = gens.results[3]!.checks.get('differential-0')?.value as { $it: unknown[]; $more: number };
    assert.equal(endless.$it.length, 1000);
    assert.equal(endless.$more, 1);
    assert.equal(gens.results[4]!.checks.get('differential-0')?.ok, true, 'the shared object is encoded, not timed out');
  });
});

describe('disk and exec limits through the harness', () => {
  it("says what Node's permission model refused: the permission and the resource", async (t) => {
    const kit = await need(t);
    if (!kit) return;
    const { results } = await evaluate(kit, jsTarget('total'), [
      "function total(n) { require('fs').readFileSync('/etc/hostname'); return n * (n + 1) / 2; }",
      "function total(n) { require('child_process').execFileSync('true'); return n * (n + 1) / 2; }",
    ]);
    assert.deepEqual(results.map((r) => r.outcome), ['sandbox-denied', 'sandbox-denied']);
    assert.equal(results[0].checks.get('example-0')?.error, 'Error ERR_ACCESS_DENIED: Access to this API has been restricted (FileSystemRead: /etc/hostname)');
    assert.equal(results[1].checks.get('example-0')?.error, 'Error ERR_ACCESS_DENIED: Access to this API has been restricted (ChildProcess)');
    assert.match(results[0].detail ?? '', /\(FileSystemRead: \/etc\/hostname\) in example 1\)$/);
  });

  it('reports a candidate that writes past the sandbox disk as "wrote more than N MiB"', async (t) => {
    const kit = await need(t);
    if (!kit) return;
    const tail = 'return n * (n + 1) / 2; }';
    const { results } = await evaluate(kit, jsTarget('total'), [
      `function total(n) { require('fs').writeFileSync('/sbx/tmp/big', Buffer.alloc(8 << 20, 1)); ${tail}`, // one file past RLIMIT_FSIZE
      `function total(n) { for (let i = 0; i < 8; i++) require('fs').writeFileSync('/sbx/tmp/f' + i, Buffer.alloc(1 << 20, 1)); ${tail}`, // a full tmpfs
      `require('fs').writeFileSync('/sbx/tmp/big', Buffer.alloc(8 << 20, 1)); function total(n) { ${tail}`, // while loading
      `function total(n) { ${tail}`,
    ]);
    assert.deepEqual(results.map((r) => r.outcome), ['fail', 'fail', 'runtime-error', 'pass']);
    for (const result of results.slice(0, 3)) assert.match(result.detail ?? '', /wrote more than 4 MiB/);
    assert.equal(results[3].detail, undefined);
    const python = await need(t, true);
    if (!python) return;
    const py = await evaluate(python, pyTarget('total'), [
      "def total(n):\n    open('/sbx/tmp/big', 'wb').write(b'x' * (8 << 20))\n    return n * (n + 1) // 2\n",
      "def total(n):\n    for i in range(8):\n        open('/sbx/tmp/f%d' % i, 'wb').write(b'x' * (1 << 20))\n    return n * (n + 1) // 2\n",
    ]);
    assert.deepEqual(py.results.map((r) => r.outcome), ['fail', 'fail']);
    for (const result of py.results) assert.match(result.detail ?? '', /wrote more than 4 MiB/);
  });

  it('refuses to exec a native program a Python candidate wrote, even after trying to disarm the refusal', async (t) => {
    const kit = await need(t, true);
    if (!kit) return;
    // Any native program: once exec'd in place of the harness, the run ends without results (runtime-error).
    const elf = syscallProbeElf(39).toString('hex');
    const exec = (prelude: string) =>
      `${prelude}def total(n):\n    import os\n    open('/sbx/tmp/p', 'wb').write(bytes.fromhex('${elf}'))\n    os.chmod('/sbx/tmp/p', 0o755)\n    os.execv('/sbx/tmp/p', ['p'])\n`;
    const disarm = "import gc, sys\nfor _o in gc.get_objects():\n    if getattr(_o, '__name__', '') == '_refuse_exec':\n        try:\n            _o.__code__ = (lambda e, a: None).__code__\n        except Exception:\n            pass\n";
    const { results } = await evaluate(kit, pyTarget('total'), [exec(''), exec(disarm)]);
    for (const result of results) {
      assert.equal(result.outcome, 'sandbox-denied', `${result.outcome}: ${result.detail} ${JSON.stringify([...result.checks.values()])}`);
      assert.match(String([...result.checks.values()][0]?.error), /PermissionError/);
    }
  });

  it('fails an import the audit hook refuses as a missing module would, which stays refused', async (t) => {
    const kit = await need(t, true);
    if (!kit) return;
    // asyncio sets a function's __code__ as it imports, which the hook refuses (where it does not, asyncio just loads).
    const candidate = [
      'def probe(n):',
      '    try:',
      '        import asyncio',
      "        caught = 'loaded'",
      '    except ImportError as error:',
      '        caught = type(error).__name__',
      '    try:',
      '        import asyncio',
      "        again = 'loaded'",
      '    except ImportError as error:',
      '        again = type(error).__name__',
      '    def f():',
      '        pass',
      '    try:',
      '        f.__code__ = (lambda: 1).__code__',
      '        replaced = True',
      '    except PermissionError:',
      '        replaced = False',
      "    return [caught in ('ModuleNotFoundError', 'loaded'), caught == again, replaced]",
      '',
    ].join('\n');
    const check: Check = { id: 'example-0', kind: 'example', callSource: 'probe(0)', argsSource: '0', expectedSource: '[True, True, False]' };
    const { results } = await evaluate(kit, pyTarget('probe'), [candidate], [check]);
    assert.equal(results[0].outcome, 'pass', `${results[0].detail} ${JSON.stringify([...results[0].checks.values()])}`);
  });
});

describe('imports a function makes itself, through the harness', () => {
  const check: Check = { id: 'example-0', kind: 'example', callSource: 'total(3)', argsSource: '3', expectedSource: '6' };

  it("does not fail a Python function on its own import of a module the sandbox lacks, only on the code's own errors", async (t) => {
    const kit = await need(t, true);
    if (!kit) return;
    const sources = [
      'def total(n):\n    import locus_absent_package\n    return n * (n + 1) // 2\n',
      'def total(n):\n    from locus_absent_package.sub import mean\n    return n * (n + 1) // 2\n',
      'def total(n):\n    raise ModuleNotFoundError("No module named \'locus_absent_package\'")\n',
      'def total(n):\n    from json import lods\n    return n\n',
      'def total(n):\n    import json.lods\n    return n\n',
    ];
    const { results } = await evaluate(kit, pyTarget('total'), sources, [check]);
    const seen = results.map((result) => `${result.outcome}: ${result.detail}`);
    assert.deepEqual(seen.slice(0, 2), ['unavailable: locus_absent_package is not available in the sandbox', 'unavailable: locus_absent_package is not available in the sandbox']);
    assert.equal(seen[2], "fail: ModuleNotFoundError: No module named 'locus_absent_package' in example 1", 'raised by the code: nothing failed to load');
    assert.match(seen[3], /^fail: ImportError: cannot import name 'lods' from 'json'/, 'json loaded, without lods');
    assert.equal(seen[4], "fail: ModuleNotFoundError: No module named 'json.lods' in example 1", 'json loaded, without lods');
  });

  it("does not fail a JavaScript function on its own require of a package the sandbox lacks", async (t) => {
    const kit = await need(t);
    if (!kit) return;
    const sources = [
      "function total(n) {\n  return require('locus-absent-package')(n);\n}\n",
      "function total(n) {\n  const error = new Error(\"Cannot find module 'locus-absent-package'\");\n  error.code = 'MODULE_NOT_FOUND';\n  throw error;\n}\n",
    ];
    const { results } = await evaluate(kit, jsTarget('total'), sources, [check]);
    assert.deepEqual(
      results.map((result) => `${result.outcome}: ${result.detail}`),
      ['unavailable: locus-absent-package is not available in the sandbox', "fail: Error MODULE_NOT_FOUND: Cannot find module 'locus-absent-package' in example 1"],
    );
  });
});
