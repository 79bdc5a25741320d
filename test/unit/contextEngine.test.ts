import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContextEngine } from '../../lsp-server/context/contextEngine';
import { IndexCache } from '../../lsp-server/context/indexPersistence';
import { SyntaxChunker } from '../../lsp-server/context/syntaxChunker';
import { makeWorkspace, SHAPES_TS, VECTOR_TS } from './contextFixtures';

let chunker: SyntaxChunker;
before(async () => {
  chunker = await SyntaxChunker.create();
});
after(() => chunker.dispose());

/** An engine on a workspace of `files`, with short delays; `names` retrieves for the words typed in src/main.ts. */
function engineOn(files: Record<string, string>) {
  const ws = makeWorkspace(files);
  const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
  const engine = new ContextEngine({ folders: [ws.root], excludeGlobs: [], chunker, cache: new IndexCache(cacheDir), log: () => undefined, editDelayMs: 5, saveDelayMs: 5 });
  const main = join(ws.root, 'src', 'main.ts');
  // The words typed so far, finished (a word the cursor is still in is not a query term).
  const names = (words: string): string[] => engine.retrieve(main, `${words} `, '').map((s) => s.path);
  const dispose = async () => {
    await engine.dispose();
    ws.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  };
  return { ws, engine, main, names, dispose };
}

describe('context engine', () => {
  it('follows file events, .gitignore edits, exclude settings and unsaved edits', async () => {
    const { ws, engine, main, names, dispose } = engineOn({ 'src/shapes.ts': SHAPES_TS, 'src/vector.ts': VECTOR_TS });
    try {
      await engine.build();
      assert.equal(engine.fileCount, 2);

      writeFileSync(join(ws.root, 'src', 'extra.ts'), 'export function uniqueHelperName() {}\n');
      await engine.filesChanged([{ file: join(ws.root, 'src', 'extra.ts'), kind: 'created' }]);
      assert.deepEqual(names('uniqueHelperName'), ['src/extra.ts']);

      writeFileSync(join(ws.root, '.gitignore'), 'src/extra.ts\n');
      await engine.filesChanged([{ file: join(ws.root, '.gitignore'), kind: 'created' }]);
      assert.deepEqual(names('uniqueHelperName'), [], 'a file that became ignored is purged');

      await engine.setExcludeGlobs(['src/vector.ts']);
      assert.ok(!names('distanceTo scaledBy').includes('src/vector.ts'));
      await engine.setExcludeGlobs([]);
      assert.ok(names('distanceTo scaledBy').includes('src/vector.ts'));

      engine.documentOpened(join(ws.root, 'src', 'shapes.ts'), SHAPES_TS);
      engine.documentChanged(join(ws.root, 'src', 'shapes.ts'), SHAPES_TS + '\nexport function freshlyTypedName() {}\n');
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(names('freshlyTypedName'), ['src/shapes.ts'], 'unsaved edits are indexed after a short quiet');
      engine.documentChanged(join(ws.root, 'src', 'shapes.ts'), undefined);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(names('freshlyTypedName'), [], 'a buffer grown too large to index (its text unread) leaves the index');

      unlinkSync(join(ws.root, 'src', 'vector.ts'));
      await engine.filesChanged([{ file: join(ws.root, 'src', 'vector.ts'), kind: 'deleted' }]);
      assert.ok(!names('distanceTo scaledBy').includes('src/vector.ts'));
      assert.equal(engine.displayPath(main), 'src/main.ts');
    } finally {
      await dispose();
    }
  });

  it('takes a closed buffer\'s unsaved text out: the file on disk goes back in, a file never saved goes away', async () => {
    const { ws, engine, names, dispose } = engineOn({ 'src/shapes.ts': SHAPES_TS, 'src/vector.ts': VECTOR_TS });
    const settle = () => new Promise((r) => setTimeout(r, 50));
    try {
      await engine.build();
      const shapes = join(ws.root, 'src', 'shapes.ts');
      engine.documentOpened(shapes, SHAPES_TS);
      engine.documentChanged(shapes, SHAPES_TS + '\nexport function discardedHelperName() {}\n');
      await settle();
      assert.deepEqual(names('discardedHelperName'), ['src/shapes.ts']);
      engine.documentClosed(shapes); // "Don't Save"
      await settle();
      assert.deepEqual(names('discardedHelperName'), [], 'the discarded edit is gone');
      assert.ok(names('Circle Rectangle').includes('src/shapes.ts'), 'the file on disk is back');

      const scratch = join(ws.root, 'src', 'scratch.ts');
      engine.documentOpened(scratch, 'export function scratchOnlyName() {}\n');
      await settle();
      assert.deepEqual(names('scratchOnlyName'), ['src/scratch.ts']);
      engine.documentClosed(scratch);
      await settle();
      assert.deepEqual(names('scratchOnlyName'), [], 'a buffer never saved leaves with its document');

      // Closed before its edit was indexed: the pending edit is dropped too.
      engine.documentOpened(shapes, SHAPES_TS);
      engine.documentChanged(shapes, SHAPES_TS + '\nexport function typedThenClosedName() {}\n');
      engine.documentClosed(shapes);
      await settle();
      assert.deepEqual(names('typedThenClosedName'), []);

      // Closed and reopened at once (VS Code does so when a document's language changes): the buffer stays.
      engine.documentOpened(shapes, SHAPES_TS);
      engine.documentChanged(shapes, SHAPES_TS + '\nexport function keptAcrossReopenName() {}\n');
      await settle();
      engine.documentClosed(shapes);
      engine.documentOpened(shapes, SHAPES_TS + '\nexport function keptAcrossReopenName() {}\n');
      await settle();
      assert.deepEqual(names('keptAcrossReopenName'), ['src/shapes.ts']);
    } finally {
      await dispose();
    }
  });

  it('applies the current file and its imports to its own folder only, in a workspace of several folders', async () => {
    const a = makeWorkspace({ 'src/index.ts': "import * as utils from './utils';\n", 'src/utils.ts': 'export function alphaHelper() {}\n' });
    const b = makeWorkspace({ 'src/index.ts': 'export function betaEntryPoint() { return 1; }\n', 'src/utils.ts': 'export function betaUtilityFn() {}\n' });
    const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
    const engine = new ContextEngine({ folders: [a.root, b.root], excludeGlobs: [], chunker, cache: new IndexCache(cacheDir), log: () => undefined });
    try {
      await engine.build();
      const current = join(a.root, 'src', 'index.ts');
      const found = engine.retrieve(current, 'betaEntryPoint ', '');
      assert.ok(found.some((s) => s.text.includes('betaEntryPoint')), 'the other folder\'s file of the same path is not the current file');
      const member = engine.retrieve(current, "import * as utils from './utils';\nutils.", '');
      assert.ok(member.filter((s) => s.imported === 'receiver').every((s) => !s.text.includes('betaUtilityFn')), 'the other folder\'s utils is not the imported module');
      assert.ok(member.some((s) => s.imported === 'receiver' && s.text.includes('alphaHelper')));
    } finally {
      await engine.dispose();
      a.cleanup();
      b.cleanup();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('says when a folder is over its budget, and takes no new file past it but an open document', async () => {
    const ws = makeWorkspace({ 'src/shapes.ts': SHAPES_TS, 'src/vector.ts': VECTOR_TS });
    const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
    const logged: string[] = [];
    const budget = SHAPES_TS.length + 10;
    const engine = new ContextEngine({ folders: [ws.root], excludeGlobs: [], chunker, cache: new IndexCache(cacheDir), log: (m) => logged.push(m), editDelayMs: 5, saveDelayMs: 5, folderBudgetBytes: budget });
    try {
      await engine.build();
      assert.equal(engine.fileCount, 1);
      const full = logged.find((m) => m.includes('is full'));
      assert.ok(full?.includes('the rest of the folder is left out') && full.includes('locus.exclude'), full);
      writeFileSync(join(ws.root, 'src', 'extra.ts'), 'export function uniqueHelperName() {}\n');
      await engine.filesChanged([{ file: join(ws.root, 'src', 'extra.ts'), kind: 'created' }]);
      assert.equal(engine.fileCount, 1, 'a new file past the budget stays out');
      engine.documentOpened(join(ws.root, 'src', 'extra.ts'), 'export function uniqueHelperName() {}\n');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(engine.fileCount, 2, 'an open document is indexed whatever the budget');
    } finally {
      await engine.dispose();
      ws.cleanup();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('follows a folder renamed as one event, and leaves out minified buffers, pipes and links out of the workspace', async () => {
    const { ws, engine, names, dispose } = engineOn({ 'old/util.ts': 'export function movedHelperName() {}\n', 'src/shapes.ts': SHAPES_TS });
    const outside = mkdtempSync(join(tmpdir(), 'locus-outside-'));
    try {
      await engine.build();
      assert.deepEqual(names('movedHelperName'), ['old/util.ts']);
      // VS Code reports a folder renamed as the old folder deleted and the new one created.
      renameSync(join(ws.root, 'old'), join(ws.root, 'lib'));
      await engine.filesChanged([{ file: join(ws.root, 'old'), kind: 'deleted' }, { file: join(ws.root, 'lib'), kind: 'created' }]);
      assert.deepEqual(names('movedHelperName'), ['lib/util.ts']);

      // A one-line bundle open in the editor is not indexed (it cost minutes of the server's thread).
      const bundle = join(ws.root, 'src', 'bundle.min.js');
      const minified = Array.from({ length: 3000 }, (_, i) => `function minifiedName${i}(x){return x*${i}+g(x)};`).join('');
      engine.documentOpened(bundle, minified);
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(!names('minifiedName7').includes('src/bundle.min.js'));

      // A named pipe is not opened (that waits for a writer, forever), a link out of the workspace is not read.
      execFileSync('mkfifo', [join(ws.root, 'src', 'app.log')]);
      writeFileSync(join(outside, 'notes.ts'), 'export function outsideCanaryName() {}\n');
      mkdirSync(join(ws.root, 'links'));
      symlinkSync(join(outside, 'notes.ts'), join(ws.root, 'links', 'notes.ts'));
      await engine.filesChanged([
        { file: join(ws.root, 'src', 'app.log'), kind: 'created' },
        { file: join(ws.root, 'links', 'notes.ts'), kind: 'changed' },
      ]);
      assert.ok(!names('outsideCanaryName').includes('links/notes.ts'));
    } finally {
      await dispose();
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
