import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompletionCache } from '../../lsp-server/completionCache';
import { MAX_DOCUMENT_CHARS } from '../../lsp-server/completableDocument';
import { CompletionProvider, type CompletionProviderDeps, type LoadedModel } from '../../lsp-server/completionProvider';
import { embeddedModelDirs, validateSettings } from '../../lsp-server/config';
import { LineArrayDocument } from '../../lsp-server/lineArrayDocument';
import { lineEndingOf } from '../../lsp-server/modelText';
import type { Logger } from '../../lsp-server/logger';
import type { CompletionTimings } from '../../lsp-server/protocol';
import { RequestScheduler } from '../../lsp-server/requestScheduler';
import { FakeEngine, fakeModelInfo } from './fakeEngine';

const CURSOR = '┃';

function setup(
  script: string | (() => string),
  options: {
    ready?: boolean;
    settings?: unknown;
    stepMs?: number;
    cache?: boolean;
    wordChoices?: CompletionProviderDeps['wordChoices'];
    maxContext?: number;
    privateReason?: CompletionProviderDeps['privateReason'];
    efficiency?: CompletionProviderDeps['efficiency'];
  } = {},
) {
  const engine = new FakeEngine(typeof script === 'string' ? () => script : script, options.stepMs ?? 0);
  const model: LoadedModel = {
    engine,
    tokenizer: { encode: (t) => [...t].map((c) => c.codePointAt(0)!), specialTokenId: () => undefined },
    info: { ...fakeModelInfo('/m'), ...(options.maxContext !== undefined && { maxContext: options.maxContext }) },
    fim: null,
  };
  const logs: string[] = [];
  const logger: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };
  const timings: CompletionTimings[] = [];
  const skipped: [string, string | null][] = [];
  const config = validateSettings(options.settings ?? { completion: { maxNewTokens: 200 } }, embeddedModelDirs('/x')).config;
  const provider = new CompletionProvider({
    model: () => (options.ready === false ? undefined : model),
    config: () => config,
    scheduler: new RequestScheduler(),
    logger,
    clock: () => performance.now(),
    onTimings: (t) => timings.push(t),
    ...(options.cache && { cache: new CompletionCache() }),
    ...(options.wordChoices && { wordChoices: options.wordChoices }),
    ...(options.privateReason && { privateReason: options.privateReason }),
    ...(options.efficiency && { efficiency: options.efficiency }),
    onSkipped: (uri, reason) => skipped.push([uri, reason]),
  });
  return { provider, engine, logs, timings, skipped };
}

function doc(text: string, languageId = 'typescript', uri = 'file:///a.ts') {
  const offset = text.indexOf(CURSOR);
  const document = new LineArrayDocument(uri, languageId, 1, text.replace(CURSOR, ''));
  return { document, position: document.positionAt(offset) };
}

const never = () => new AbortController().signal;

describe('CompletionProvider', () => {
  it('returns the post-processed completion at the cursor and reports timings', async () => {
    const { provider, engine, timings } = setup('42;\nconsole.log(x);');
    const { document, position } = doc(`const x = ${CURSOR}\n`);
    const items = await provider.provide(document, position, never());
    assert.deepEqual(items, [{ insertText: '42;', range: { start: position, end: position } }]);
    assert.deepEqual(engine.requests[0]!.stopStrings, ['\n'], 'single-line mode stops at the line break');
    assert.equal(engine.requests[0]!.sampling.temperature, 0);
    assert.equal(timings.length, 1);
    assert.equal(timings[0]!.shownChars, 3);
    assert.equal(timings[0]!.firstTokenMs, 2);
  });

  it("offers beam search's runners-up after the answer, post-processed like it, each text once, none empty", async () => {
    const { provider, engine, timings } = setup('42;');
    // `42;` again once its closer is cut (the suffix holds it), a blank line, and two distinct others.
    engine.alternatives = ['7;', '42;)', '   ', '7;', 'x + 1;'];
    const { document, position } = doc(`f(${CURSOR})\n`);
    const items = await provider.provide(document, position, never());
    assert.deepEqual(
      items.map((item) => item.insertText),
      ['42;', '7;', 'x + 1;'],
    );
    for (const item of items) assert.deepEqual(item.range, { start: position, end: position });
    assert.equal(timings[0]!.shownChars, 3, 'the figures are the answer’s');
  });

  it("keeps showing the rest of a runner-up while it is typed, with no new model run", async () => {
    const { provider, engine } = setup('total(a);', { cache: true });
    engine.alternatives = ['count;'];
    const first = doc(`const x = ${CURSOR}\n`);
    assert.deepEqual((await provider.provide(first.document, first.position, never())).map((item) => item.insertText), ['total(a);', 'count;']);
    const typed = doc(`const x = co${CURSOR}\n`);
    assert.deepEqual((await provider.provide(typed.document, typed.position, never())).map((item) => item.insertText), ['unt;']);
    assert.equal(engine.requests.length, 1);
  });

  it('asks the model again once the workspace context changed, instead of showing the rest of a suggestion made from the old one', async () => {
    const { provider, engine } = setup('total(a);', { cache: true });
    const first = doc(`const x = ${CURSOR}\n`);
    await provider.provide(first.document, first.position, never());
    const typed = doc(`const x = to${CURSOR}\n`);
    assert.deepEqual((await provider.provide(typed.document, typed.position, never())).map((item) => item.insertText), ['tal(a);']);
    assert.equal(engine.requests.length, 1, 'typing into the suggestion: from the cache');
    // A folder removed, or a file excluded: the suggestion may continue its code.
    provider.contextChanged();
    const further = doc(`const x = tot${CURSOR}\n`);
    await provider.provide(further.document, further.position, never());
    assert.equal(engine.requests.length, 2, 'the model runs again');
  });

  it("offers a runner-up's rest from the cache when the answer is typed up to the closers the editor put after the cursor", async () => {
    const { provider, engine } = setup('run(x)', { cache: true });
    engine.alternatives = ['run(x, y)'];
    const first = doc(`const r = ${CURSOR}\n`);
    await provider.provide(first.document, first.position, never());
    // `run(x` typed, `)` auto-closed by the editor: nothing of the answer is left, `, y` of the runner-up is.
    const typed = doc(`const r = run(x${CURSOR})\n`);
    assert.deepEqual((await provider.provide(typed.document, typed.position, never())).map((item) => item.insertText), [', y']);
    assert.equal(engine.requests.length, 1);
  });

  it('keeps offering every suggestion the typed text still continues, the answer first, while it is typed', async () => {
    const { provider, engine } = setup('total(a);', { cache: true });
    engine.alternatives = ['total(b);', 'count;'];
    const first = doc(`const x = ${CURSOR}\n`);
    await provider.provide(first.document, first.position, never());
    const typed = doc(`const x = tot${CURSOR}\n`);
    assert.deepEqual((await provider.provide(typed.document, typed.position, never())).map((item) => item.insertText), ['al(a);', 'al(b);']);
    const further = doc(`const x = total(b${CURSOR}\n`);
    assert.deepEqual((await provider.provide(further.document, further.position, never())).map((item) => item.insertText), [');']);
    assert.equal(engine.requests.length, 1);
  });

  it('passes the speculation setting to the engine and reports the acceptance rate', async () => {
    const { provider, engine, timings } = setup('42;', { settings: { completion: { speculation: 'lookup' } } });
    engine.speculation = { mode: 'lookup', rounds: 2, drafted: 8, accepted: 6, acceptanceRate: 0.75, byDrafter: { lookup: { drafted: 8, accepted: 6 }, draft: { drafted: 0, accepted: 0 } } };
    const { document, position } = doc(`const x = ${CURSOR}\n`);
    await provider.provide(document, position, never());
    assert.equal(engine.requests[0]!.speculation, 'lookup');
    assert.deepEqual(timings[0]!.speculation, { mode: 'lookup', drafted: 8, accepted: 6, acceptanceRate: 0.75 });
  });

  it('keeps half the context for the prompt when maxNewTokens asks for more, and says so once', async () => {
    // The shipped model's context: 1,024 tokens, which the setting's maximum would fill.
    const maxContext = 1024;
    const { provider, engine, logs } = setup('42;', { settings: { completion: { maxNewTokens: 1024 } }, maxContext });
    const code = 'let a = 1;\n'.repeat(200);
    for (const n of [1, 2]) {
      const { document, position } = doc(`${code}const x${n} = ${CURSOR}\n`);
      await provider.provide(document, position, never());
    }
    for (const request of engine.requests) {
      assert.equal(request.maxNewTokens, 509);
      assert.ok(request.promptIds.length >= 400, `prompt of ${request.promptIds.length} tokens`);
    }
    assert.equal(logs.filter((l) => l.includes('maxNewTokens 1024')).length, 1, logs.join('\n'));
  });

  it('stops a multi-line generation once the text has left the block', async () => {
    const body = '\n  return a + b;\n}\n';
    const { provider, engine } = setup(body + 'function sub(a, b) {\n  return a - b;\n}\n'.repeat(20));
    const { document, position } = doc(`function add(a, b) {${CURSOR}`, 'javascript');
    const items = await provider.provide(document, position, never());
    assert.equal(items[0]!.insertText, '\n  return a + b;\n}');
    assert.deepEqual(engine.requests[0]!.stopStrings, []);
    assert.ok(engine.steps[0]! <= body.length + 1, `generated ${engine.steps[0]} characters`);
    assert.equal(engine.requests[0]!.nonBlank, true, 'at the end of a header, the body must not end before its code');
  });

  it('shows a block up to where the model grew unsure of it, and stops writing there', async () => {
    const body = '\n  const total = a + b;\n  return total * 2;\n}';
    const next = 'return total + 0;\n}';
    const { provider, engine } = setup(() => (engine.requests.length === 1 ? body : next), { cache: true });
    // Sure of the header's rest and the first line; a nat per character after it: e^-5 is behind within the second.
    engine.logProbOf = (_, i) => (i >= body.indexOf('  return') ? -1 : 0);
    const { document, position } = doc(`function add(a, b) {${CURSOR}`, 'javascript');
    const items = await provider.provide(document, position, never());
    assert.deepEqual(items.map((item) => item.insertText), ['\n  const total = a + b;']);
    assert.equal(engine.requests[0]!.scoreTokens, true);
    assert.equal(engine.steps[0], body.indexOf('  return') + 6, 'stopped at the character that took it under e^-5');

    // Typed into in the middle of a line: a look (hover, Alt+]) gets the cache's rest, both shown lines of it; asked for
    // (Alt+\), the model writes the block where it starts (a run at the cursor would give one line), and the rest
    // after what was typed shows, the typed characters kept.
    const twoLines = '\n  const total = a + b;\n  const twice = total * 2;\n  return twice;\n}';
    const typing = setup(twoLines, { cache: true });
    typing.engine.logProbOf = (_, i) => (i >= twoLines.indexOf('  return') ? -1 : 0);
    await typing.provider.provide(document, position, never());
    const midLine = doc(`function add(a, b) {\n  co${CURSOR}`, 'javascript');
    assert.deepEqual((await typing.provider.provide(midLine.document, midLine.position, never(), 'look')).map((item) => item.insertText), ['nst total = a + b;\n  const twice = total * 2;']);
    assert.equal(typing.engine.requests.length, 1);
    const askedMidLine = await typing.provider.provide(midLine.document, midLine.position, never(), 'asked');
    assert.deepEqual(askedMidLine.map((item) => [item.insertText, item.range]), [['nst total = a + b;\n  const twice = total * 2;\n  return twice;\n}', { start: midLine.position, end: midLine.position }]]);
    assert.equal(typing.engine.requests.length, 2);
    assert.deepEqual(typing.engine.requests[1]!.promptIds, typing.engine.requests[0]!.promptIds, 'asked where the block starts, without the typed "co"');
    // Asked again: the whole block is cached now, and no run is needed.
    assert.deepEqual((await typing.provider.provide(midLine.document, midLine.position, never(), 'asked')).map((item) => item.insertText), [askedMidLine[0]!.insertText]);
    assert.equal(typing.engine.requests.length, 2);

    // The same in a CRLF document: the typed line break is two characters there, one in the cache.
    const crlf = setup(twoLines, { cache: true });
    crlf.engine.logProbOf = (_, i) => (i >= twoLines.indexOf('  return') ? -1 : 0);
    const crlfHeader = doc(`function add(a, b) {${CURSOR}\r\n`, 'javascript');
    await crlf.provider.provide(crlfHeader.document, crlfHeader.position, never());
    const crlfMidLine = doc(`function add(a, b) {\r\n  co${CURSOR}\r\n`, 'javascript');
    assert.deepEqual((await crlf.provider.provide(crlfMidLine.document, crlfMidLine.position, never(), 'asked')).map((item) => item.insertText), ['nst total = a + b;\r\n  const twice = total * 2;\r\n  return twice;\r\n}']);
    assert.deepEqual(crlf.engine.requests[1]!.promptIds, crlf.engine.requests[0]!.promptIds, 'asked where the block starts');

    // Asked, and the new run no longer starts with what was typed: the suggestion typed into keeps showing, and stays
    // in the cache for the next keystroke.
    const diverged = setup(() => (diverged.engine.requests.length === 1 ? twoLines : '\n  let sum = a + b;\n  return sum;\n}'), { cache: true });
    diverged.engine.logProbOf = (text, i) => (text === twoLines && i >= twoLines.indexOf('  return') ? -1 : 0);
    await diverged.provider.provide(document, position, never());
    assert.deepEqual((await diverged.provider.provide(midLine.document, midLine.position, never(), 'asked')).map((item) => item.insertText), ['nst total = a + b;\n  const twice = total * 2;']);
    const typedOn = doc(`function add(a, b) {\n  con${CURSOR}`, 'javascript');
    assert.deepEqual((await diverged.provider.provide(typedOn.document, typedOn.position, never())).map((item) => item.insertText), ['st total = a + b;\n  const twice = total * 2;']);
    assert.equal(diverged.engine.requests.length, 2);

    // Its line break typed, then asked for (Alt+\): the model writes the block whole where it starts, not the cache its
    // shown part.
    const whole = setup(body, { cache: true });
    whole.engine.logProbOf = (_, i) => (i >= body.indexOf('  return') ? -1 : 0);
    await whole.provider.provide(document, position, never());
    const typedBreak = doc(`function add(a, b) {\n  ${CURSOR}`, 'javascript');
    assert.deepEqual((await whole.provider.provide(typedBreak.document, typedBreak.position, never())).map((item) => item.insertText), ['const total = a + b;']);
    assert.equal(whole.engine.requests.length, 1, 'typing: from the cache');
    assert.deepEqual((await whole.provider.provide(typedBreak.document, typedBreak.position, never(), 'asked')).map((item) => item.insertText), ['const total = a + b;\n  return total * 2;\n}']);
    assert.equal(whole.engine.requests.length, 2);

    // Unsure from the next line's indentation on: the run stops with only blanks of that line written, so what shows
    // is all the run wrote, but not all the model would. Asked for at the same cursor, the model writes the block whole.
    const atIndent = setup(body, { cache: true });
    atIndent.engine.logProbOf = (_, i) => (i > body.indexOf('\n  return') ? -10 : 0);
    assert.deepEqual((await atIndent.provider.provide(document, position, never())).map((item) => item.insertText), ['\n  const total = a + b;']);
    assert.deepEqual((await atIndent.provider.provide(document, position, never(), 'asked')).map((item) => item.insertText), [body]);
    assert.equal(atIndent.engine.requests.length, 2);

    // The shown part taken and a line begun: the next lines are a new run's.
    const taken = doc(`function add(a, b) {\n  const total = a + b;\n  ${CURSOR}`, 'javascript');
    assert.deepEqual((await provider.provide(taken.document, taken.position, never())).map((item) => item.insertText), ['return total + 0;']);
    assert.equal(engine.requests.length, 2);
    assert.equal(engine.requests[1]!.nonBlank, false, 'on an empty line in the body it may end at once');

    // A look where the cut block starts (VS Code asks explicitly when the mouse rests on ghost text, and for Alt+]):
    // the cut block again, from the cache; the next ask (Alt+\) gets it whole.
    const looked = setup(body, { cache: true });
    looked.engine.logProbOf = (_, i) => (i >= body.indexOf('  return') ? -1 : 0);
    await looked.provider.provide(document, position, never());
    assert.deepEqual((await looked.provider.provide(document, position, never(), 'look')).map((item) => item.insertText), ['\n  const total = a + b;']);
    assert.equal(looked.engine.requests.length, 1, 'no model run for a look at what is shown');
    assert.deepEqual((await looked.provider.provide(document, position, never(), 'asked')).map((item) => item.insertText), [body]);
    assert.equal(looked.engine.requests.length, 2);
    // An answer the cache did not keep (made without the editor's member list, which was late): a look gets it again,
    // with no model run, and a look at a place cut at the time limit does not lift the limit.
    const reduce = 'points.reduce((sum, p) => sum + p.x, 0);';
    const late = setup(reduce, { stepMs: 1, cache: true, wordChoices: async () => null, settings: { completion: { timeLimitMs: 20, beamWidth: 1 } } });
    const member = doc(`const x = ${CURSOR}\n`);
    const typed = (await late.provider.provide(member.document, member.position, never())).map((item) => item.insertText);
    assert.deepEqual((await late.provider.provide(member.document, member.position, never(), 'look')).map((item) => item.insertText), typed);
    assert.equal(late.engine.requests.length, 1);
    // The same text again (version 2): no last answer for it, nothing cached; the model runs under the time limit.
    const again = new LineArrayDocument(member.document.uri, member.document.languageId, 2, member.document.getText());
    await late.provider.provide(again, member.position, never(), 'look');
    assert.deepEqual(late.engine.requests.map((request) => request.maxDecodeMs), [20, 20], 'a look does not lift the time limit');

    // With nothing cached for the cursor, the model runs, and its block shows as typing would show it.
    const unseen = setup(body, { cache: true });
    unseen.engine.logProbOf = (_, i) => (i >= body.indexOf('  return') ? -1 : 0);
    assert.deepEqual((await unseen.provider.provide(document, position, never(), 'look')).map((item) => item.insertText), ['\n  const total = a + b;']);

    // Asked for (Alt+\), the block is written and shown whole.
    const asked = setup(body);
    asked.engine.logProbOf = (_, i) => (i >= body.indexOf('  return') ? -1 : 0);
    assert.deepEqual((await asked.provider.provide(document, position, never(), 'asked')).map((item) => item.insertText), [body]);
    assert.equal(asked.engine.steps[0], body.length);

    // A block the model was sure of shows whole; a line is never scored.
    const sure = setup(body, { cache: true });
    sure.engine.logProbOf = () => -0.01;
    assert.deepEqual((await sure.provider.provide(document, position, never())).map((item) => item.insertText), [body]);
    // Asked for there, it is the whole already: from the cache, with no second run.
    assert.deepEqual((await sure.provider.provide(document, position, never(), 'asked')).map((item) => item.insertText), [body]);
    assert.equal(sure.engine.requests.length, 1);
    const line = setup('42;');
    const atLine = doc(`const x = ${CURSOR}\n`);
    await line.provider.provide(atLine.document, atLine.position, never());
    assert.equal(line.engine.requests[0]!.scoreTokens, false);
  });

  it('writes a block whole for the efficiency checks, which get all of it, while it shows the lines the model was sure of', async () => {
    const body = '\n  const total = a + b;\n  return total * 2;\n}';
    const handed: string[] = [];
    const efficiency = { offerFirst: () => undefined, cancelOthers: () => undefined, afterSuggestion: (r: { greedy: string }) => void handed.push(r.greedy), checksBlocks: () => true };
    const { provider, engine } = setup(body, { efficiency });
    engine.logProbOf = (_, i) => (i >= body.indexOf('  return') ? -1 : 0);
    const { document, position } = doc(`function add(a, b) {${CURSOR}`, 'javascript');
    assert.deepEqual((await provider.provide(document, position, never())).map((item) => item.insertText), ['\n  const total = a + b;']);
    assert.equal(engine.steps[0], body.length);
    assert.deepEqual(handed, [body]);
  });

  it('offers the finished lines of a block cut at the time limit, and says so once', async () => {
    const body = '\n  const total = a + b;\n  return total * 2;\n}\n';
    const { provider, engine, timings, logs } = setup(body, { stepMs: 1, settings: { completion: { timeLimitMs: 30 } } });
    const { document, position } = doc(`function add(a, b) {${CURSOR}`, 'javascript');
    const items = await provider.provide(document, position, never());
    assert.equal(engine.requests[0]!.maxDecodeMs, 30);
    // 31 characters were generated: the second line is cut inside `return`, so only the first is offered.
    assert.deepEqual(items.map((i) => i.insertText), ['\n  const total = a + b;']);
    assert.equal(timings[0]!.timeLimited, true);
    await provider.provide(doc(`function sub(a, b) {${CURSOR}`, 'javascript').document, position, never());
    assert.equal(logs.filter((l) => l.includes('locus.completion.timeLimitMs (30 ms)')).length, 1, logs.join('\n'));
  });

  it('offers the finished lines of a block cut at the token cap, as at the time limit', async () => {
    const { provider } = setup('\n  const total = a + b;\n  const after = total * 2;\n}\n', { settings: { completion: { maxNewTokens: 30 } } });
    const { document, position } = doc(`function add(a, b) {${CURSOR}`, 'javascript');
    // 30 characters end inside `const`: the cut line is not offered.
    assert.deepEqual((await provider.provide(document, position, never())).map((i) => i.insertText), ['\n  const total = a + b;']);
  });

  it('says once why a token cap too low to finish a word shows nothing, and marks the timings', async () => {
    const { provider, timings, logs } = setup('points.reduce((sum, p) => sum + p.x, 0);', { settings: { completion: { maxNewTokens: 1 } } });
    const first = doc(`const x = ${CURSOR}\n`);
    assert.deepEqual(await provider.provide(first.document, first.position, never()), []);
    const second = doc(`const y = ${CURSOR}\n`, 'typescript', 'file:///b.ts');
    assert.deepEqual(await provider.provide(second.document, second.position, never()), []);
    assert.deepEqual(timings.map((t) => t.tokenLimited), [true, true]);
    assert.equal(logs.filter((l) => /locus\.completion\.maxNewTokens \(1 token\) before a word or line of it was finished.*raise the setting \(its default is 96\)/.test(l)).length, 1, logs.join('\n'));
    // A cap that leaves a finished part is no news.
    const { provider: roomy, timings: roomyTimings } = setup('\n  const total = a + b;\n  const after = total * 2;\n}\n', { settings: { completion: { maxNewTokens: 30 } } });
    const block = doc(`function add(a, b) {${CURSOR}`, 'javascript');
    await roomy.provide(block.document, block.position, never());
    assert.equal(roomyTimings[0]!.tokenLimited, undefined);
  });

  it('runs no model at the end of a block header whose body is already there', async () => {
    const { provider, engine } = setup('\n    return body;\n  }');
    const { document, position } = doc(`function f(n) {\n  if (n > 0) {${CURSOR}\n    return n;\n  }\n}\n`, 'javascript');
    assert.deepEqual(await provider.provide(document, position, never()), []);
    assert.equal(engine.requests.length, 0);
  });

  it('drops the cut word of a line cut at the time limit, and sets no limit at 0', async () => {
    const line = 'points.reduce((sum, p) => sum + p.x, 0);';
    const { provider } = setup(line, { stepMs: 1, settings: { completion: { timeLimitMs: 20, beamWidth: 1 } } });
    const { document, position } = doc(`const x = ${CURSOR}\n`);
    assert.deepEqual((await provider.provide(document, position, never())).map((i) => i.insertText), ['points.reduce((sum,']);
    const unlimited = setup(line, { stepMs: 1, settings: { completion: { timeLimitMs: 0 } } });
    assert.deepEqual((await unlimited.provider.provide(document, position, never())).map((i) => i.insertText), [line]);
    assert.equal(unlimited.engine.requests[0]!.maxDecodeMs, undefined);
  });

  it('lets a completion cut at the time limit finish when the user asks again at the same place, and only there', async () => {
    const line = 'points.reduce((sum, p) => sum + p.x, 0);';
    const { provider, engine } = setup(line, { stepMs: 1, settings: { completion: { timeLimitMs: 20, beamWidth: 1 } } });
    const at = doc(`const x = ${CURSOR}\n`);
    assert.deepEqual((await provider.provide(at.document, at.position, never(), 'asked')).map((i) => i.insertText), ['points.reduce((sum,']);
    // An automatic request there keeps the limit; asking there again lets it finish.
    assert.deepEqual((await provider.provide(at.document, at.position, never(), 'typing')).map((i) => i.insertText), ['points.reduce((sum,']);
    assert.deepEqual((await provider.provide(at.document, at.position, never(), 'asked')).map((i) => i.insertText), [line]);
    // Asked once more there: the whole line again, not the cut one (it alternated before).
    assert.deepEqual((await provider.provide(at.document, at.position, never(), 'asked')).map((i) => i.insertText), [line]);
    assert.deepEqual(engine.requests.map((r) => r.maxDecodeMs), [20, 20, undefined, undefined], 'only the asked-again runs have no limit');
    const other = doc(`const y = ${CURSOR}\n`, 'typescript', 'file:///b.ts');
    await provider.provide(other.document, other.position, never(), 'asked');
    assert.equal(engine.requests.at(-1)!.maxDecodeMs, 20, 'another place keeps the limit');
  });

  it("counts beam search's finished line chosen when time ran out as cut: asking again lets the search finish", async () => {
    const { provider, engine } = setup('points;');
    const generate = engine.generate.bind(engine);
    // What beam search answers when the limit ends it after a short line has finished: that line, with its own stop reason.
    engine.generate = async (request, hooks) => {
      const result = await generate(request, hooks);
      return request.maxDecodeMs === undefined ? result : { ...result, text: 'p;', stopReason: 'stop', timeLimited: true };
    };
    const at = doc(`const x = ${CURSOR}\n`);
    assert.deepEqual((await provider.provide(at.document, at.position, never(), 'asked')).map((i) => i.insertText), ['p;']);
    assert.deepEqual((await provider.provide(at.document, at.position, never(), 'asked')).map((i) => i.insertText), ['points;']);
    assert.deepEqual(engine.requests.map((r) => r.maxDecodeMs), [1000, undefined]);
  });

  it('prompts a CRLF document as LF, answers it in CRLF, and keeps showing the rest as its lines are typed', async () => {
    const body = '\n  const total = a + b;\n  return total;\n}\n';
    const { provider, engine } = setup(body, { cache: true });
    const at = doc(`function add(a, b) {${CURSOR}\r\n}\r\n`, 'javascript');
    const [item] = await provider.provide(at.document, at.position, never());
    assert.equal(item?.insertText, '\r\n  const total = a + b;\r\n  return total;');
    assert.ok(!engine.requests[0]!.promptIds.includes('\r'.charCodeAt(0)), 'no carriage return reaches the model');
    // The user types the first line and Enter (VS Code inserts CRLF here): the rest comes from the cache.
    const typed = doc(`function add(a, b) {\r\n  const total = a + b;\r\n${CURSOR}\r\n}\r\n`, 'javascript');
    const [rest] = await provider.provide(typed.document, typed.position, never());
    assert.equal(rest?.insertText, '  return total;');
    assert.equal(engine.requests.length, 1, 'no second model run');
  });

  it('keeps showing the rest while openers typed from it are auto-closed by the editor, without its copy of their closers', async () => {
    // VS Code's default autoClosingBrackets: typing `(` of `(square);` gives `perimeter(|)`. A new completion there
    // leaves out the `)` (and what follows it) that the line already has; so does the cached rest.
    const { provider, engine, timings } = setup('(square);', { cache: true });
    const shown = async (text: string) => {
      const at = doc(text);
      const items = await provider.provide(at.document, at.position, never());
      return items.map((i) => i.insertText);
    };
    assert.deepEqual(await shown(`const total = perimeter${CURSOR}\n`), ['(square);']);
    assert.deepEqual(await shown(`const total = perimeter(${CURSOR})\n`), ['square']);
    assert.deepEqual(await shown(`const total = perimeter(squ${CURSOR})\n`), ['are']);
    assert.deepEqual(await shown(`const total = perimeter(square${CURSOR})\n`), [], 'what is left of the rest is what the line has');
    // Typing `)` types over the auto-inserted one: the text after the cursor is the cached one again.
    assert.deepEqual(await shown(`const total = perimeter(square)${CURSOR}\n`), [';']);
    assert.equal(engine.requests.length, 1, 'no second model run');
    assert.deepEqual(timings.map((t) => t.cacheHit), [false, true, true, true, true]);
  });

  it('asks the model again where the rest and the closers the editor put there would not spell the cached completion', async () => {
    // `{ a: [` typed from `{ a: [1, 2] }` leaves `]}` after the cursor: the rest without a copy of them is `1, 2] }`,
    // which Tab would make `{ a: [1, 2] }]}`.
    const nested = setup('{ a: [1, 2] }', { cache: true });
    const first = doc(`const x = ${CURSOR}\n`);
    assert.deepEqual((await nested.provider.provide(first.document, first.position, never())).map((i) => i.insertText), ['{ a: [1, 2] }']);
    const typed = doc(`const x = { a: [${CURSOR}]}\n`);
    await nested.provider.provide(typed.document, typed.position, never());
    assert.equal(nested.engine.requests.length, 2, 'a model run, not a cached rest that doubles the closers');
    assert.deepEqual(nested.timings.map((t) => t.cacheHit), [false, false]);
  });

  it('keeps showing the rest of a string whose quote the editor closed, and of a block whose call it closed', async () => {
    const quoted = setup("'total';", { cache: true });
    const first = doc(`const label = ${CURSOR};\n`);
    assert.deepEqual((await quoted.provider.provide(first.document, first.position, never())).map((i) => i.insertText), ["'total'"]);
    const typed = doc(`const label = '${CURSOR}';\n`);
    assert.deepEqual((await quoted.provider.provide(typed.document, typed.position, never())).map((i) => i.insertText), ['total']);
    assert.equal(quoted.engine.requests.length, 1);

    // A block's rest: its closing line loses the `)` the editor put after the cursor (and the `;` after it), as a
    // completion's last line does where the line already has closers (dropLinesFollowingCursor).
    const block = setup('(item) => {\n  total += item;\n});', { cache: true });
    const call = doc(`items.forEach(${CURSOR}\n`);
    assert.deepEqual((await block.provider.provide(call.document, call.position, never())).map((i) => i.insertText), ['(item) => {\n  total += item;\n});']);
    const opened = doc(`items.forEach((${CURSOR})\n`);
    assert.deepEqual((await block.provider.provide(opened.document, opened.position, never())).map((i) => i.insertText), ['item) => {\n  total += item;\n}']);
    const typedOn = doc(`items.forEach((ite${CURSOR})\n`);
    assert.deepEqual((await block.provider.provide(typedOn.document, typedOn.position, never())).map((i) => i.insertText), ['m) => {\n  total += item;\n}']);
    assert.equal(block.engine.requests.length, 1);
  });

  it('answers in the line ending the document uses: CRLF, else LF, else a lone CR', () => {
    assert.equal(lineEndingOf('a\r\nb\nc'), '\r\n');
    assert.equal(lineEndingOf('a\nb\rc\n'), '\n', 'a stray CR in an LF file');
    assert.equal(lineEndingOf('a\rb\r'), '\r');
    assert.equal(lineEndingOf('one line'), '\n');
  });

  it('prompts a document with lone CR line ends as LF and answers it in CR, its indentation read across them', async () => {
    const body = '\n\tconst total = a + b;\n\treturn total;\n}\n';
    const { provider, engine } = setup(body, { cache: true });
    const at = doc(`function sub(a, b) {\r\treturn a - b;\r}\rfunction add(a, b) {${CURSOR}\r}\r`, 'javascript');
    const [item] = await provider.provide(at.document, at.position, never());
    assert.equal(item?.insertText, '\r\tconst total = a + b;\r\treturn total;');
    const prompt = String.fromCodePoint(...engine.requests[0]!.promptIds);
    assert.ok(!prompt.includes('\r'), `no carriage return reaches the model: ${JSON.stringify(prompt)}`);
    assert.ok(prompt.includes('function sub(a, b) {\n\treturn a - b;\n}\nfunction add(a, b) {'), JSON.stringify(prompt));
    const typed = doc(`function sub(a, b) {\r\treturn a - b;\r}\rfunction add(a, b) {\r\tconst total = a + b;\r${CURSOR}\r}\r`, 'javascript');
    const [rest] = await provider.provide(typed.document, typed.position, never());
    assert.equal(rest?.insertText, '\treturn total;');
    assert.equal(engine.requests.length, 1, 'the rest comes from the cache');
  });

  it('continues the suggest widget\'s selected item, over its range, as VS Code shows only such completions then', async () => {
    const { provider, engine } = setup(' * 2;');
    const at = doc(`const total = items.le${CURSOR}\n`);
    const range = { start: { line: 0, character: 20 }, end: at.position };
    const items = await provider.provide(at.document, at.position, never(), 'typing', { range, text: 'length' });
    assert.deepEqual(items, [{ insertText: 'length * 2;', range }]);
    const prompt = String.fromCodePoint(...engine.requests[0]!.promptIds);
    assert.ok(prompt.endsWith('const total = items.length'), `the model writes on after the item: ${JSON.stringify(prompt)}`);
  });

  it('keeps the completion after a selected item showing while keystrokes keep that item selected, with no new model run', async () => {
    const { provider, engine } = setup(' * 2;', { cache: true, settings: { completion: { trigger: 'manual' } } });
    const asked = doc(`const total = items.le${CURSOR}\n`);
    const start = { line: 0, character: 20 };
    await provider.provide(asked.document, asked.position, never(), 'asked', { range: { start, end: asked.position }, text: 'length' });
    const typed = doc(`const total = items.len${CURSOR}\n`);
    const range = { start, end: typed.position };
    assert.deepEqual(await provider.provide(typed.document, typed.position, never(), 'typing', { range, text: 'length' }), [{ insertText: 'length * 2;', range }]);
    assert.equal(engine.requests.length, 1);
  });

  it('with the manual trigger, runs the model only when asked and keeps showing the rest of what was asked for', async () => {
    const { provider, engine, timings } = setup('42;', { cache: true, settings: { completion: { trigger: 'manual' } } });
    const at = doc(`const x = ${CURSOR}\n`);
    assert.deepEqual(await provider.provide(at.document, at.position, never(), 'typing'), []);
    assert.equal(engine.requests.length, 0, 'typing runs no model');
    assert.deepEqual(await provider.provide(at.document, at.position, never(), 'asked'), [{ insertText: '42;', range: { start: at.position, end: at.position } }]);
    const typedInto = doc(`const x = 4${CURSOR}\n`);
    assert.deepEqual((await provider.provide(typedInto.document, typedInto.position, never(), 'typing')).map((i) => i.insertText), ['2;']);
    const elsewhere = doc(`const y = ${CURSOR}\n`, 'typescript', 'file:///b.ts');
    assert.deepEqual(await provider.provide(elsewhere.document, elsewhere.position, never(), 'typing'), []);
    assert.equal(engine.requests.length, 1, 'one model run: the asked-for one');
    assert.deepEqual(timings.map((t) => t.cacheHit), [false, true]);
  });

  it('does not cache a member completion made while the editor\'s member list was missing', async () => {
    const at = doc(`tally.${CURSOR}\n`);
    const typedInto = doc(`tally.c${CURSOR}\n`);
    for (const [missing, runs] of [[null, 2], [undefined, 1]] as const) {
      const { provider, engine, timings } = setup('count = 0;', { cache: true, wordChoices: async () => missing });
      await provider.provide(at.document, at.position, never());
      await provider.provide(typedInto.document, typedInto.position, never());
      assert.equal(engine.requests.length, runs, `wordChoices ${missing}: ${runs} model run(s)`);
      assert.deepEqual(timings.map((t) => t.cacheHit), runs === 2 ? [false, false] : [false, true]);
    }
  });

  it('asks the model again once a cached completion is typed into a member access that member names constrain', async () => {
    const before = doc(`const n = tally${CURSOR}\n`);
    const after = doc(`const n = tally.${CURSOR}\n`);
    for (const [wordChoices, runs] of [[async () => ['resetQuorum'], 2], [undefined, 1]] as const) {
      const { provider, engine } = setup('.count = 0;', { cache: true, wordChoices });
      await provider.provide(before.document, before.position, never());
      await provider.provide(after.document, after.position, never());
      assert.equal(engine.requests.length, runs, wordChoices ? 'the dot begins a member access: the model runs with the names' : 'nothing constrains it: typed into');
    }
  });

  it('answers nothing before the model is ready', async () => {
    const { provider, engine } = setup('x', { ready: false });
    const { document, position } = doc(`let a = ${CURSOR}`);
    assert.deepEqual(await provider.provide(document, position, never()), []);
    assert.equal(engine.requests.length, 0);
  });

  it('answers nothing for a disabled language', async () => {
    const { provider, engine } = setup('x', { settings: { completion: { languages: { typescript: false } } } });
    const { document, position } = doc(`let a = ${CURSOR}`);
    assert.deepEqual(await provider.provide(document, position, never()), []);
    assert.equal(engine.requests.length, 0);
  });

  it('skips binary and huge documents with one log line per document, not one per keystroke', async () => {
    const { provider, engine, logs, skipped } = setup('x');
    const binary = doc(`abc\u0000${CURSOR}`);
    assert.deepEqual(await provider.provide(binary.document, binary.position, never()), []);
    assert.deepEqual(await provider.provide(binary.document, binary.position, never()), []);
    const big = 'a'.repeat(MAX_DOCUMENT_CHARS + 1);
    const at = (text: string, version: number) => {
      const document = new LineArrayDocument('file:///huge.ts', 'typescript', version, text);
      return provider.provide(document, document.positionAt(text.length), never());
    };
    // Typing in it: every keystroke is a new version.
    for (let version = 1; version <= 5; version++) assert.deepEqual(await at(big + 'b'.repeat(version), version), []);
    assert.equal(engine.requests.length, 0);
    assert.equal(logs.length, 2, logs.join('\n'));
    assert.match(logs[0]!, /binary/);
    assert.match(logs[1]!, /over 1 MiB/);
    // Cut down to size, it completes; grown again, it is said again.
    await at('const x = ', 6);
    assert.equal(engine.requests.length, 1);
    await at(big, 7);
    assert.equal(logs.filter((l) => l.includes('over 1 MiB')).length, 2, logs.join('\n'));
    // The status bar hears each change once: skipped, completed again, skipped.
    assert.deepEqual(
      skipped.map(([uri, reason]) => [uri, reason === null ? null : /binary|over 1 MiB/.exec(reason)?.[0]]),
      [['file:///a.ts', 'binary'], ['file:///huge.ts', 'over 1 MiB'], ['file:///huge.ts', null], ['file:///huge.ts', 'over 1 MiB']],
    );
  });

  it('skips minified code, where the model only loops and the one long line is slow to read, and says why once', async () => {
    const { provider, engine, skipped } = setup('x');
    const bundle = doc(`${Array.from({ length: 400 }, (_, i) => `function f${i}(a){return a*${i}}`).join(';')};${CURSOR}`, 'javascript', 'file:///w/app.min.js');
    assert.deepEqual(await provider.provide(bundle.document, bundle.position, never()), []);
    assert.deepEqual(await provider.provide(bundle.document, bundle.position, never()), []);
    assert.equal(engine.requests.length, 0);
    assert.deepEqual(skipped.map(([uri, reason]) => [uri, /minified.*format the file/.test(reason ?? '')]), [['file:///w/app.min.js', true]]);
    // The same code formatted, a function a line, completes.
    const formatted = doc(`${Array.from({ length: 400 }, (_, i) => `function f${i}(a){return a*${i}}`).join(';\n')};${CURSOR}`, 'javascript', 'file:///w/app.js');
    await provider.provide(formatted.document, formatted.position, never());
    assert.equal(engine.requests.length, 1);
  });

  it('makes no prompt of a document whose text must stay out of prompts, and says why once', async () => {
    const reason = 'No completions in this file: it is a secret file.';
    const { provider, engine, logs, skipped } = setup('sk_live_copied', { privateReason: (uri) => (uri.endsWith('.env') ? reason : undefined) });
    const secret = doc(`STRIPE_SECRET_KEY=sk_live_51H\nSTRIPE_PUBLISHABLE_KEY=${CURSOR}`, 'dotenv', 'file:///w/.env');
    assert.deepEqual(await provider.provide(secret.document, secret.position, never(), 'asked'), []);
    assert.deepEqual(await provider.provide(secret.document, secret.position, never(), 'asked'), []);
    assert.equal(engine.requests.length, 0, 'the model never saw it');
    assert.deepEqual(skipped, [['file:///w/.env', reason]]);
    assert.equal(logs.filter((l) => l.includes(reason)).length, 1);
    // Closed and opened again: the client forgot the reason, so it is said again.
    provider.documentClosed('file:///w/.env');
    await provider.provide(secret.document, secret.position, never(), 'asked');
    assert.deepEqual(skipped, [['file:///w/.env', reason], ['file:///w/.env', reason]]);
  });

  it('says why at once when a document kept out of prompts opens, and not again at its first request', async () => {
    const reason = 'No completions in this file: locus.exclude names it.';
    const { provider, engine, logs, skipped } = setup('x', { privateReason: (uri) => (uri.includes('/drafts/') ? reason : undefined) });
    provider.documentOpened('file:///w/src/app.ts');
    assert.deepEqual(skipped, [], 'nothing to say of a document Locus completes');
    provider.documentOpened('file:///w/drafts/notes.ts');
    assert.deepEqual(skipped, [['file:///w/drafts/notes.ts', reason]]);
    const draft = doc(`const a = ${CURSOR}`, 'typescript', 'file:///w/drafts/notes.ts');
    assert.deepEqual(await provider.provide(draft.document, draft.position, never()), []);
    assert.equal(engine.requests.length, 0);
    assert.equal(skipped.length, 1, 'said once');
    assert.equal(logs.filter((l) => l.includes(reason)).length, 1);
  });

  it('says at an exclude change that a document skipped for it is no longer, with no request there', async () => {
    let excluded = new Set(['file:///w/src/shapes.ts', 'file:///w/big.ts']);
    const excludedReason = 'No completions in this file: locus.exclude names it.';
    const { provider, skipped } = setup('x', { privateReason: (uri) => (excluded.has(uri) ? excludedReason : undefined) });
    const shapes = doc(`const a = ${CURSOR}`, 'typescript', 'file:///w/src/shapes.ts');
    await provider.provide(shapes.document, shapes.position, never());
    const binary = doc(`abc\u0000${CURSOR}`, 'typescript', 'file:///w/blob.ts');
    await provider.provide(binary.document, binary.position, never());
    skipped.length = 0;
    excluded = new Set(['file:///w/big.ts']);
    provider.contextChanged();
    assert.deepEqual(skipped, [['file:///w/src/shapes.ts', null]], 'a binary file stays skipped, unsaid');
    provider.contextChanged();
    assert.equal(skipped.length, 1, 'said once');
    // Excluded again: said again, as a request would have.
    excluded = new Set(['file:///w/src/shapes.ts']);
    await provider.provide(shapes.document, shapes.position, never());
    assert.deepEqual(skipped.at(-1), ['file:///w/src/shapes.ts', excludedReason]);
  });

  it('skips a huge document without joining its text', async () => {
    const { provider } = setup('x');
    let reads = 0;
    const huge = { uri: 'file:///huge.ts', languageId: 'typescript', version: 1, length: MAX_DOCUMENT_CHARS + 1, offsetAt: () => 0, getText: () => String(++reads) };
    assert.deepEqual(await provider.provide(huge, { line: 0, character: 0 }, never()), []);
    assert.equal(reads, 0);
  });

  it('logs a failing engine and answers nothing instead of throwing', async () => {
    const { provider, logs } = setup(() => {
      throw new Error('session exploded');
    });
    const { document, position } = doc(`let a = ${CURSOR}`);
    assert.deepEqual(await provider.provide(document, position, never()), []);
    assert.match(logs.join('\n'), /session exploded/);
  });

  it('answers nothing when cancelled mid-generation, stopping the engine within a step', async () => {
    const { provider, engine } = setup('a'.repeat(150), { stepMs: 2 });
    const { document, position } = doc(`let a = ${CURSOR}`);
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 20);
    assert.deepEqual(await provider.provide(document, position, cancel.signal), []);
    assert.ok(engine.steps[0]! < 100, `took ${engine.steps[0]} steps`);
  });

  it('lets a newer request for the same document abort the older one', async () => {
    const { provider, engine } = setup('b'.repeat(100), { stepMs: 2 });
    const { document, position } = doc(`let a = ${CURSOR}`);
    const older = provider.provide(document, position, never());
    await new Promise((resolve) => setTimeout(resolve, 10));
    const newer = provider.provide(document, position, never());
    assert.deepEqual(await older, []);
    assert.equal((await newer)[0]!.insertText, 'b'.repeat(100));
    assert.equal(engine.maxConcurrent, 1);
  });
});
