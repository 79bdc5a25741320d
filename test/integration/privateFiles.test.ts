// A secret file's or an excluded file's own text never goes into a prompt: no completion, Explain or Compress there,
// and the client hears why (`locus/completionSkipped`), through the real server.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { InlineCompletionTriggerKind } from 'vscode-languageserver-protocol';
import { withTimeout } from '../../cli/serverProcess';
import { CompletionSkippedNotification, CompressRequest, ExplainRequest, type CompletionSkippedParams } from '../../lsp-server/protocol';
import { FIXTURE_MODEL, LspHarness, WAIT_MS } from './lspHarness';

/** Resolves once `done` holds, checked every 20 ms; fails after WAIT_MS. */
async function waitFor(done: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!done()) {
    if (Date.now() - started > WAIT_MS) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const ENV = 'DATABASE_URL=postgres://admin:hunter2@db/prod\nSTRIPE_SECRET_KEY=sk_live_51Habc\nSTRIPE_PUBLISHABLE_KEY=';

describe('files whose text stays out of prompts', () => {
  let lsp: LspHarness;
  let root: string;
  const skipped: CompletionSkippedParams[] = [];
  const uri = (relative: string) => pathToFileURL(join(root, relative)).href;
  const invoked = (relative: string, line: number, character: number) => lsp.complete(uri(relative), { line, character }, undefined, InlineCompletionTriggerKind.Invoked);

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'locus-private-'));
    mkdirSync(join(root, 'generated'));
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, '.env'), ENV);
    writeFileSync(join(root, 'generated', 'api.ts'), 'export const x = ');
    writeFileSync(join(root, 'src', 'app.ts'), 'export const x = ');
    lsp = await LspHarness.start({ model: { path: FIXTURE_MODEL }, completion: { maxNewTokens: 8, timeLimitMs: 0 }, exclude: ['generated/**'] }, { workspace: root });
    lsp.server.connection.onNotification(CompletionSkippedNotification.type, (params: CompletionSkippedParams) => {
      skipped.push(params);
    });
    await lsp.waitForStatus((s) => s.state === 'ready', 'the model to load');
    await lsp.open(uri('.env'), 'dotenv', ENV);
    await lsp.open(uri('generated/api.ts'), 'typescript', 'export const x = ');
    await lsp.open(uri('src/app.ts'), 'typescript', 'export const x = ');
  });
  after(async () => {
    await lsp.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('makes no completion in a secret file or one locus.exclude names, says why once, and completes elsewhere', async () => {
    // Said as they open, before any request there (with manual completions none may come).
    await waitFor(() => skipped.length >= 2, 'the skip reasons at opening');
    assert.deepEqual(skipped.map((s) => s.uri), [uri('.env'), uri('generated/api.ts')]);
    const runs = lsp.timings.length;
    assert.equal(await invoked('.env', 2, 23), '');
    assert.equal(await invoked('.env', 2, 23), '');
    assert.equal(await invoked('generated/api.ts', 0, 17), '');
    assert.equal(lsp.timings.length, runs, 'the model never ran');
    await invoked('src/app.ts', 0, 17);
    assert.equal(lsp.timings.length, runs + 1);
    assert.deepEqual(
      skipped.map((s) => [s.uri, s.reason?.match(/secret file|locus\.exclude/)?.[0]]),
      [
        [uri('.env'), 'secret file'],
        [uri('generated/api.ts'), 'locus.exclude'],
      ],
    );
  });

  it('refuses Explain and Compress there with the same sentence', async () => {
    const compress = lsp.server.connection.sendRequest(CompressRequest.type, { textDocument: { uri: uri('.env') }, position: { line: 2, character: 23 } });
    await assert.rejects(withTimeout(compress, WAIT_MS, 'compress'), /secret file by Locus's rules/);
    const explain = lsp.server.connection.sendRequest(ExplainRequest.type, { textDocument: { uri: uri('generated/api.ts') }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 12 } }, streamId: 'e1' });
    await assert.rejects(withTimeout(explain, WAIT_MS, 'explain'), /locus\.exclude names it/);
  });

  it('says at once, at the exclude change, that a document the new excludes let in is no longer skipped', async () => {
    const said = skipped.length;
    await lsp.configure({ exclude: [] });
    await waitFor(() => skipped.length > said, 'the skip reason lifted');
    assert.deepEqual(skipped.slice(said), [{ uri: uri('generated/api.ts'), reason: null }]);
    // Excluded again: said at the next request there, as before.
    await lsp.configure({ exclude: ['generated/**'] });
    assert.equal(await invoked('generated/api.ts', 0, 17), '');
    assert.match(skipped.at(-1)?.reason ?? '', /locus\.exclude names it/);
  });
});
