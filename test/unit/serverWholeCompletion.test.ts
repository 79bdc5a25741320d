// Alt+\ against VS Code's own explicit requests, through the server as it is composed, with a scripted engine whose
// block the model grows unsure of: a client that marks the user's asks (`locus/wholeCompletion`) gets the whole block
// for a marked request and the cut one, with no model run, for an unmarked one (VS Code's hover, Alt+]).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { DidChangeTextDocumentNotification, DidOpenTextDocumentNotification, InlineCompletionRequest, InlineCompletionTriggerKind, type InlineCompletionList, type Position } from 'vscode-languageserver-protocol';
import { WholeCompletionNotification } from '../../lsp-server/protocol';
import { FakeEngine } from './fakeEngine';
import { startInProcessServer, type InProcessServer } from './inProcessServer';

const URI = 'file:///project/add.js';
const HEADER = 'function add(a, b) {';
const BODY = '\n  const total = a + b;\n  return total * 2;\n}';
const AT_HEADER_END: Position = { line: 0, character: HEADER.length };

describe('explicit requests from a client that marks the user’s asks', () => {
  let server: InProcessServer;
  afterEach(async () => {
    await server.stop();
  });

  async function start(marks: boolean): Promise<FakeEngine> {
    const engine = new FakeEngine(() => BODY);
    // Sure of the first line, a nat per character from the second on.
    engine.logProbOf = (_, i) => (i >= BODY.indexOf('  return') ? -1 : 0);
    server = await startInProcessServer(engine, {}, marks ? { experimental: { [WholeCompletionNotification.capability]: true } } : {});
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: URI, languageId: 'javascript', version: 1, text: HEADER } });
    return engine;
  }

  const complete = async (triggerKind: InlineCompletionTriggerKind, position = AT_HEADER_END) =>
    ((await server.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri: URI }, position, context: { triggerKind } })) as InlineCompletionList).items.map((item) => item.insertText);

  it('shows the cut block again for an unmarked explicit request, and the whole block for a marked one', async () => {
    const engine = await start(true);
    assert.deepEqual(await complete(InlineCompletionTriggerKind.Automatic), ['\n  const total = a + b;']);
    assert.deepEqual(await complete(InlineCompletionTriggerKind.Invoked), ['\n  const total = a + b;'], 'the mouse on it');
    assert.equal(engine.requests.length, 1, 'no model run for it');
    await server.connection.sendNotification(WholeCompletionNotification.type, { textDocument: { uri: URI }, position: AT_HEADER_END });
    assert.deepEqual(await complete(InlineCompletionTriggerKind.Invoked), [BODY], 'Alt+\\');
    assert.equal(engine.requests.length, 2);
  });

  it('shows the rest of the whole block for a marked request after the cut one was typed into', async () => {
    const engine = await start(true);
    await complete(InlineCompletionTriggerKind.Automatic);
    // The line break and `co` typed: the cut block's rest from the cache while typing, and for a look.
    await server.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: URI, version: 2 }, contentChanges: [{ range: { start: AT_HEADER_END, end: AT_HEADER_END }, text: '\n  co' }] });
    const typed: Position = { line: 1, character: 4 };
    assert.deepEqual(await complete(InlineCompletionTriggerKind.Automatic, typed), ['nst total = a + b;']);
    assert.deepEqual(await complete(InlineCompletionTriggerKind.Invoked, typed), ['nst total = a + b;']);
    assert.equal(engine.requests.length, 1);
    await server.connection.sendNotification(WholeCompletionNotification.type, { textDocument: { uri: URI }, position: typed });
    assert.deepEqual(await complete(InlineCompletionTriggerKind.Invoked, typed), [BODY.slice('\n  co'.length)], 'Alt+\\: the rest of the whole block');
    assert.deepEqual(engine.requests[1]!.promptIds, engine.requests[0]!.promptIds, 'asked where the block starts');
  });

  it('takes every explicit request for the user’s where the client does not mark asks', async () => {
    const engine = await start(false);
    await complete(InlineCompletionTriggerKind.Automatic);
    assert.deepEqual(await complete(InlineCompletionTriggerKind.Invoked), [BODY]);
    assert.equal(engine.requests.length, 2);
  });
});
