// locus/compress and locus/explain over LSP against the built server (dist/server.js), with the tiny fixture
// model and a small workspace folder indexed in the background.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DidOpenTextDocumentNotification, InitializedNotification, InitializeRequest, InlineCompletionRequest, InlineCompletionTriggerKind } from 'vscode-languageserver-protocol';
import { startServerProcess, withTimeout, type ServerProcess } from '../../cli/serverProcess';
import { CompressRequest, ExplainChunkNotification, ExplainRequest, MemberNamesRequest, type CompressResult } from '../../lsp-server/protocol';
import { StatusNotification, type ModelStatus } from '../../lsp-server/protocol';
import { FIXTURE_DRAFT, FIXTURE_MODEL, SERVER_JS, WAIT_MS, endOf } from './lspHarness';

const VECTOR = `export class Vector {\n  constructor(readonly x: number, readonly y: number) {}\n\n  distanceTo(other: Vector): number {\n    return Math.hypot(this.x - other.x, this.y - other.y);\n  }\n}\n`;
const MAIN = `import { Vector } from './vector';\n\nexport function far(a: Vector, b: Vector): boolean {\n  return a.dist`;
const GEOMETRY = `export function circleArea(radius: number): number {\n  return Math.PI * radius * radius;\n}\n\nexport const UNIT_SQUARE_SIDE = 1;\n\nfunction helper(): void {}\n`;
const SHAPES = `import * as geometry from './geometry';\n\nexport const area = geometry.`;

describe('context requests over LSP', () => {
  let server: ServerProcess;
  let root: string;
  let cacheDir: string;
  const statuses: ModelStatus[] = [];
  let memberListsAsked = 0;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'locus-ctx-ws-'));
    cacheDir = mkdtempSync(join(tmpdir(), 'locus-ctx-cache-'));
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'vector.ts'), VECTOR);
    writeFileSync(join(root, 'src', 'main.ts'), MAIN);
    writeFileSync(join(root, 'src', 'geometry.ts'), GEOMETRY);
    writeFileSync(join(root, '.env'), 'SECRET=CANARY_4242424242\n');
    server = startServerProcess(SERVER_JS);
    server.connection.onNotification(StatusNotification.type, (s) => {
      statuses.push(s);
    });
    // This client does not declare the capability, so the server must never send the request.
    server.connection.onRequest(MemberNamesRequest.type, () => {
      memberListsAsked++;
      return null;
    });
    const rootUri = pathToFileURL(root).href;
    await withTimeout(
      server.connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri,
        workspaceFolders: [{ uri: rootUri, name: 'ws' }],
        capabilities: {},
        initializationOptions: { model: { path: FIXTURE_MODEL, draftPath: FIXTURE_DRAFT }, completion: { maxNewTokens: 32 }, context: { cacheDir } },
      }),
      WAIT_MS,
      'initialize',
    );
    await server.connection.sendNotification(InitializedNotification.type, {});
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: pathToFileURL(join(root, 'src', 'main.ts')).href, languageId: 'typescript', version: 1, text: MAIN } });
    const ready = async (): Promise<void> => {
      while (!statuses.some((s) => s.state === 'ready')) await new Promise((r) => setTimeout(r, 50));
    };
    await withTimeout(ready(), WAIT_MS, 'model ready');
  });

  after(async () => {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('locus/compress shows the retrieved definition, both prompts with counts, the draft-model scorer, and never a secret', async () => {
    const uri = pathToFileURL(join(root, 'src', 'main.ts')).href;
    const position = endOf(MAIN);
    let result: CompressResult | undefined;
    const poll = async (): Promise<void> => {
      for (;;) {
        result = await server.connection.sendRequest(CompressRequest.type, { textDocument: { uri }, position, budget: 256 });
        if (!result.index.building && result.retrieved.length > 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await withTimeout(poll(), WAIT_MS, 'index built');
    assert.equal(result!.retrieved[0]!.path, 'src/vector.ts');
    assert.ok(result!.after.tokens <= 256);
    assert.ok(result!.before.tokens >= result!.after.tokens);
    // With a draft model loaded, compression scores lines by self-information under it (on the worker).
    assert.equal(result!.scorer, 'draft-model');
    assert.deepEqual(result!.after.parts.map((p) => p.kind).slice(-3), ['path', 'suffix', 'prefix']);
    assert.ok(result!.after.parts.some((p) => p.kind === 'snippet' && p.text.includes('distanceTo')));
    assert.ok(!JSON.stringify(result).includes('CANARY_4242424242'));
    assert.equal(result!.index.files, 3);

    // A budget below the prompt makes the draft model score lines: what goes carries its self-information.
    const tight = await server.connection.sendRequest(CompressRequest.type, { textDocument: { uri }, position, budget: 48 });
    assert.equal(tight.scorer, 'draft-model');
    assert.ok(tight.after.tokens <= 48, `${tight.after.tokens} tokens`);
    assert.ok(tight.dropped.length > 0);
    assert.ok(tight.dropped.every((d) => Number.isFinite(d.information) && d.information >= 0));
    assert.ok(tight.dropped.some((d) => d.information > 0));

    // No budget is the completions' one, and a larger one is capped at it (a malformed one is refused: otherEditors.test.ts).
    const unset = await server.connection.sendRequest(CompressRequest.type, { textDocument: { uri }, position });
    const large = await server.connection.sendRequest(CompressRequest.type, { textDocument: { uri }, position, budget: 1_000_000 });
    assert.equal(large.budget, unset.budget);
  });

  it("a completion on a workspace module's member starts with one of its exported names", async () => {
    const uri = pathToFileURL(join(root, 'src', 'shapes.ts')).href;
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'typescript', version: 1, text: SHAPES } });
    const position = endOf(SHAPES);
    // The names come from the index: wait until it holds geometry.ts (this test may run alone).
    const indexed = async (): Promise<void> => {
      while ((await server.connection.sendRequest(CompressRequest.type, { textDocument: { uri }, position })).index.building) await new Promise((r) => setTimeout(r, 100));
    };
    await withTimeout(indexed(), WAIT_MS, 'index built');
    const result = await withTimeout(
      server.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri }, position, context: { triggerKind: InlineCompletionTriggerKind.Invoked } }),
      WAIT_MS,
      'completion',
    );
    const items = Array.isArray(result) ? result : (result?.items ?? []);
    assert.equal(items.length, 1, 'the fixture model answers something here');
    const text = typeof items[0]!.insertText === 'string' ? items[0]!.insertText : items[0]!.insertText.value;
    assert.match(text, /^(circleArea|UNIT_SQUARE_SIDE)(?![\w$])/, `${JSON.stringify(text)} starts with an export of geometry.ts`);
  });

  it('never asks a client without the capability for its member list', async () => {
    const uri = pathToFileURL(join(root, 'src', 'main.ts')).href;
        // `a.dist`: a member of a parameter, where a client with the capability would be asked.
    await server.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri }, position: endOf(MAIN), context: { triggerKind: InlineCompletionTriggerKind.Invoked } });
    assert.equal(memberListsAsked, 0);
  });

  it('locus/explain streams chunks that add up to the result', async () => {
    const uri = pathToFileURL(join(root, 'src', 'main.ts')).href;
    const chunks: string[] = [];
    server.connection.onNotification(ExplainChunkNotification.type, (c) => {
      if (c.streamId === 'e1') chunks.push(c.delta);
    });
    const result = await withTimeout(
      server.connection.sendRequest(ExplainRequest.type, { textDocument: { uri }, range: { start: { line: 2, character: 0 }, end: { line: 3, character: 10 } }, streamId: 'e1' }),
      WAIT_MS,
      'explain',
    );
    assert.equal(result.mode, 'docComment');
    assert.ok(result.generatedTokens > 0);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(chunks.join(''), result.text);
    assert.ok(result.text.startsWith('/**'));
  });

  it('locus/explain explains each declaration of a selection that holds several, under its first line', async () => {
    const uri = pathToFileURL(join(root, 'src', 'stats.py')).href;
    const text = 'import math\n\n\ndef mean(values):\n    return sum(values) / len(values)\n\n\nLIMIT = 3\n\n\ndef stdev(values):\n    m = mean(values)\n    return math.sqrt(sum((v - m) ** 2 for v in values) / len(values))\n';
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'python', version: 1, text } });
    const chunks: string[] = [];
    server.connection.onNotification(ExplainChunkNotification.type, (c) => {
      if (c.streamId === 'two') chunks.push(c.delta);
    });
    const result = await withTimeout(server.connection.sendRequest(ExplainRequest.type, { textDocument: { uri }, range: { start: { line: 3, character: 0 }, end: { line: 13, character: 0 } }, streamId: 'two' }), WAIT_MS, 'explain');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(chunks.join(''), result.text, 'the chunks add up to the result');
    const headings = [...result.text.matchAll(/^## `(.*)`$/gm)].map((m) => m[1]);
    assert.deepEqual(headings, ['def mean(values):', 'def stdev(values):'], result.text);
    // Each under its heading is a docstring of its own; the assignment between them is named below them.
    const note = '\n\n_The assignment to `LIMIT` of the selection not explained: select it to explain it._\n';
    assert.ok(result.text.endsWith(note), result.text);
    for (const section of result.text.slice(0, -note.length).split(/^## .*$/m).slice(1)) assert.match(section.trim(), /^\s*"""[\s\S]*"""$/, section);
  });

  it('locus/explain writes a doc comment that opens with prose, never a JSDoc tag, and closes it', async () => {
    const uri = pathToFileURL(join(root, 'src', 'geometry.ts')).href;
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'typescript', version: 1, text: GEOMETRY } });
    // An exported function with a body, and a private one on one line.
    for (const range of [{ start: { line: 0, character: 0 }, end: { line: 2, character: 1 } }, { start: { line: 6, character: 0 }, end: { line: 6, character: 25 } }]) {
      const result = await withTimeout(server.connection.sendRequest(ExplainRequest.type, { textDocument: { uri }, range, streamId: `prose-${range.start.line}` }), WAIT_MS, 'explain');
      assert.equal(result.mode, 'docComment');
      const comment = /^\/\*\*\n \* (.*)[^]*\n \*\/$/.exec(result.text);
      assert.ok(comment !== null, `a closed doc comment: ${JSON.stringify(result.text)}`);
      assert.match(comment[1]!, /^[^@\s]/, 'its first line starts with prose');
    }
  });

  it('locus/explain reads a selection that starts at the end of a line (Shift+Down from there) as starting on the next', async () => {
    const uri = pathToFileURL(join(root, 'src', 'geometry.ts')).href;
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'typescript', version: 1, text: GEOMETRY } });
    const explain = (start: { line: number; character: number }, streamId: string) =>
      withTimeout(server.connection.sendRequest(ExplainRequest.type, { textDocument: { uri }, range: { start, end: { line: 6, character: 25 } }, streamId }), WAIT_MS, 'explain');
    const fromLineStart = await explain({ line: 6, character: 0 }, 'line-start');
    const fromLineEnd = await explain({ line: 5, character: 0 }, 'line-end');
    assert.equal(fromLineEnd.text, fromLineStart.text);
  });

  it('locus/explain refuses a binary document, wherever its NUL characters are', async () => {
    const uri = pathToFileURL(join(root, 'src', 'blob.js')).href;
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'javascript', version: 1, text: 'const a = 1;\n\u0089PNG\u0000\u0001\n' } });
    const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 12 } };
    await assert.rejects(withTimeout(server.connection.sendRequest(ExplainRequest.type, { textDocument: { uri }, range, streamId: 'binary' }), WAIT_MS, 'explain'), /explains no binary files/);
  });

  it('locus/explain refuses a selection of blank lines, and prose, which the embedded model has no comment for', async () => {
    const uri = pathToFileURL(join(root, 'src', 'spaced.py')).href;
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'python', version: 1, text: 'import math\n\n   \n\ndef f(x):\n    return x\n' } });
    const range = { start: { line: 1, character: 0 }, end: { line: 3, character: 0 } };
    await assert.rejects(withTimeout(server.connection.sendRequest(ExplainRequest.type, { textDocument: { uri }, range, streamId: 'blank' }), WAIT_MS, 'explain'), /The selection is blank: select the code to explain\./);
    // The embedded model writes a doc comment: Markdown has none (it wrote a JSDoc block for a paragraph).
    const guide = pathToFileURL(join(root, 'docs', 'guide.md')).href;
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: guide, languageId: 'markdown', version: 1, text: '# Guide\n\nThe cache keeps the last answers.\n' } });
    const paragraph = { start: { line: 2, character: 0 }, end: { line: 2, character: 33 } };
    await assert.rejects(withTimeout(server.connection.sendRequest(ExplainRequest.type, { textDocument: { uri: guide }, range: paragraph, streamId: 'prose' }), WAIT_MS, 'explain'), /Markdown has none: select code, or set locus\.model\.path to a chat model/);
  });

  it('a newer locus/explain stops the older one, which answers with what it had, marked superseded', async () => {
    const uri = pathToFileURL(join(root, 'src', 'main.ts')).href;
    const streamed = new Map<string, string>();
    server.connection.onNotification(ExplainChunkNotification.type, (c) => {
      streamed.set(c.streamId, (streamed.get(c.streamId) ?? '') + c.delta);
    });
    const range = { start: { line: 2, character: 0 }, end: { line: 3, character: 10 } };
    // Sent together: the first is still generating (or waiting for the model) when the second arrives.
    const older = server.connection.sendRequest(ExplainRequest.type, { textDocument: { uri }, range, streamId: 'older' });
    const newer = server.connection.sendRequest(ExplainRequest.type, { textDocument: { uri }, range, streamId: 'newer' });
    const [first, second] = await withTimeout(Promise.all([older, newer]), WAIT_MS, 'explain twice');
    assert.equal(first.stopReason, 'superseded');
    assert.notEqual(second.stopReason, 'superseded');
    assert.notEqual(second.stopReason, 'aborted');
    assert.ok(second.generatedTokens > first.generatedTokens, `the newer one ran its course (${second.generatedTokens} tokens) where the older stopped (${first.generatedTokens})`);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(streamed.get('older') ?? '', first.text, 'the older one answers with what it streamed');
  });

  it('a newer locus/explain that is refused (a secret file) stops nothing', async () => {
    const uri = pathToFileURL(join(root, 'src', 'main.ts')).href;
    const secret = pathToFileURL(join(root, '.env')).href;
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: secret, languageId: 'dotenv', version: 1, text: 'SECRET=CANARY_4242424242\n' } });
    const range = { start: { line: 2, character: 0 }, end: { line: 3, character: 10 } };
    const running = server.connection.sendRequest(ExplainRequest.type, { textDocument: { uri }, range, streamId: 'kept' });
    const refused = server.connection.sendRequest(ExplainRequest.type, { textDocument: { uri: secret }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 6 } }, streamId: 'refused' });
    await assert.rejects(withTimeout(refused, WAIT_MS, 'refused explain'), /secret file/);
    const kept = await withTimeout(running, WAIT_MS, 'running explain');
    assert.notEqual(kept.stopReason, 'superseded');
    assert.ok(kept.generatedTokens > 0);
  });
});
