// Workspace folders added and removed while the server runs (workspace/didChangeWorkspaceFolders), over LSP against
// the built server (dist/server.js): an added folder is indexed, an open buffer in it from its text, and a removed
// folder's code leaves the prompts, without a restart.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DidChangeWorkspaceFoldersNotification, DidOpenTextDocumentNotification, InitializedNotification, InitializeRequest, LogMessageNotification, type InitializeResult } from 'vscode-languageserver-protocol';
import { startServerProcess, withTimeout, type ServerProcess } from '../../cli/serverProcess';
import { StatusNotification, type ModelStatus } from '../../lsp-server/protocol';
import { FIXTURE_DRAFT, FIXTURE_MODEL, SERVER_JS, WAIT_MS, endOf, retrievedFunctionsUntil } from './lspHarness';

const LIB = 'export function clampValue(value: number, low: number, high: number): number {\n  return Math.min(high, Math.max(low, value));\n}\n';
const EXTRA = 'export function extraAddedLater(n: number): number {\n  return n * 99;\n}\n';
const DRAFT = 'export function unsavedDraftHelper(n: number): number {\n  return n - 1;\n}\n';
const QUERY = 'export function both(n: number): number {\n  return clampValue(extraAddedLater(unsavedDraftHelper(';

describe('workspace folders changed at run time', () => {
  let server: ServerProcess;
  let parent: string;
  let cacheDir: string;
  let initialized: InitializeResult;
  const statuses: ModelStatus[] = [];
  const logs: string[] = [];
  const folder = (name: string) => join(parent, name);
  const uri = (file: string) => pathToFileURL(file).href;
  const open = (file: string, text: string) => server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: uri(file), languageId: 'typescript', version: 1, text } });

  before(async () => {
    parent = mkdtempSync(join(tmpdir(), 'locus-folders-'));
    cacheDir = mkdtempSync(join(tmpdir(), 'locus-folders-cache-'));
    for (const [file, text] of [['app/src/main.ts', QUERY], ['lib/src/clamp.ts', LIB], ['extra/src/extra.ts', EXTRA]]) {
      mkdirSync(join(parent, file, '..'), { recursive: true });
      writeFileSync(join(parent, file), text);
    }
    server = startServerProcess(SERVER_JS);
    server.connection.onNotification(StatusNotification.type, (s) => {
      statuses.push(s);
    });
    server.connection.onNotification(LogMessageNotification.type, (m) => {
      logs.push(m.message);
    });
    initialized = await withTimeout(
      server.connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: uri(folder('app')),
        workspaceFolders: ['app', 'lib'].map((name) => ({ uri: uri(folder(name)), name })),
        capabilities: { workspace: { workspaceFolders: true } },
        initializationOptions: { model: { path: FIXTURE_MODEL, draftPath: FIXTURE_DRAFT }, completion: { maxNewTokens: 16 }, context: { cacheDir } },
      }),
      WAIT_MS,
      'initialize',
    );
    await server.connection.sendNotification(InitializedNotification.type, {});
    await open(folder('app/src/main.ts'), QUERY);
    const ready = async (): Promise<void> => {
      while (!statuses.some((s) => s.state === 'ready')) await new Promise((r) => setTimeout(r, 50));
    };
    await withTimeout(ready(), WAIT_MS, 'model ready');
  });

  after(async () => {
    await server.stop();
    rmSync(parent, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  /** The functions retrieved into main.ts's prompt once the index is built, after `until` holds for them. */
  async function retrievedUntil(until: (names: string[]) => boolean): Promise<string[]> {
    const names = await retrievedFunctionsUntil(server, uri(folder('app/src/main.ts')), endOf(QUERY), until, logs);
    return names;
  }

  it('says it follows folder changes, indexes an added folder (and its open buffers) and drops a removed one', async () => {
    assert.deepEqual(initialized.capabilities.workspace?.workspaceFolders, { supported: true, changeNotifications: true });
    assert.ok((await retrievedUntil((names) => names.includes('clampValue'))).includes('clampValue'));
    // Open before its folder is added: the buffer's text, never saved, is what goes into the index.
    await open(folder('extra/src/draft.ts'), DRAFT);
    await server.connection.sendNotification(DidChangeWorkspaceFoldersNotification.type, {
      event: { added: [{ uri: uri(folder('extra')), name: 'extra' }], removed: [{ uri: uri(folder('lib')), name: 'lib' }] },
    });
    const names = await retrievedUntil((found) => found.includes('extraAddedLater') && found.includes('unsavedDraftHelper') && !found.includes('clampValue'));
    assert.ok(!names.includes('clampValue'), 'the removed folder is not retrieved');
    assert.ok(logs.some((m) => m.includes(`Workspace folder added: ${folder('extra')}`)), logs.join('\n'));
    assert.ok(logs.some((m) => m.includes(`Workspace folder removed: ${folder('lib')}`)), logs.join('\n'));
  });
});
