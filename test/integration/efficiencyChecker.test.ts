// The efficiency-check feature end to end on this machine: the real isolation self-test, real sandbox runs and a
// scripted engine whose samples differ by seed. Skips (and says why) where bubblewrap is unavailable.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_EFFICIENCY_OPTIONS, EfficiencyChecker, type EfficiencyRefinement, type EfficiencyRequest } from '../../lsp-server/efficiency/efficiencyChecker';
import { need, selfTest } from './efficiencyAvailability';
import { FakeEngine } from '../unit/fakeEngine';


const TEXT = [
  '/**',
  ' * Number of distinct values.',
  ' * @example',
  ' * countUnique([1, 1, 2]) // => 2',
  ' */',
  'export function countUnique(xs: number[]): number {',
  '}',
  '',
].join('\n');
const OFFSET = TEXT.indexOf('number {') + 'number {'.length;
const QUADRATIC = '\n  const seen: number[] = [];\n  for (const x of xs) if (!seen.includes(x)) seen.push(x);\n  return seen.length;';
const LINEAR = '\n  return new Set(xs).size;';
const WRONG = '\n  return xs.length;';

function setup(options: { trusted?: boolean; enabled?: boolean } = {}) {
  // Seed 0 is the greedy run; the samples get seeds 1..n.
  const engine = new FakeEngine((request) => [QUADRATIC, LINEAR, WRONG, LINEAR][request.sampling.seed] ?? WRONG);
  const refined: EfficiencyRefinement[] = [];
  const checker = new EfficiencyChecker({
    options: () => ({ ...DEFAULT_EFFICIENCY_OPTIONS, enabled: options.enabled ?? true, samples: 3 }),
    isTrusted: () => options.trusted ?? true,
    selfTest: () => selfTest,
    logger: { info: () => undefined, warn: () => undefined },
    clock: () => performance.now(),
    onRefined: (r) => refined.push(r),
  });
  const request: EfficiencyRequest = {
    uri: 'file:///w/unique.ts',
    version: 1,
    languageId: 'typescript',
    text: TEXT,
    offset: OFFSET,
    greedy: QUADRATIC,
    sample: async (sampling, signal) => (await engine.generate({ promptIds: [1], maxNewTokens: 200, sampling, stopStrings: [] }, { signal })).text,
  };
  return { checker, engine, refined, request };
}

describe('efficiency checks end to end', () => {
  it('samples candidates, runs them in the sandbox and offers the fastest correct one first', async (t) => {
    if (!(await need(t))) return;
    const { checker, engine, request } = setup();
    const refinement = await checker.refine(request);
    assert.ok(refinement);
    assert.deepEqual(engine.requests.map((r) => r.sampling.seed), [1, 2, 3]);
    assert.equal(refinement.functionName, 'countUnique');
    assert.equal(refinement.ranked[0].text, LINEAR, 'the O(n) candidate is offered first');
    assert.equal(refinement.ranked[0].outcome, 'pass');
    assert.equal(refinement.ranked.find((c) => c.text === WRONG)?.outcome, 'fail');
    assert.match(refinement.summary, /^\d+\/\d+ checks passed; .*x faster.* than the plain suggestion \(2\/3 candidates correct\)$/);
    assert.deepEqual(checker.offerFirst(request.uri, 1, OFFSET), [LINEAR, QUADRATIC]);
  });

  it('runs nothing in an untrusted workspace or when disabled', async (t) => {
    if (!(await need(t))) return;
    for (const options of [{ trusted: false }, { enabled: false }]) {
      const { checker, engine, request } = setup(options);
      assert.equal(await checker.refine(request), null);
      assert.equal(engine.requests.length, 0, 'no sampling either');
    }
  });

  it('stops promptly when a new completion request cancels it mid-measurement', async (t) => {
    if (!(await need(t))) return;
    const { checker, refined, request } = setup();
    const slow = '\n  const end = Date.now() + 400;\n  while (Date.now() < end) {}\n  return new Set(xs).size;';
    const running = checker.refine({ ...request, greedy: slow });
    await new Promise((resolve) => setTimeout(resolve, 600)); // inside the sandbox runs by now
    const cancelled = performance.now();
    checker.cancel();
    assert.equal(await running, null);
    assert.ok(performance.now() - cancelled < 1500, `stopped ${Math.round(performance.now() - cancelled)} ms after the cancel`);
    assert.equal(refined.length, 0);
  });
});
