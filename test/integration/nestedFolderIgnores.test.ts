// What a repository's .gitignore above a workspace folder, and an outer folder's rules, keep out of prompts, through
// the real server (dist/server.js): a package of a monorepo listed with a folder nested in it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DidOpenTextDocumentNotification, InitializedNotification, InitializeRequest } from 'vscode-languageserver-protocol';
import { startServerProcess, withTimeout, type ServerProcess } from '../../cli/serverProcess';
import { CompressRequest, StatusNotification, type CompressResult, type ModelStatus } from '../../lsp-server/protocol';
import { FIXTURE_MODEL, SERVER_JS, WAIT_MS, endOf } from './lspHarness';

const QUERY = 'export const v = distcanaryzq(1) + gencanaryzq(2) + confcanaryzq(3) + innerhelperzq(4);\nexport const w = distcanaryzq(gencanaryzq(confcanaryzq(innerhelperzq(';

const FILES: Record<string, string> = {
  '.gitignore': 'dist/\n',
  'app/.gitignore': 'packages/inner/gen/\n',
  'app/src/q.ts': QUERY,
  'app/dist/bundle.ts': 'export function distcanaryzq(n: number): number {\n  return n + 1;\n}\n',
  'app/packages/inner/gen/out.ts': 'export function gencanaryzq(n: number): number {\n  return n + 2;\n}\n',
  'app/packages/inner/confidential/plan.ts': 'export function confcanaryzq(n: number): number {\n  return n + 3;\n}\n',
  'app/packages/inner/src/helper.ts': 'export function innerhelperzq(n: number): number {\n  return n + 4;\n}\n',
};

describe('ignore rules above a workspace folder and across nested folders, over LSP', () => {
  let server: ServerProcess;
  let repository: string;
  let cacheDir: string;
  const statuses: ModelStatus[] = [];
  const uri = (relative: string) => pathToFileURL(join(repository, relative)).href;
  const compress = (relative: string, text: string) => server.connection.sendRequest(CompressRequest.type, { textDocument: { uri: uri(relative) }, position: endOf(text), budget: 512 });

  before(async () => {
    repository = mkdtempSync(join(tmpdir(), 'locus-repo-'));
    cacheDir = mkdtempSync(join(tmpdir(), 'locus-repo-cache-'));
    mkdirSync(join(repository, '.git'));
    for (const [relative, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(repository, relative)), { recursive: true });
      writeFileSync(join(repository, relative), text);
    }
    server = startServerProcess(SERVER_JS);
    server.connection.onNotification(StatusNotification.type, (s) => {
      statuses.push(s);
    });
    await withTimeout(
      server.connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: uri('app'),
        workspaceFolders: [
          { uri: uri('app'), name: 'app' },
          { uri: uri('app/packages/inner'), name: 'inner' },
        ],
        capabilities: {},
        initializationOptions: { model: { path: FIXTURE_MODEL }, exclude: ['packages/inner/confidential/**'], context: { cacheDir }, telemetry: { enabled: false } },
      }),
      WAIT_MS,
      'initialize',
    );
    await server.connection.sendNotification(InitializedNotification.type, {});
    const ready = async (): Promise<void> => {
      while (!statuses.some((s) => s.state === 'ready')) await new Promise((r) => setTimeout(r, 50));
    };
    await withTimeout(ready(), WAIT_MS, 'model ready');
  });

  after(async () => {
    await server.stop();
    rmSync(repository, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it("retrieves nothing the repository's or the outer folder's rules keep out, and makes no prompt in an outer folder's excluded file", async () => {
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: uri('app/src/q.ts'), languageId: 'typescript', version: 1, text: QUERY } });
    let result: CompressResult | undefined;
    const indexed = async (): Promise<void> => {
      while ((result = await compress('app/src/q.ts', QUERY)).index.building) await new Promise((r) => setTimeout(r, 100));
    };
    await withTimeout(indexed(), WAIT_MS, 'index built');
    assert.deepEqual(
      result!.retrieved.map((r) => r.path),
      // Named after its folder: there are two.
      ['inner/src/helper.ts'],
      'dist/ (the repository root .gitignore), gen/ (app/.gitignore) and confidential/ (locus.exclude from app) stay out',
    );

    const plan = FILES['app/packages/inner/confidential/plan.ts']!;
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: uri('app/packages/inner/confidential/plan.ts'), languageId: 'typescript', version: 1, text: plan } });
    await assert.rejects(withTimeout(compress('app/packages/inner/confidential/plan.ts', plan), WAIT_MS, 'compress'), /locus\.exclude names it/);
  });
});
