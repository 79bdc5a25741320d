// locus/memberNames over LSP against the built server (dist/server.js) with the tiny fixture model: a client that
// declares the capability is asked for its completion list at a member access, and the completion starts with one
// of the members in it; a client that is slow to answer does not hold the completion up.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { InlineCompletionRequest, InlineCompletionTriggerKind } from 'vscode-languageserver-protocol';
import { withTimeout } from '../../cli/serverProcess';
import { CompressRequest, MemberNamesRequest, type MemberNamesParams } from '../../lsp-server/protocol';
import { FIXTURE_DRAFT, FIXTURE_MODEL, LspHarness, WAIT_MS, endOf } from './lspHarness';

const METHOD = 2;
const TEXT = 1;
/** An object whose type only an editor could know: no workspace module names its members. */
const CLIENT = 'const conn = createConnection(process.stdin, process.stdout);\n\nconst reply = conn.';
const SLOW = 'const other = createConnection();\n\nconst reply = other.';
const GEOMETRY = 'export function circleArea(radius) {\n  return Math.PI * radius * radius;\n}\n\nexport const UNIT_SQUARE_SIDE = 1;\n';
/** A workspace module's member: its names come from its text, and the editor is not asked. */
const SHAPES = "import * as geometry from './geometry';\n\nexport const area = geometry.";

describe('member names from the editor over LSP', () => {
  let lsp: LspHarness;
  let root: string;
  const asked: MemberNamesParams[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'locus-members-ws-'));
    writeFileSync(join(root, 'geometry.js'), GEOMETRY);
    lsp = await LspHarness.start(
      { model: { path: FIXTURE_MODEL, draftPath: FIXTURE_DRAFT }, completion: { maxNewTokens: 16 } },
      { workspace: root, capabilities: { experimental: { [MemberNamesRequest.capability]: true } } },
    );
    lsp.server.connection.onRequest(MemberNamesRequest.type, async (params) => {
      asked.push(params);
      if (params.textDocument.uri.endsWith('slow.js')) await new Promise((resolve) => setTimeout(resolve, 5000));
      return { entries: [{ name: 'sendRequest', kind: METHOD }, { name: 'onNotification', kind: METHOD }, { name: 'createConnection', kind: TEXT }] };
    });
    await lsp.waitForStatus((s) => s.state === 'ready', 'model ready');
  });

  after(async () => {
    await lsp.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const complete = async (name: string, text: string): Promise<{ text: string; ms: number }> => {
    const uri = pathToFileURL(join(root, name)).href;
    await lsp.open(uri, 'javascript', text);
    const position = endOf(text);
    const started = performance.now();
    const result = await withTimeout(
      lsp.server.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri }, position, context: { triggerKind: InlineCompletionTriggerKind.Invoked } }),
      WAIT_MS,
      'completion',
    );
    const items = Array.isArray(result) ? result : (result?.items ?? []);
    const first = items[0]?.insertText;
    return { text: first === undefined ? '' : typeof first === 'string' ? first : first.value, ms: performance.now() - started };
  };

  it("asks at the member's start and completes with one of the editor's members, not its words", async () => {
    const { text } = await complete('client.js', CLIENT);
    assert.match(text, /^(sendRequest|onNotification)(?![\w$])/, `${JSON.stringify(text)} starts with a member the editor listed`);
    const request = asked.find((p) => p.textDocument.uri.endsWith('client.js'));
    assert.deepEqual(request?.position, { line: 2, character: 'const reply = conn.'.length });
  });

  it('keeps the list while the name is typed and offers the members that fit; asks again after an edit', async () => {
    const before = asked.length;
    const { text } = await complete('client.js', `${CLIENT}on`);
    assert.match(text, /^Notification(?![\w$])/, JSON.stringify(text));
    // Same document text around the member's start: the list from the first request serves.
    assert.equal(asked.length, before);
    await complete('client.js', `// edited\n${CLIENT}on`);
    assert.equal(asked.length, before + 1);
  });

  it('answers without the list when the editor is slow', async () => {
    const { ms } = await complete('slow.js', SLOW);
    assert.ok(asked.some((p) => p.textDocument.uri.endsWith('slow.js')));
    assert.ok(ms < 1500, `answered after ${Math.round(ms)} ms, not after the editor's 5 s`);
  });

  it("takes a workspace module's names from its text without asking the editor", async () => {
    const uri = pathToFileURL(join(root, 'shapes.js')).href;
    const position = { line: 2, character: SHAPES.split('\n')[2]!.length };
    await lsp.open(uri, 'javascript', SHAPES);
    const indexed = async (): Promise<void> => {
      while ((await lsp.server.connection.sendRequest(CompressRequest.type, { textDocument: { uri }, position })).index.building) await new Promise((r) => setTimeout(r, 100));
    };
    await withTimeout(indexed(), WAIT_MS, 'index built');
    const before = asked.length;
    const { text } = await complete('shapes.js', SHAPES);
    assert.match(text, /^(circleArea|UNIT_SQUARE_SIDE)(?![\w$])/, JSON.stringify(text));
    assert.equal(asked.length, before);
  });
});
