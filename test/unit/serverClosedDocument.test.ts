// A completion whose document the client closed, or closed and opened again with other text, while the model ran
// answers nothing: its items were for a text that is gone. The model run is held until the server has handled the
// close. Against the built server this raced: it handles one queued message per event-loop turn, and the fixture
// model could answer within the turn after the request, before a close that had arrived with it was handled.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
  type InlineCompletionList,
  type Position,
} from 'vscode-languageserver-protocol';
import type { GenerateHooks, GenerateRequest, GenerateResult } from '../../runtime/engine';
import { FakeEngine } from './fakeEngine';
import { startInProcessServer, type InProcessServer } from './inProcessServer';

/** A fake engine whose first run starts only when the test releases it; later runs go at once. */
class HeldEngine extends FakeEngine {
  private started!: () => void;
  private release!: () => void;
  /** Resolves when the held run has been asked for. */
  readonly asked = new Promise<void>((resolve) => (this.started = resolve));
  private readonly released = new Promise<void>((resolve) => (this.release = resolve));

  override async generate(request: GenerateRequest, hooks?: GenerateHooks): Promise<GenerateResult> {
    this.started();
    await this.released;
    return super.generate(request, hooks);
  }

  finish(): void {
    this.release();
  }
}

const URI = 'file:///project/greet.py';
const OLD_TEXT = 'def greet(name):\n    return "Hello, " + ';
const NEW_TEXT = 'total = 0\ncount = ';

describe('a completion whose document is closed while the model runs', () => {
  let server: InProcessServer;
  afterEach(async () => {
    await server.stop();
  });

  const open = (text: string) => server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: URI, languageId: 'python', version: 1, text } });
  const close = () => server.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri: URI } });
  const complete = async (position: Position) =>
    ((await server.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri: URI }, position, context: { triggerKind: InlineCompletionTriggerKind.Invoked } })) as InlineCompletionList).items;
  /**
   * Resolves once the server has handled every message sent before: it handles them in order, and a completion for a
   * document never opened is answered at once without superseding the one running.
   */
  const handled = () =>
    server.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri: 'file:///project/never-opened.py' }, position: { line: 0, character: 0 }, context: { triggerKind: InlineCompletionTriggerKind.Invoked } });

  /** The answer to a completion at the end of OLD_TEXT, with `meanwhile` sent and handled while the model runs. */
  async function answerWhile(meanwhile: () => Promise<void>): Promise<unknown[]> {
    const engine = new HeldEngine(() => 'name');
    server = await startInProcessServer(engine);
    await open(OLD_TEXT);
    // Without a cancel, as an editor that does not cancel on close sends it.
    const answer = complete({ line: 1, character: 23 });
    await engine.asked;
    await meanwhile();
    await handled();
    engine.finish();
    return answer;
  }

  it('answers as usual when it stays open', async () => {
    assert.deepEqual(await answerWhile(async () => {}), [{ insertText: 'name', range: { start: { line: 1, character: 23 }, end: { line: 1, character: 23 } } }]);
  });

  it('answers nothing when it was closed', async () => {
    assert.deepEqual(await answerWhile(close), []);
  });

  it('answers nothing when it was opened again with other text, and answers the new text', async () => {
    assert.deepEqual(
      await answerWhile(async () => {
        await close();
        await open(NEW_TEXT);
      }),
      [],
    );
    assert.deepEqual(await complete({ line: 1, character: 8 }), [{ insertText: 'name', range: { start: { line: 1, character: 8 }, end: { line: 1, character: 8 } } }]);
  });
});
