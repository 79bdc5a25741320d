// The completion path records one telemetry trace per request, whatever way it ends.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CompletionCache } from '../../lsp-server/completionCache';
import { CompletionProvider, type LoadedModel } from '../../lsp-server/completionProvider';
import { embeddedModelDirs, validateSettings } from '../../lsp-server/config';
import { LineArrayDocument } from '../../lsp-server/lineArrayDocument';
import { RequestScheduler } from '../../lsp-server/requestScheduler';
import { TelemetryFeature } from '../../lsp-server/telemetry/telemetryFeature';
import { FakeEngine, fakeModelInfo } from './fakeEngine';

const root = mkdtempSync(join(tmpdir(), 'locus-telemetry-completion-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

function setup(script: string | (() => string), options: { settings?: unknown; stepMs?: number; cache?: boolean } = {}) {
  const engine = new FakeEngine(typeof script === 'string' ? () => script : script, options.stepMs ?? 0);
  const model: LoadedModel = {
    engine,
    tokenizer: { encode: (t) => [...t].map((c) => c.codePointAt(0) as number), specialTokenId: () => undefined },
    info: fakeModelInfo('/m'),
    fim: null,
  };
  const config = validateSettings(options.settings ?? { completion: { maxNewTokens: 200 } }, embeddedModelDirs('/x')).config;
  const telemetry = new TelemetryFeature({ enabled: true, dir: join(root, `t${dirs++}`) });
  const provider = new CompletionProvider({
    model: () => model,
    config: () => config,
    scheduler: new RequestScheduler(),
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    clock: () => performance.now(),
    onTimings: () => undefined,
    telemetry,
    ...(options.cache ? { cache: new CompletionCache() } : {}),
  });
  return { provider, engine, telemetry };
}

function doc(text: string, languageId = 'typescript', uri = 'file:///a.ts') {
  const offset = text.indexOf('┃');
  const document = new LineArrayDocument(uri, languageId, 1, text.replace('┃', ''));
  return { document, position: document.positionAt(offset) };
}

const never = () => new AbortController().signal;

describe('completion telemetry', () => {
  it('records an offered completion with its phases and takes its acceptance through the item command', async () => {
    const { provider, engine, telemetry } = setup('42;');
    engine.speculation = { mode: 'lookup', rounds: 1, drafted: 4, accepted: 3, acceptanceRate: 0.75, byDrafter: { lookup: { drafted: 4, accepted: 3 }, draft: { drafted: 0, accepted: 0 } } };
    const { document, position } = doc('const x = ┃\n');
    const [item] = await provider.provide(document, position, never());
    assert.equal(item?.command?.command, 'locus.completionAccepted');
    telemetry.accepted(item?.command?.arguments);
    const [sample] = JSON.parse((await telemetry.export({ format: 'json' })).content).records;
    assert.equal(sample.outcome, 'accepted');
    assert.equal(sample.language, 'typescript');
    assert.equal(sample.model, 'fake');
    assert.equal(sample.generatedTokens, 3);
    assert.equal(sample.promptTokens, sample.promptTokensCompressed);
    assert.ok(sample.promptBuiltMs <= sample.firstTokenMs && sample.firstTokenMs <= sample.doneMs, JSON.stringify(sample));
    assert.deepEqual([sample.draftProposed, sample.draftAccepted, sample.servedFromCache], [4, 3, false]);
  });

  it('tells which suggestion was accepted: a runner-up’s command names its place in the answer', async () => {
    const { provider, engine, telemetry } = setup('42;');
    engine.alternatives = ['7;', 'x + 1;'];
    const { document, position } = doc('const x = ┃\n');
    const items = await provider.provide(document, position, never());
    assert.deepEqual(items.map((i) => i.insertText), ['42;', '7;', 'x + 1;']);
    assert.deepEqual(items.map((i) => i.command?.arguments?.slice(1)), [['accepted', 0], ['accepted', 1], ['accepted', 2]]);
    telemetry.accepted(items[2]?.command?.arguments);
    const [sample] = JSON.parse((await telemetry.export({ format: 'json' })).content).records;
    assert.deepEqual([sample.outcome, sample.acceptedItem], ['accepted', 2]);
    assert.equal((await telemetry.summary({})).outcomes.acceptedRunnerUp, 1);
  });

  it('keeps a runner-up’s place when it is typed into: the cache answer showing its rest reports it as the runner-up', async () => {
    const { provider, engine, telemetry } = setup('42;', { cache: true });
    engine.alternatives = ['7;', 'x + 1;'];
    const first = doc('const y = 1;\nconst x = ┃\n');
    await provider.provide(first.document, first.position, never());
    const typed = doc('const y = 1;\nconst x = x ┃\n');
    const items = await provider.provide(typed.document, typed.position, never());
    assert.deepEqual(items.map((i) => [i.insertText, i.command?.arguments?.[2]]), [['+ 1;', 2]]);
    telemetry.accepted(items[0]?.command?.arguments);
    const summary = await telemetry.summary({});
    assert.deepEqual([summary.outcomes.accepted, summary.outcomes.acceptedRunnerUp, summary.servedFromCache], [1, 1, 1]);
  });

  it('records a request superseded by a newer one as cancelled, and an empty answer as empty', async () => {
    const { provider, telemetry } = setup('x'.repeat(50), { stepMs: 2 });
    const { document, position } = doc('const x = ┃\n');
    const first = provider.provide(document, position, never());
    await new Promise((resolve) => setTimeout(resolve, 10));
    await Promise.all([first, provider.provide(document, position, never())]);
    const outcomes = (await telemetry.summary({})).outcomes;
    assert.equal(outcomes.cancelled, 1);
    assert.equal(outcomes.requests, 2);

    const empty = setup('');
    await empty.provider.provide(document, position, never());
    assert.equal((await empty.telemetry.summary({})).outcomes.empty, 1);
  });

  it("splits a beam search's time at the engine's first token, though its text comes at its end, and one that writes nothing too", async () => {
    for (const script of ['total;', '']) {
      const { provider, engine, telemetry } = setup(script, { stepMs: 20 });
      // As beam search answers: the whole text at the end, with the engine's own times (its first token at its first step).
      const generate = engine.generate.bind(engine);
      engine.generate = async (request, hooks = {}) => {
        const started = performance.now();
        const result = await generate(request, { ...hooks, onText: undefined });
        if (result.text !== '') hooks.onText?.(result.text);
        return { ...result, timings: { ...result.timings, firstTokenMs: Math.min(20, performance.now() - started), totalMs: performance.now() - started } };
      };
      const { document, position } = doc('const x = ┃\n');
      await provider.provide(document, position, never());
      const [sample] = JSON.parse((await telemetry.export({ format: 'json' })).content).records;
      assert.ok(sample.firstTokenMs !== null, JSON.stringify(sample));
      if (script !== '') {
        const prefill = sample.firstTokenMs - sample.promptBuiltMs;
        assert.ok(prefill >= 19 && prefill < 60, `prefill ${prefill} ms: ${JSON.stringify(sample)}`);
        // Five more steps of 20 ms after the first token.
        assert.ok(sample.doneMs - sample.firstTokenMs >= 60, JSON.stringify(sample));
      }
      const { phases } = await telemetry.summary({});
      assert.ok(phases.prefill && phases.decode, JSON.stringify(phases));
    }
  });

  it('records nothing for a request that never reaches the model, and no command while recording is off', async () => {
    const { provider, telemetry } = setup('42;', { settings: { completion: { languages: { typescript: false } } } });
    const { document, position } = doc('const x = ┃\n');
    assert.deepEqual(await provider.provide(document, position, never()), []);
    assert.equal((await telemetry.summary({})).outcomes.requests, 0);

    const off = setup('42;');
    off.telemetry.configure({ enabled: false, dir: join(root, 'off') });
    const [item] = await off.provider.provide(document, position, never());
    assert.equal(item?.command, undefined);
  });

  it('records an answer from the completion cache as served from cache, with a command of its own', async () => {
    const { provider, telemetry } = setup('console.log(x);', { cache: true });
    const first = doc('const x = 1;\n┃\n');
    await provider.provide(first.document, first.position, never());
    const typed = doc('const x = 1;\ncons┃\n');
    const [item] = await provider.provide(typed.document, typed.position, never());
    assert.equal(item?.insertText, 'ole.log(x);');
    assert.equal(item?.command?.command, 'locus.completionAccepted');
    const summary = await telemetry.summary({});
    assert.equal(summary.servedFromCache, 1);
    assert.equal(summary.latency?.count, 1);
    // The cache answer names the model run whose suggestion it shows the rest of: one suggestion, shown twice.
    const [run, rest] = JSON.parse((await telemetry.export({ format: 'json' })).content).records;
    assert.deepEqual([run.cachedFrom, rest.servedFromCache, rest.cachedFrom], [null, true, run.id]);
    assert.deepEqual([summary.outcomes.notAccepted, summary.outcomes.shownAgain], [1, 1]);
  });
  it('counts a suggestion the user typed to its end as typed out, not accepted, and a Tab reported after that as accepted', async () => {
    const { provider, engine, telemetry } = setup('total(a);', { cache: true });
    engine.alternatives = ['count;'];
    const first = doc('const x = ┃\n');
    await provider.provide(first.document, first.position, never());
    const typing = doc('const x = tot┃\n');
    await provider.provide(typing.document, typing.position, never());
    const typedOut = doc('const x = total(a);┃\n');
    await provider.provide(typedOut.document, typedOut.position, never());
    assert.equal(engine.requests.length, 2, 'what follows a typed-out suggestion needs the model');
    let summary = await telemetry.summary({});
    assert.deepEqual([summary.outcomes.typedOut, summary.outcomes.notAccepted, summary.outcomes.shownAgain, summary.acceptanceRate], [1, 1, 1, 0]);
    const [run] = JSON.parse((await telemetry.export({ format: 'json' })).content).records;
    assert.deepEqual([run.outcome, run.acceptedItem], ['typedOut', 0]);

    // Where Tab inserted it, the editor's report may reach the server after the next request saw the text typed out.
    telemetry.accepted([run.id, 'accepted', 0]);
    summary = await telemetry.summary({});
    assert.deepEqual([summary.outcomes.accepted, summary.outcomes.typedOut], [1, 0]);
  });

  it('counts a runner-up typed up to the closers the editor put after the cursor as typed out, not as taken from Alt+]', async () => {
    const { provider, engine, telemetry } = setup('run(x);', { cache: true });
    engine.alternatives = ['run(x, y)'];
    const first = doc('const r = ┃\n');
    await provider.provide(first.document, first.position, never());
    // `run(x, y` typed, `)` auto-closed by the editor: all of the runner-up is on screen.
    const typed = doc('const r = run(x, y┃)\n');
    assert.deepEqual(await provider.provide(typed.document, typed.position, never()), []);
    const summary = await telemetry.summary({});
    assert.deepEqual([summary.outcomes.typedOut, summary.outcomes.acceptedRunnerUp, summary.outcomes.notAccepted], [1, 0, 0]);

    // `(x);` typed as far as `run(x|)`, the `)` the editor's: its `;` was never typed, so it was not typed out.
    const semicolon = setup('(x);', { cache: true, settings: { completion: { beamWidth: 1 } } });
    const call = doc('const r = run┃\n');
    await semicolon.provider.provide(call.document, call.position, never());
    const closed = doc('const r = run(x┃)\n');
    await semicolon.provider.provide(closed.document, closed.position, never());
    assert.equal((await semicolon.telemetry.summary({})).outcomes.typedOut, 0);
  });

  it('keeps a suggestion typed into for hundreds of keystrokes reportable: each cache answer refreshes it', async () => {
    const long = 'x'.repeat(300);
    const { provider, telemetry } = setup(long, { cache: true, settings: { completion: { beamWidth: 1, maxNewTokens: 400 } } });
    const first = doc('const s = ┃\n');
    await provider.provide(first.document, first.position, never());
    for (let typed = 1; typed < long.length; typed++) {
      const at = doc(`const s = ${long.slice(0, typed)}┃\n`);
      await provider.provide(at.document, at.position, never());
    }
    const end = doc(`const s = ${long}┃\n`);
    await provider.provide(end.document, end.position, never());
    assert.equal((await telemetry.summary({})).outcomes.typedOut, 1);
  });
  it('reports a rest shown after an ask in a suggestion typed into by its place in the new run’s answer', async () => {
    // Cut at the time limit, typed into, then asked for (Alt+\): the new run's answer no longer starts with the typed
    // `to`, its runner-up does, and that is what shows.
    const { provider, engine } = setup(() => (engine.requests.length === 1 ? 'total + area(points) + 1;' : 'count(points);'), { cache: true, stepMs: 1, settings: { completion: { maxNewTokens: 200, timeLimitMs: 14, beamWidth: 2 } } });
    const first = doc('const x = ┃\n');
    await provider.provide(first.document, first.position, never());
    const typed = doc('const x = to┃\n');
    await provider.provide(typed.document, typed.position, never());
    engine.alternatives = ['total + area(points) + 1;'];
    const items = await provider.provide(typed.document, typed.position, never(), 'asked');
    assert.deepEqual(items.map((item) => [item.insertText, item.command?.arguments?.[2]]), [['tal + area(points) + 1;', 1]]);
  });
});
