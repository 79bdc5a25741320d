// Workspace folders in a multi-root workspace: a folder listed twice or through a link is indexed once
// (distinctFolders.ts), a folder that cannot be read says why (workspaceWalker.ts), and folders added or removed at
// run time change the index, retrieval and the test-file lookup (contextEngine.ts, contextFeature.ts).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { WorkspaceFolderUnreadableError } from '../../runtime/errors';
import { ContextEngine } from '../../lsp-server/context/contextEngine';
import { ContextFeature, type ContextDocument } from '../../lsp-server/context/contextFeature';
import { distinctFolders } from '../../lsp-server/context/distinctFolders';
import { IndexCache } from '../../lsp-server/context/indexPersistence';
import { PathFilter } from '../../lsp-server/context/pathFilter';
import { SyntaxChunker } from '../../lsp-server/context/syntaxChunker';
import { walkWorkspace } from '../../lsp-server/context/workspaceWalker';
import { WorkspaceTestFiles } from '../../lsp-server/efficiency/workspaceTestFiles';
import { makeWorkspace } from './contextFixtures';
import { NO_EXCLUDES } from '../../lsp-server/context/workspaceExcludes';

const APP_UTIL = 'export function appOnlyHelperFunction(a: number): number {\n  return a * 2;\n}\n';
const LIB_INDEX = 'export function clampValue(value: number, low: number, high: number): number {\n  return Math.min(high, Math.max(low, value));\n}\n';
const EXTRA_INDEX = 'export function extraAddedLater(n: number): number {\n  return n * 99;\n}\n';

let chunker: SyntaxChunker;
before(async () => {
  chunker = await SyntaxChunker.create();
});
after(() => chunker.dispose());

/** A parent folder holding `app`, `lib` and `extra`, and `applink`, a link to `app`. */
function multiRoot() {
  const ws = makeWorkspace({ 'app/src/util.ts': APP_UTIL, 'lib/src/index.ts': LIB_INDEX, 'extra/src/index.ts': EXTRA_INDEX });
  symlinkSync(join(ws.root, 'app'), join(ws.root, 'applink'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
  const folder = (name: string) => join(ws.root, name);
  return { folder, cacheDir, cleanup: () => (ws.cleanup(), rmSync(cacheDir, { recursive: true, force: true })) };
}

/** Paths of what retrieval offers for a cursor after `words` in `file`. */
function retrieved(engine: ContextEngine, file: string | undefined, words: string): string[] {
  return engine.retrieve(file, `${words} `, '').map((s) => s.path);
}

function featureOn(documents: Map<string, ContextDocument>, logs: string[]) {
  const logger = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
  return new ContextFeature({
    model: () => undefined,
    modelStatus: () => undefined,
    limits: () => ({ promptTokenBudget: 512, maxNewTokens: 64 }),
    document: (uri) => documents.get(uri),
    sendExplainChunk: () => undefined,
    logger,
    foregroundIdle: async () => undefined,
    foregroundStarts: () => new AbortController().signal,
    excludes: () => NO_EXCLUDES,
  });
}

/** The feature's index, which retrieval reads (private: the server reaches it only through prompts). */
const engineOf = (feature: ContextFeature) => (feature as unknown as { engine: ContextEngine }).engine;

describe('workspace folders', () => {
  it('are one folder when listed twice or through a link: the later path is left out', async () => {
    const { folder, cleanup } = multiRoot();
    try {
      const { distinct, duplicates } = await distinctFolders([folder('app'), folder('lib'), folder('applink'), folder('app'), folder('missing')]);
      assert.deepEqual(distinct, [folder('app'), folder('lib'), folder('missing')]);
      assert.deepEqual(duplicates, [
        { path: folder('applink'), sameAs: folder('app') },
        { path: folder('app'), sameAs: folder('app') },
      ]);
    } finally {
      cleanup();
    }
  });

  it('that cannot be walked say why (not a folder, unreadable) instead of indexing 0 files', async () => {
    const { folder, cacheDir, cleanup } = multiRoot();
    const file = join(folder('extra'), 'src', 'index.ts');
    const locked = folder('locked');
    mkdirSync(locked);
    writeFileSync(join(locked, 'a.ts'), LIB_INDEX);
    chmodSync(locked, 0);
    const logs: string[] = [];
    const engine = new ContextEngine({ folders: [file, locked, folder('lib')], excludes: NO_EXCLUDES, chunker, cache: new IndexCache(cacheDir), log: (m) => logs.push(m) });
    try {
      await assert.rejects(async () => {
        for await (const walked of walkWorkspace(file, new PathFilter(file, { excludeGlobs: [] }))) assert.fail(`walked ${walked.relativePath}`);
      }, (error: unknown) => error instanceof WorkspaceFolderUnreadableError && /ENOTDIR/.test(error.message));
      await engine.build();
      assert.ok(logs.some((m) => m.includes(file) && m.includes('ENOTDIR') && m.includes('left out of workspace context')), logs.join('\n'));
      // Root reads every folder, so the permission case is only seen as another user.
      if (process.getuid?.() !== 0) assert.ok(logs.some((m) => m.includes(locked) && m.includes('EACCES')), logs.join('\n'));
      assert.ok(!logs.some((m) => /Indexed 0 files/.test(m)), logs.join('\n'));
      assert.ok(retrieved(engine, undefined, 'clampValue').includes('lib/src/index.ts'), 'the readable folder is indexed all the same');
    } finally {
      chmodSync(locked, 0o755);
      await engine.dispose();
      cleanup();
    }
  });

  it('that can no longer be read leave retrieval at the next walk', async () => {
    const { folder, cacheDir, cleanup } = multiRoot();
    const logs: string[] = [];
    const engine = new ContextEngine({ folders: [folder('app'), folder('lib')], excludes: NO_EXCLUDES, chunker, cache: new IndexCache(cacheDir), log: (m) => logs.push(m) });
    try {
      await engine.build();
      assert.deepEqual(retrieved(engine, undefined, 'clampValue'), ['lib/src/index.ts']);
      rmSync(folder('lib'), { recursive: true, force: true });
      await engine.build();
      assert.deepEqual(retrieved(engine, undefined, 'clampValue'), [], 'the deleted folder\'s files are gone');
      assert.ok(logs.some((m) => m.includes(folder('lib')) && m.includes('ENOENT')), logs.join('\n'));
      assert.deepEqual(retrieved(engine, undefined, 'appOnlyHelperFunction'), ['app/src/util.ts'], 'the other folder stays');
    } finally {
      await engine.dispose();
      cleanup();
    }
  });

  it('added at run time are indexed (from their cache), and removed ones leave retrieval', async () => {
    const { folder, cacheDir, cleanup } = multiRoot();
    const logs: string[] = [];
    const options = { excludes: NO_EXCLUDES, chunker, cache: new IndexCache(cacheDir), log: (m: string) => logs.push(m) };
    // An earlier session indexed `extra` and left its cache.
    const earlier = new ContextEngine({ ...options, folders: [folder('extra')] });
    await earlier.build();
    await earlier.dispose();
    const engine = new ContextEngine({ ...options, folders: [folder('app'), folder('lib')] });
    const query = join(folder('app'), 'src', 'query.ts');
    try {
      await engine.build();
      // Files are named after their folder: there are several.
      assert.deepEqual(retrieved(engine, query, 'clampValue extraAddedLater'), ['lib/src/index.ts']);
      logs.length = 0;
      await engine.setFolders([folder('app'), folder('extra')]);
      assert.deepEqual(engine.roots, [folder('app'), folder('extra')]);
      const snippets = engine.retrieve(query, 'clampValue extraAddedLater ', '');
      assert.deepEqual(
        snippets.map((s) => s.text),
        [EXTRA_INDEX.trimEnd()],
        'extra is retrieved, lib is not',
      );
      assert.ok(logs.some((m) => m.includes('1 from cache') && m.endsWith(folder('extra'))), logs.join('\n'));
      // Listed again, the removed folder's cache spares reading its files.
      logs.length = 0;
      await engine.setFolders([folder('app'), folder('extra'), folder('lib')]);
      assert.ok(logs.some((m) => m.includes('1 from cache') && m.endsWith(folder('lib'))), logs.join('\n'));
    } finally {
      await engine.dispose();
      cleanup();
    }
  });

  it('nested in another go back to it when removed, and leave it when added', async () => {
    const { folder, cacheDir, cleanup } = multiRoot();
    const engine = new ContextEngine({ folders: [folder('app')], excludes: NO_EXCLUDES, chunker, cache: new IndexCache(cacheDir), log: () => undefined });
    const inner = join(folder('app'), 'src');
    try {
      await engine.build();
      assert.equal(engine.fileCount, 1);
      await engine.setFolders([folder('app'), inner]);
      assert.equal(engine.fileCount, 1, 'src/util.ts is indexed once, in the inner folder');
      assert.deepEqual(retrieved(engine, join(folder('lib'), 'q.ts'), 'appOnlyHelperFunction'), ['src/util.ts'], 'named after the inner folder, src');
      await engine.setFolders([folder('app')]);
      assert.deepEqual(retrieved(engine, join(folder('lib'), 'q.ts'), 'appOnlyHelperFunction'), ['src/util.ts']);
    } finally {
      await engine.dispose();
      cleanup();
    }
  });

  it('follow the client: a linked duplicate is indexed once, a file under it is its target file, and open buffers join added folders', async () => {
    const { folder, cacheDir, cleanup } = multiRoot();
    const documents = new Map<string, ContextDocument>();
    const logs: string[] = [];
    const feature = featureOn(documents, logs);
    const uri = (file: string) => pathToFileURL(file).href;
    const open = (file: string, text: string) => {
      const document = { uri: uri(file), languageId: 'typescript', version: 1, length: text.length, getText: () => text, offsetAt: () => text.length };
      documents.set(document.uri, document);
      feature.documentOpened(document);
    };
    try {
      feature.initialize([folder('app'), folder('applink'), folder('lib')].map((f) => ({ uri: uri(f), name: f })), null, cacheDir);
      await feature.start(NO_EXCLUDES);
      assert.deepEqual(feature.indexedFolders, [folder('app'), folder('lib')]);
      assert.deepEqual(feature.listedFolders, [folder('app'), folder('applink'), folder('lib')]);
      assert.ok(logs.some((m) => m.includes(folder('applink')) && m.includes(folder('app')) && m.includes('indexed once')), logs.join('\n'));
      // A buffer in `extra`, opened before the folder is added: its unsaved text is what the index takes.
      open(join(folder('extra'), 'src', 'draft.ts'), 'export function unsavedDraftOnly(): number {\n  return 7;\n}\n');
      await feature.foldersChanged({ added: [{ uri: uri(folder('extra')), name: 'extra' }], removed: [{ uri: uri(folder('lib')), name: 'lib' }] });
      assert.deepEqual(feature.indexedFolders, [folder('app'), folder('extra')]);
      assert.ok(logs.includes(`Workspace folder added: ${folder('extra')}; indexing it.`), logs.join('\n'));
      assert.ok(logs.includes(`Workspace folder removed: ${folder('lib')}; its files leave workspace context.`), logs.join('\n'));
      const engine = engineOf(feature);
      await waitFor(() => retrieved(engine, undefined, 'unsavedDraftOnly').length > 0, 'the open buffer indexed in the added folder');
      assert.deepEqual(retrieved(engine, undefined, 'clampValue'), [], 'the removed folder is not retrieved');
      // The same file opened under the link: its own disk copy is never retrieved into its prompt.
      const helpers = (file: string) => engine.retrieve(file, 'appOnlyHelperFunction ', '').filter((s) => s.text.includes('appOnlyHelperFunction'));
      open(join(folder('applink'), 'src', 'util.ts'), APP_UTIL.replace('a * 2;', 'a * 3; // EDITED'));
      await waitFor(() => helpers(join(folder('extra'), 'q.ts'))[0]?.text.includes('EDITED') === true, 'the buffer opened under the link indexed as the target file');
      assert.deepEqual(helpers(join(folder('app'), 'src', 'util.ts')), [], 'its disk copy is not retrieved into its own prompt');
      assert.equal(helpers(join(folder('extra'), 'q.ts')).length, 1, 'once, not once per path');
      // Removing the folder that was indexed leaves its link, which is then indexed in its place.
      await feature.foldersChanged({ added: [], removed: [{ uri: uri(folder('app')), name: 'app' }] });
      assert.deepEqual(engine.roots, [folder('applink'), folder('extra')]);
    } finally {
      await feature.dispose();
      cleanup();
    }
  });

  it('give the efficiency checks the test files of the folders listed now', async () => {
    const { folder, cleanup } = multiRoot();
    mkdirSync(join(folder('app'), 'test'));
    writeFileSync(join(folder('app'), 'test', 'util.test.ts'), 'appOnlyHelperFunction(1);\n');
    let roots: readonly string[] = [folder('lib')];
    const testFiles = new WorkspaceTestFiles(() => roots, () => NO_EXCLUDES, () => 0);
    try {
      assert.deepEqual(await testFiles.filesMentioning('appOnlyHelperFunction'), []);
      roots = [folder('lib'), folder('app'), join(folder('lib'), 'src', 'index.ts')];
      assert.deepEqual((await testFiles.filesMentioning('appOnlyHelperFunction')).map((f) => f.path), [join(folder('app'), 'test', 'util.test.ts')]);
    } finally {
      cleanup();
    }
  });
});

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}
