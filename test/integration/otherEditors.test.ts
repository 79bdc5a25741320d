// The built server as editors other than VS Code drive it (Neovim, Helix, Emacs, Zed send what LSP allows, not what
// VS Code's client sends): their language ids, settings pushed in parts or not at all, positions the document does not
// have, the suggest widget's selected item, requests outside the server's lifecycle, malformed Locus requests,
// workspace URIs with no local path.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCodes, InlineCompletionRequest, InlineCompletionTriggerKind, ResponseError, type InlineCompletionList } from 'vscode-languageserver-protocol';
import { withTimeout } from '../../cli/serverProcess';
import { CompressRequest, ExplainRequest, TelemetryExportRequest, TelemetryRequest } from '../../lsp-server/protocol';
import { FIXTURE_MODEL, LspHarness, WAIT_MS } from './lspHarness';

const FIXTURE = { model: { path: FIXTURE_MODEL }, completion: { maxNewTokens: 24, timeLimitMs: 0 } };

async function rejection(request: Promise<unknown>): Promise<ResponseError<unknown>> {
  const error = await withTimeout(request, WAIT_MS, 'request').then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof ResponseError, `a ResponseError, got ${String(error)}`);
  return error;
}

describe('the server as other editors use it', () => {
  let lsp: LspHarness;
  const generated = () => lsp.timings.length;

  before(async () => {
    // The whole configuration block, as an editor passes its settings for this server.
    lsp = await LspHarness.start({ locus: { ...FIXTURE, completion: { ...FIXTURE.completion, trigger: 'manual' } } }, { rootUri: 'file://fileserver/share/project' });
    await lsp.waitForStatus((s) => s.state === 'ready', 'the model to load');
  });
  after(async () => {
    await lsp.stop();
  });

  it('comes up with a workspace URI that has no local path, and takes settings wrapped in { locus }', async () => {
    await lsp.open('file:///other/a.py', 'python', 'def add(a, b):\n    return ');
    const before = generated();
    await lsp.complete('file:///other/a.py', { line: 1, character: 11 }, undefined, InlineCompletionTriggerKind.Automatic);
    assert.equal(generated(), before, 'manual trigger (from { locus: ... }): typing runs no model');
    await lsp.complete('file:///other/a.py', { line: 1, character: 11 }, undefined, InlineCompletionTriggerKind.Invoked);
    assert.equal(generated(), before + 1, 'asking runs it');
  });

  it('keeps the settings it has when a client pushes only a part of them, or none', async () => {
    await lsp.configure({ completion: { maxNewTokens: 8 } });
    await lsp.configure(null);
    await lsp.open('file:///other/b.py', 'python', 'total = 0\nfor x in items:\n    total += ');
    const before = generated();
    await lsp.complete('file:///other/b.py', { line: 2, character: 13 }, undefined, InlineCompletionTriggerKind.Automatic);
    assert.equal(generated(), before, 'still manual after a push of maxNewTokens alone and a null push');
    await lsp.complete('file:///other/b.py', { line: 2, character: 13 }, undefined, InlineCompletionTriggerKind.Invoked);
    assert.ok(lsp.timings.at(-1)!.generatedTokens <= 8, 'the pushed part applies');
  });

  it("treats Neovim's and Helix's `text` as plain text, which is off by default", async () => {
    await lsp.open('file:///other/notes.txt', 'text', 'Remember to ');
    const before = generated();
    assert.equal(await lsp.complete('file:///other/notes.txt', { line: 0, character: 12 }, undefined, InlineCompletionTriggerKind.Invoked), '');
    assert.equal(generated(), before, 'no model run for plain text');
  });

  it('answers at the position the document has: past the line end is its end, and a missing context is typing', async () => {
    const text = 'const values = [1, 2, 3];\nconst sum = ';
    await lsp.open('file:///other/c.ts', 'typescript', text);
    const result = (await withTimeout(
      lsp.server.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri: 'file:///other/c.ts' }, position: { line: 1, character: 400 }, context: { triggerKind: InlineCompletionTriggerKind.Invoked } }),
      WAIT_MS,
      'inlineCompletion',
    )) as InlineCompletionList;
    assert.ok(result.items.length > 0, 'the fixture model answers here');
    for (const item of result.items) assert.deepEqual(item.range, { start: { line: 1, character: 12 }, end: { line: 1, character: 12 } });
    const before = generated();
    const noContext = (await withTimeout(
      lsp.server.connection.sendRequest('textDocument/inlineCompletion', { textDocument: { uri: 'file:///other/c.ts' }, position: { line: 1, character: 12 } }),
      WAIT_MS,
      'inlineCompletion without context',
    )) as InlineCompletionList;
    assert.deepEqual(noContext.items, []);
    assert.equal(generated(), before, 'without a context, a manual-trigger server runs no model');
  });

  it("continues the suggest widget's selected item over its range (LSP selectedCompletionInfo)", async () => {
    await lsp.open('file:///other/d.ts', 'typescript', 'const n = items.le\n');
    const range = { start: { line: 0, character: 16 }, end: { line: 0, character: 18 } };
    const result = (await withTimeout(
      lsp.server.connection.sendRequest(InlineCompletionRequest.type, {
        textDocument: { uri: 'file:///other/d.ts' },
        position: range.end,
        context: { triggerKind: InlineCompletionTriggerKind.Invoked, selectedCompletionInfo: { range, text: 'length' } },
      }),
      WAIT_MS,
      'inlineCompletion',
    )) as InlineCompletionList;
    assert.ok(result.items.length > 0, 'the fixture model answers here');
    for (const item of result.items) {
      assert.deepEqual(item.range, range);
      assert.ok(typeof item.insertText === 'string' && item.insertText.startsWith('length'), JSON.stringify(item.insertText));
    }
  });

  it('refuses malformed requests with InvalidParams and a sentence, not an internal error', async () => {
    const bad = [
      lsp.server.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri: 'file:///other/c.ts' }, position: { line: -1, character: 0.5 }, context: { triggerKind: 1 } }),
      lsp.server.connection.sendRequest(CompressRequest.type, {} as never),
      lsp.server.connection.sendRequest(ExplainRequest.type, { textDocument: { uri: 'file:///other/c.ts' } } as never),
      lsp.server.connection.sendRequest(TelemetryExportRequest.type, { format: 'xml' } as never),
      // These were taken as the defaults without a word.
      ...[-5, 1.5, 'x', 0].map((budget) =>
        lsp.server.connection.sendRequest(CompressRequest.type, { textDocument: { uri: 'file:///other/c.ts' }, position: { line: 0, character: 0 }, budget } as never),
      ),
      lsp.server.connection.sendRequest(TelemetryRequest.type, { since: 'yesterday' } as never),
      lsp.server.connection.sendRequest(TelemetryExportRequest.type, { format: 'json', since: '2026-12-01' } as never),
    ];
    for (const request of bad) {
      const error = await rejection(request);
      assert.equal(error.code, ErrorCodes.InvalidParams, error.message);
      assert.doesNotMatch(error.message, /TypeError|Cannot read properties/);
    }
  });

  it('refuses requests after shutdown with InvalidRequest', async () => {
    await withTimeout(lsp.server.connection.sendRequest('shutdown'), WAIT_MS, 'shutdown');
    const error = await rejection(
      lsp.server.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri: 'file:///other/c.ts' }, position: { line: 1, character: 12 }, context: { triggerKind: 1 } }),
    );
    assert.equal(error.code, ErrorCodes.InvalidRequest);
    await lsp.server.connection.sendNotification('exit');
  });
});

describe('the server with a client that answers workspace/configuration', () => {
  let lsp: LspHarness;
  let section: unknown = null;

  before(async () => {
    lsp = await LspHarness.start(FIXTURE, { capabilities: { workspace: { configuration: true } } });
    lsp.server.connection.onRequest('workspace/configuration', () => [section]);
    await lsp.waitForStatus((s) => s.state === 'ready', 'the model to load');
    await lsp.open('file:///other/e.py', 'python', 'def add(a, b):\n    return ');
  });
  after(async () => {
    await lsp.stop();
  });

  /** Whether an automatic request (typing) runs the model after the client's settings changed to `next`. */
  async function typingRunsModel(next: unknown): Promise<boolean> {
    section = next;
    await lsp.server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    // The server asks for the section; its answer is applied before the next request is read.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = lsp.timings.length;
    await lsp.complete('file:///other/e.py', { line: 1, character: 11 });
    return lsp.timings.length > before;
  }

  it('applies a pulled section whole: a key the user removed goes back to its default, and null changes nothing', async () => {
    assert.equal(await typingRunsModel({ completion: { trigger: 'manual' } }), false, 'manual: typing runs no model');
    assert.equal(await typingRunsModel({ completion: { maxNewTokens: 8 } }), true, 'trigger removed from the section: automatic again');
    assert.equal(await typingRunsModel(null), true, 'a null answer keeps the settings');
    assert.ok(lsp.timings.at(-1)!.generatedTokens <= 8);
  });
});
