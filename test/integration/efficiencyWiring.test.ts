// The efficiency checks wired into the completion provider, with a scripted engine and the real sandbox: the
// plain suggestion is answered first and never waits for the checks; the refinement runs after it; the next
// request at the same position offers the chosen completion first; a request elsewhere stops the refinement.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompletionProvider, type LoadedModel } from '../../lsp-server/completionProvider';
import { embeddedModelDirs, validateSettings } from '../../lsp-server/config';
import { DEFAULT_EFFICIENCY_OPTIONS, EfficiencyChecker, type CompletionRefiner, type EfficiencyRefinement, type EfficiencyRequest } from '../../lsp-server/efficiency/efficiencyChecker';
import { LineArrayDocument } from '../../lsp-server/lineArrayDocument';
import { RequestScheduler } from '../../lsp-server/requestScheduler';
import { WorkspaceTrustNotification } from '../../lsp-server/protocol';
import { need, selfTest } from './efficiencyAvailability';
import { FakeEngine, fakeModelInfo } from '../unit/fakeEngine';
import { FIXTURE_MODEL, LspHarness, endOf } from './lspHarness';


const BEFORE = ['/**', ' * Number of distinct values.', ' * @example', ' * countUnique([1, 1, 2]) // => 2', ' */', 'export function countUnique(xs: number[]): number {'].join('\n');
const TEXT = `${BEFORE}\n}\n`;
const QUADRATIC = '\n  const seen: number[] = [];\n  for (const x of xs) if (!seen.includes(x)) seen.push(x);\n  return seen.length;';
const LINEAR = '\n  return new Set(xs).size;';
const WRONG = '\n  return xs.length;';

function setup(trusted = true) {
  const engine = new FakeEngine((request) => [QUADRATIC, LINEAR, WRONG, LINEAR][request.sampling.seed] ?? WRONG, 0);
  const model: LoadedModel = {
    engine,
    tokenizer: { encode: (t) => [...t].map((c) => c.codePointAt(0)!), specialTokenId: () => undefined },
    info: fakeModelInfo('/m'),
    fim: null,
  };
  const events: string[] = [];
  const refinements: EfficiencyRefinement[] = [];
  const efficiency = new EfficiencyChecker({
    options: () => ({ ...DEFAULT_EFFICIENCY_OPTIONS, enabled: true, samples: 3 }),
    isTrusted: () => trusted,
    selfTest: () => selfTest,
    logger: { info: () => undefined, warn: (m) => events.push(`warn ${m}`) },
    clock: () => performance.now(),
    onRefined: (r) => {
      events.push('refined');
      refinements.push(r);
    },
  });
  const config = validateSettings({ completion: { maxNewTokens: 200 } }, embeddedModelDirs('/x')).config;
  const provider = new CompletionProvider({
    model: () => model,
    config: () => config,
    scheduler: new RequestScheduler(),
    logger: { info: () => undefined, warn: () => undefined, error: (m) => events.push(`error ${m}`) },
    clock: () => performance.now(),
    onTimings: () => undefined,
    efficiency,
  });
  const document = new LineArrayDocument('file:///w/unique.ts', 'typescript', 1, TEXT);
  const position = document.positionAt(BEFORE.length);
  return { engine, provider, document, position, events, refinements, efficiency };
}

async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('efficiency checks in the completion provider', () => {
  it('answers the plain suggestion first, then offers the fastest correct candidate at the same position', async (t) => {
    if (!(await need(t))) return;
    const { provider, document, position, events, refinements, engine } = setup();
    const first = await provider.provide(document, position, new AbortController().signal);
    events.push('plain answered');
    assert.equal(first.length, 1);
    assert.match(String(first[0].insertText), /seen\.includes/, 'the greedy (quadratic) completion comes first, undelayed');
    await until(() => refinements.length === 1, 'the refinement');
    assert.deepEqual(events.slice(0, 2), ['plain answered', 'refined'], 'the refinement only finishes after the answer went out');
    assert.deepEqual(engine.requests.map((r) => r.sampling.seed), [0, 1, 2, 3]);
    assert.match(refinements[0].summary, /2\/3 candidates correct/);

    const again = await provider.provide(document, position, new AbortController().signal);
    assert.match(String(again[0].insertText), /new Set\(xs\)\.size/, 'the O(n) candidate is offered first now');
    assert.ok(again.some((item) => String(item.insertText).includes('seen.includes')), 'the plain suggestion stays available');
    assert.equal(engine.requests.length, 4, 'no new model run for the refined answer');
  });

  it('stops the refinement when the user asks for a completion elsewhere', async (t) => {
    if (!(await need(t))) return;
    const { provider, document, position, refinements, efficiency } = setup();
    await provider.provide(document, position, new AbortController().signal);
    const moved = document.update([{ text: ' ' }], 2);
    await provider.provide(moved, moved.positionAt(0), new AbortController().signal);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(refinements.length, 0, 'the first refinement was cancelled');
    assert.equal(efficiency.offerFirst(document.uri, 1, document.offsetAt(position)), undefined);
  });

  it('samples nothing and runs nothing in an untrusted workspace', async (t) => {
    if (!(await need(t))) return;
    const { provider, document, position, engine, refinements } = setup(false);
    const items = await provider.provide(document, position, new AbortController().signal);
    assert.equal(items.length, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(engine.requests.map((r) => r.sampling.seed), [0], 'only the plain suggestion was generated');
    assert.equal(refinements.length, 0);
  });
});

describe('which completions are handed to the efficiency checks', () => {
  // A line in the middle of a body (whole-line mode) is no function body: such a suggestion was judged as the whole one.
  const PY = 'def is_even(n: int) -> bool:\n    """\n    >>> is_even(4)\n    True\n    """\n    \n    return n & 1 == 0\n';
  const CURSOR = PY.indexOf('    \n') + 4;
  async function handed(text: string, offset: number, script: string): Promise<EfficiencyRequest[]> {
    const requests: EfficiencyRequest[] = [];
    const refiner: CompletionRefiner = { offerFirst: () => undefined, cancelOthers: () => undefined, afterSuggestion: (r) => requests.push(r), checksBlocks: () => true };
    const engine = new FakeEngine(() => script, 0);
    const model: LoadedModel = { engine, tokenizer: { encode: (t) => [...t].map((c) => c.codePointAt(0)!), specialTokenId: () => undefined }, info: fakeModelInfo('/m'), fim: null };
    const config = validateSettings({ completion: { maxNewTokens: 200 } }, embeddedModelDirs('/x')).config;
    const provider = new CompletionProvider({ model: () => model, config: () => config, scheduler: new RequestScheduler(), logger: { info: () => undefined, warn: () => undefined, error: () => undefined }, clock: () => performance.now(), onTimings: () => undefined, efficiency: refiner });
    const document = new LineArrayDocument('file:///w/even.py', 'python', 1, text);
    const items = await provider.provide(document, document.positionAt(offset), new AbortController().signal);
    assert.equal(items.length, 1, 'the suggestion itself is answered');
    return requests;
  }

  it('hands over a block written where the body starts, not one line in the middle of a body', async () => {
    assert.equal((await handed(PY, CURSOR, 'n = abs(n)')).length, 0, 'whole-line mode in the middle of the body');
    const header = 'def is_even(n: int) -> bool:\n';
    assert.equal((await handed(header, header.length - 1, '\n    return n % 2 == 0\n')).length, 1, 'multi-line mode at the end of the header');
    // Right under a docstring with no body below, the completion writes the body (multi-line): it is checked.
    const docstring = PY.slice(0, CURSOR) + '\n';
    assert.equal((await handed(docstring, CURSOR, 'return n % 2 == 0\n')).length, 1, 'multi-line mode under the docstring');
  });
});

describe('efficiency checks in the built server (dist/server.js)', () => {
  it('keeps answering completions with the checks enabled in a trusted workspace', async () => {
    const lsp = await LspHarness.start({ model: { path: FIXTURE_MODEL }, efficiency: { enabled: true, samples: 2 }, telemetry: { enabled: false } });
    try {
      await lsp.waitForStatus((s) => s.state === 'ready', 'model ready');
      await lsp.server.connection.sendNotification(WorkspaceTrustNotification.type, { trusted: true });
      const uri = 'file:///w/unique.ts';
      await lsp.open(uri, 'typescript', TEXT);
      const position = endOf(BEFORE);
      const started = performance.now();
      const first = await lsp.complete(uri, position);
      assert.equal(typeof first, 'string');
      assert.ok(performance.now() - started < 10_000);
      await new Promise((resolve) => setTimeout(resolve, 1000)); // a refinement (or its self-test) may be running
      assert.equal(typeof (await lsp.complete(uri, { line: 0, character: 0 })), 'string', 'the server still answers');
    } finally {
      await lsp.stop();
    }
  });
});
