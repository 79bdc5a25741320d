// A multi-root workspace's folder settings, over LSP against the built server (dist/server.js): one folder's own
// `locus.exclude` (sent in `locus.folders`) keeps its file out of retrieval and out of prompts made in it, while the
// same path in the other folder is still retrieved; a change applies without a restart, and an added folder's settings,
// sent before it, hold from its first walk.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DidChangeWorkspaceFoldersNotification, DidOpenTextDocumentNotification, InitializedNotification, InitializeRequest, LogMessageNotification } from 'vscode-languageserver-protocol';
import { startServerProcess, withTimeout, type ServerProcess } from '../../cli/serverProcess';
import { CompressRequest, StatusNotification, type LocusSettingsInput, type ModelStatus } from '../../lsp-server/protocol';
import { FIXTURE_DRAFT, FIXTURE_MODEL, SERVER_JS, WAIT_MS, endOf, retrievedFunctionsUntil } from './lspHarness';

const QUERY = 'export function both(n: number): number {\n  return appPlanZq(libPlanZq(extraPlanZq(extraKeptZq(';
const FILES: [string, string][] = [
  ['app/src/main.ts', QUERY],
  ['app/notes/plan.ts', 'export function appPlanZq(n: number): number {\n  return n + 1;\n}\n'],
  ['lib/notes/plan.ts', 'export function libPlanZq(n: number): number {\n  return n + 2;\n}\n'],
  ['extra/notes/plan.ts', 'export function extraPlanZq(n: number): number {\n  return n + 3;\n}\n'],
  ['extra/src/kept.ts', 'export function extraKeptZq(n: number): number {\n  return n + 4;\n}\n'],
];

describe("a workspace folder's own settings", () => {
  let server: ServerProcess;
  let parent: string;
  let cacheDir: string;
  const statuses: ModelStatus[] = [];
  const logs: string[] = [];
  const folder = (name: string) => join(parent, name);
  const uri = (file: string) => pathToFileURL(file).href;
  const main = () => uri(folder('app/src/main.ts'));
  /** The settings a VS Code client sends: the window's, and each folder's own (`app` and `extra` exclude notes/). */
  const settings = (folders: Record<string, string[]>): LocusSettingsInput => ({
    model: { path: FIXTURE_MODEL, draftPath: FIXTURE_DRAFT },
    completion: { maxNewTokens: 16 },
    exclude: [],
    folders: Object.fromEntries(Object.entries(folders).map(([name, exclude]) => [uri(folder(name)), { exclude, filesExclude: [] }])),
  });
  const configure = (folders: Record<string, string[]>) => server.connection.sendNotification('workspace/didChangeConfiguration', { settings: { locus: settings(folders) } });

  before(async () => {
    parent = mkdtempSync(join(tmpdir(), 'locus-folder-settings-'));
    cacheDir = mkdtempSync(join(tmpdir(), 'locus-folder-settings-cache-'));
    for (const [file, text] of FILES) {
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
    await withTimeout(
      server.connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: uri(folder('app')),
        workspaceFolders: ['app', 'lib'].map((name) => ({ uri: uri(folder(name)), name })),
        capabilities: { workspace: { workspaceFolders: true } },
        initializationOptions: { ...settings({ app: ['notes/**'], lib: [] }), context: { cacheDir } },
      }),
      WAIT_MS,
      'initialize',
    );
    await server.connection.sendNotification(InitializedNotification.type, {});
    for (const [file, text] of [['app/src/main.ts', QUERY], ['app/notes/plan.ts', FILES[1]![1]]] as const) {
      await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: uri(folder(file)), languageId: 'typescript', version: 1, text } });
    }
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
    const names = await retrievedFunctionsUntil(server, main(), endOf(QUERY), until, logs);
    return names.sort();
  }

  it("hides the folder's file from retrieval and its prompts, and still retrieves the same path in the other folder", async () => {
    assert.deepEqual(await retrievedUntil((names) => names.includes('libPlanZq')), ['libPlanZq']);
    const compress = server.connection.sendRequest(CompressRequest.type, { textDocument: { uri: uri(folder('app/notes/plan.ts')) }, position: { line: 1, character: 2 } });
    await assert.rejects(withTimeout(compress, WAIT_MS, 'compress'), /locus\.exclude names it/);
  });

  it('follows a change of the settings, and an added folder whose settings come first, without a restart', async () => {
    await configure({ app: [], lib: ['notes/**'] });
    assert.deepEqual(await retrievedUntil((names) => names.includes('appPlanZq') && !names.includes('libPlanZq')), ['appPlanZq']);
    // As the VS Code client does: the added folder's settings, then the folder.
    await configure({ app: [], lib: ['notes/**'], extra: ['notes/**'] });
    await server.connection.sendNotification(DidChangeWorkspaceFoldersNotification.type, { event: { added: [{ uri: uri(folder('extra')), name: 'extra' }], removed: [] } });
    assert.deepEqual(await retrievedUntil((names) => names.includes('extraKeptZq')), ['appPlanZq', 'extraKeptZq']);
  });
});
