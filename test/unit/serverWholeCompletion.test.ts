// Alt+\ against VS Code's own explicit requests, through the server as it is composed, with a scripted engine whose
// block the model grows unsure of: a client that marks the user's asks (`locus/wholeCompletion`) gets the whole block
// for a marked request and the cut one, with no model run, for an unmarked one (VS Code's hover, Alt+]).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { DidOpenTextDocumentNotification, InlineCompletionRequest, InlineCompletionTriggerKind, type InlineCompletionList, type Position } from 'vscode-languageserver-protocol';
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

  const complete = async (triggerKind: InlineCompletionTriggerKind) =>
    ((await server.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri: URI }, position: AT_HEADER_END, context: { triggerKind } })) as InlineCompletionList).items.map((item) => item.insertText);

  it('shows the cut block again for an unmarked explicit request, and the whole block for a marked one', async () => {
    const engine = await start(true);
    assert.deepEqual(await complete(InlineCompletionTriggerKind.Automatic), ['\n  const total = a + b;']);
    assert.deepEqual(await complete(InlineCompletionTriggerKind.Invoked), ['\n  const total = a + b;'], 'the mouse on it');
    assert.equal(engine.requests.length, 1, 'no model run for it');
    await server.connection.sendNotification(WholeCompletionNotification.type, { textDocument: { uri: URI }, position: AT_HEADER_END });
    assert.deepEqual(await complete(InlineCompletionTriggerKind.Invoked), [BODY], 'Alt+\\');
    assert.equal(engine.requests.length, 2);
  });

  it('takes every explicit request for the user’s where the client does not mark asks', async () => {
    const engine = await start(false);
    await complete(InlineCompletionTriggerKind.Automatic);
    assert.deepEqual(await complete(InlineCompletionTriggerKind.Invoked), [BODY]);
    assert.equal(engine.requests.length, 2);
  });
});
