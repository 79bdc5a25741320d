import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsPromises, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContextEngine, folderLabel, type ContextEngineOptions } from '../../lsp-server/context/contextEngine';
import { IndexCache } from '../../lsp-server/context/indexPersistence';
import { SyntaxChunker } from '../../lsp-server/context/syntaxChunker';
import { excludedEverywhere, makeWorkspace, SHAPES_TS, VECTOR_TS } from './contextFixtures';
import { NO_EXCLUDES } from '../../lsp-server/context/workspaceExcludes';

let chunker: SyntaxChunker;
before(async () => {
  chunker = await SyntaxChunker.create();
});
after(() => chunker.dispose());

/**
 * An engine on a workspace of `files`, with short delays (`extra` overrides its options: a slow chunker, a pause);
 * `names` retrieves for the words typed in `mainPath`.
 */
function engineOn(files: Record<string, string>, extra: Partial<ContextEngineOptions> = {}, mainPath = 'src/main.ts') {
  const ws = makeWorkspace(files);
  const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
  const engine = new ContextEngine({ folders: [ws.root], excludes: NO_EXCLUDES, chunker, cache: new IndexCache(cacheDir), log: () => undefined, editDelayMs: 5, openDelayMs: 5, saveDelayMs: 5, ...extra });
  const main = join(ws.root, mainPath);
  // The words typed so far, finished (a word the cursor is still in is not a query term).
  const names = (words: string): string[] => engine.retrieve(main, `${words} `, '').map((s) => s.path);
  const dispose = async () => {
    await engine.dispose();
    ws.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  };
  return { ws, engine, main, names, dispose };
}

/**
 * A slow disk for one read: the `nth` `fs.promises.stat` of `file` from now on (the engine's and the walker's) waits
 * until `release`. `restore` puts the real one back.
 */
function holdStat(file: string, nth: number) {
  const real = fsPromises.stat;
  let calls = 0;
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  fsPromises.stat = (async (...args: Parameters<typeof real>) => {
    if (args[0] === file && ++calls === nth) (reach(), await released);
    return real(...args);
  }) as typeof real;
  return { reached, release, restore: () => (fsPromises.stat = real) };
}

describe('context engine', () => {
  it('indexes a newly opened buffer after the messages that came with it, not in the turn it opened', async () => {
    const { ws, engine, names, dispose } = engineOn({ 'src/shapes.ts': SHAPES_TS }, { openDelayMs: 80 });
    try {
      await engine.build();
      // 200 documents opened at once were chunked as their messages came in, and a request behind them waited.
      for (let i = 0; i < 20; i++) engine.documentOpened(join(ws.root, 'src', `opened${i}.ts`), `export function openedBufferName${i}() {}\n`);
      for (let turn = 0; turn < 5; turn++) await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(names('openedBufferName3'), [], 'not yet');
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(names('openedBufferName3').includes('src/opened3.ts'));
    } finally {
      await dispose();
    }
  });

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

      await engine.setExcludes(excludedEverywhere(['src/vector.ts']));
      assert.ok(!names('distanceTo scaledBy').includes('src/vector.ts'));
      await engine.setExcludes(NO_EXCLUDES);
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

  it('keeps an open buffer\'s unsaved text through builds, at start as on a re-walk', async () => {
    const { ws, engine, names, dispose } = engineOn({ 'src/a.ts': 'export function diskonlyzq() {}\n' });
    const a = join(ws.root, 'src', 'a.ts');
    try {
      // VS Code restores an unsaved buffer before the first build.
      engine.documentOpened(a, 'export function restoredunsavedzq() {}\n');
      await new Promise((r) => setTimeout(r, 20));
      await engine.build();
      assert.deepEqual(names('restoredunsavedzq'), ['src/a.ts']);
      assert.deepEqual(names('diskonlyzq'), []);
      engine.documentChanged(a, 'export function typedlaterzq() {}\n');
      await new Promise((r) => setTimeout(r, 50));
      mkdirSync(join(ws.root, 'newdir'));
      await engine.filesChanged([{ file: join(ws.root, 'newdir'), kind: 'created' }]); // a re-walk
      assert.deepEqual(names('typedlaterzq'), ['src/a.ts']);
    } finally {
      await dispose();
    }
  });

  it('keeps a buffer\'s text over a disk read that was under way when it went in, by a build or a file event', async () => {
    const { ws, engine, names, dispose } = engineOn({ 'src/a.ts': 'export function diskonlyzq() {}\n', 'src/lib.ts': 'export function versiononezq() {}\n' });
    const a = join(ws.root, 'src', 'a.ts');
    const lib = join(ws.root, 'src', 'lib.ts');
    // The buffer's text is in (the first parse of a language loads its grammar: allow it seconds).
    const indexed = async (name: string, relativePath: string) => {
      for (let i = 0; i < 200 && names(name).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.deepEqual(names(name), [relativePath]);
    };
    // The first build reads src/a.ts (its second stat: the walker's, then the read's) while VS Code restores an
    // unsaved buffer of it.
    let held = holdStat(a, 2);
    try {
      const building = engine.build();
      await held.reached;
      engine.documentOpened(a, 'export function restoredunsavedzq() {}\n');
      await indexed('restoredunsavedzq', 'src/a.ts');
      held.release();
      await building;
      assert.deepEqual(names('restoredunsavedzq'), ['src/a.ts'], 'the build\'s read began before the buffer went in');
      assert.deepEqual(names('diskonlyzq'), []);

      // A file changed on disk (a pull): its event's read is slow, and the user types in the file meanwhile.
      writeFileSync(lib, 'export function pulledzq() {}\n');
      held.restore();
      held = holdStat(lib, 1);
      const changed = engine.filesChanged([{ file: lib, kind: 'changed' }]);
      await held.reached;
      engine.documentOpened(lib, 'export function pulledzq() {}\n');
      engine.documentChanged(lib, 'export function pulledzq() {}\nexport function typedaftertheeventzq() {}\n');
      await indexed('typedaftertheeventzq', 'src/lib.ts');
      held.release();
      await changed;
      assert.deepEqual(names('typedaftertheeventzq'), ['src/lib.ts'], 'the event\'s read is older than the buffer');
    } finally {
      held.restore();
      await dispose();
    }
  });

  it('keeps a buffer reopened while its close went back to the disk (a language change) when the disk read is slow', async () => {
    let slow = false;
    const slowChunker = { chunk: async (file: string, text: string) => (slow && (await new Promise((r) => setTimeout(r, 150))), chunker.chunk(file, text)) };
    const { ws, engine, names, dispose } = engineOn({ 'src/main.ts': '\n', 'src/lib.ts': 'export function diskversionzq() {}\n' }, { chunker: slowChunker });
    const lib = join(ws.root, 'src', 'lib.ts');
    const unsaved = 'export function diskversionzq() {}\nexport function unsavedbufferzq() {}\n';
    let held: ReturnType<typeof holdStat> | undefined;
    try {
      await engine.build();
      engine.documentOpened(lib, 'export function diskversionzq() {}\n');
      engine.documentChanged(lib, unsaved);
      for (let i = 0; i < 200 && names('unsavedbufferzq').length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.deepEqual(names('unsavedbufferzq'), ['src/lib.ts']);
      // VS Code closes and reopens a document whose language changes; the close's read of the disk is slow, and the
      // reopened buffer's text is still being chunked when it returns.
      held = holdStat(lib, 1);
      slow = true;
      engine.documentClosed(lib);
      await held.reached;
      engine.documentOpened(lib, unsaved);
      await new Promise((r) => setTimeout(r, 30));
      held.release();
      for (let i = 0; i < 200 && names('unsavedbufferzq').length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(names('unsavedbufferzq'), ['src/lib.ts'], 'the reopened buffer is indexed');
    } finally {
      held?.restore();
      await dispose();
    }
  });

  it('indexes a buffer opened after its file was indexed when it is not the disk\'s text (unsaved edits restored at start-up)', async () => {
    const chunked: string[] = [];
    const counting = { chunk: (file: string, text: string) => (chunked.push(file), chunker.chunk(file, text)) };
    const { ws, engine, names, dispose } = engineOn({ 'src/a.ts': 'export function savedtextzq() {}\n', 'src/b.ts': 'export function samebufferzq() {}\n' }, { chunker: counting });
    try {
      await engine.build();
      chunked.length = 0;
      engine.documentOpened(join(ws.root, 'src', 'b.ts'), 'export function samebufferzq() {}\n');
      engine.documentOpened(join(ws.root, 'src', 'a.ts'), 'export function savedtextzq() {}\nexport function restorededitzq() {}\n');
      for (let i = 0; i < 200 && names('restorededitzq').length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.deepEqual(names('restorededitzq'), ['src/a.ts'], 'the restored buffer is retrieved');
      assert.deepEqual(names('samebufferzq'), ['src/b.ts'], 'a buffer with the disk\'s text keeps its entry');
      assert.deepEqual(chunked.map((f) => f.replace(/\\/g, '/').split('/').slice(-2).join('/')), ['src/a.ts'], 'only the changed buffer is chunked again');
    } finally {
      await dispose();
    }
  });

  it('keeps a file out once it is removed while its change is read and chunked, and a buffer closed meanwhile', async () => {
    // A busy chunker (a build's files ahead of these, or its pause while a completion is decoded).
    const slow = { chunk: async (file: string, text: string) => (await new Promise((r) => setTimeout(r, 100)), chunker.chunk(file, text)) };
    const { ws, engine, names, dispose } = engineOn({ 'src/main.ts': '\n', 'src/gone.ts': 'export function deletedfilezq() {}\n' }, { chunker: slow });
    try {
      await engine.build();
      const gone = join(ws.root, 'src', 'gone.ts');
      writeFileSync(gone, 'export function deletedfilezq() { return 2; }\n');
      const changed = engine.filesChanged([{ file: gone, kind: 'changed' }]); // not awaited, as the server does not
      await new Promise((r) => setTimeout(r, 30));
      unlinkSync(gone);
      await Promise.all([changed, engine.filesChanged([{ file: gone, kind: 'deleted' }])]);
      assert.deepEqual(names('deletedfilezq'), []);
      assert.equal(engine.fileCount, 1);

      const draft = join(ws.root, 'src', 'draft.ts'); // never saved
      engine.documentOpened(draft, '');
      engine.documentChanged(draft, 'export function discardeddraftzq() {}\n');
      await new Promise((r) => setTimeout(r, 30)); // its text is being chunked
      engine.documentClosed(draft);
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(names('discardeddraftzq'), []);
      assert.equal(engine.fileCount, 1);
    } finally {
      await dispose();
    }
  });

  it('indexes a folder inside another workspace folder once, as its own, and follows its files there', async () => {
    const outer = makeWorkspace({ 'main.ts': '\n', 'pkg/lib.ts': 'export function oldhelperzq() {}\n' });
    const inner = join(outer.root, 'pkg');
    const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
    try {
      for (const folders of [[outer.root, inner], [inner, outer.root]]) {
        writeFileSync(join(inner, 'lib.ts'), 'export function oldhelperzq() {}\n');
        const engine = new ContextEngine({ folders, excludes: NO_EXCLUDES, chunker, cache: new IndexCache(cacheDir), log: () => undefined });
        const found = (words: string) => engine.retrieve(join(outer.root, 'main.ts'), `${words} `, '').map((s) => s.text.trim());
        await engine.build();
        assert.equal(engine.fileCount, 2, 'main.ts, and pkg/lib.ts once');
        writeFileSync(join(inner, 'lib.ts'), 'export function newhelperzq() {}\n');
        await engine.filesChanged([{ file: join(inner, 'lib.ts'), kind: 'changed' }]);
        assert.deepEqual(found('oldhelperzq'), [], 'no stale copy in the outer folder');
        assert.deepEqual(found('newhelperzq'), ['export function newhelperzq() {}']);
        await engine.dispose();
      }
    } finally {
      outer.cleanup();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it("keeps out of a folder nested in another what the outer one's globs and .gitignore keep out, and follows that .gitignore's edits", async () => {
    for (const repository of [false, true]) {
      const outer = makeWorkspace({
        'main.ts': '\n',
        '.gitignore': 'pkg/gen/\n',
        'pkg/lib.ts': 'export function libhelperzq() {}\n',
        'pkg/gen/out.ts': 'export function genhelperzq() {}\n',
        'pkg/conf/plan.ts': 'export function confhelperzq() {}\n',
      });
      // In a repository, the outer .gitignore is also one above the inner folder in its repository.
      if (repository) mkdirSync(join(outer.root, '.git'));
      const inner = join(outer.root, 'pkg');
      const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
      try {
        for (const folders of [[outer.root, inner], [inner, outer.root]]) {
          writeFileSync(join(outer.root, '.gitignore'), 'pkg/gen/\n');
          const engine = new ContextEngine({ folders, excludes: excludedEverywhere(['pkg/conf/**']), chunker, cache: new IndexCache(cacheDir), log: () => undefined });
          const found = (words: string) => engine.retrieve(join(outer.root, 'main.ts'), `${words} `, '').map((s) => s.path);
          await engine.build();
          // The inner folder's files, named after it (several folders).
          assert.deepEqual(found('libhelperzq genhelperzq confhelperzq'), ['pkg/lib.ts'], `${folders.length} folders`);
          writeFileSync(join(outer.root, '.gitignore'), '');
          await engine.filesChanged([{ file: join(outer.root, '.gitignore'), kind: 'changed' }]);
          assert.deepEqual(found('genhelperzq'), ['pkg/gen/out.ts'], 'the outer .gitignore read again');
          await engine.dispose();
        }
      } finally {
        outer.cleanup();
        rmSync(cacheDir, { recursive: true, force: true });
      }
    }
  });

  it('keeps a file created while a build runs, and a stopped build takes no more files', async () => {
    const files: Record<string, string> = { 'a.ts': 'export const aa = 1;\n', 'main.ts': '\n' };
    for (let i = 0; i < 20; i++) files[`gen/g${String(i).padStart(2, '0')}.ts`] = `export function generatedthing${i}() {}\n`;
    let gate: (() => void) | undefined;
    let calls = 0;
    const pause = () => (++calls === 4 ? new Promise<void>((resolve) => (gate = resolve)) : Promise.resolve());
    const { ws, engine, names, dispose } = engineOn(files, { pause }, 'main.ts');
    try {
      const first = engine.build();
      while (gate === undefined) await new Promise((r) => setTimeout(r, 5));
      // The walk listed the root already; a file is saved there and its event arrives.
      writeFileSync(join(ws.root, 'fresh.ts'), 'export function freshlycreatedzq() {}\n');
      await engine.filesChanged([{ file: join(ws.root, 'fresh.ts'), kind: 'created' }]);
      // New settings leave gen/ out: the build paused inside it stops there.
      const second = engine.setExcludes(excludedEverywhere(['gen/**']));
      gate();
      await Promise.all([first, second]);
      assert.deepEqual(names('freshlycreatedzq'), ['fresh.ts']);
      assert.deepEqual(names('generatedthing7'), []);
      assert.equal(engine.fileCount, 3);
    } finally {
      await dispose();
    }
  });

  it('keeps out a file excluded while a build was chunking it, and indexes a file event of a link at its target only', async () => {
    const files: Record<string, string> = { 'main.ts': '\n', 'vendorlib/big.ts': 'export function vendoronlyzq() {}\n', 'lib/real.ts': 'export function linkedtargetzq() {}\n' };
    for (let i = 0; i < 6; i++) files[`zz/f${i}.ts`] = `export const v${i} = ${i};\n`;
    let chunkingVendor!: () => void;
    const chunking = new Promise<void>((resolve) => (chunkingVendor = resolve));
    const slow = {
      chunk: async (file: string, text: string) => {
        if (file.startsWith('vendorlib/')) (chunkingVendor(), await new Promise((r) => setTimeout(r, 150)));
        return chunker.chunk(file, text);
      },
    };
    const { ws, engine, names, dispose } = engineOn(files, { chunker: slow }, 'main.ts');
    try {
      const first = engine.build();
      await chunking;
      await Promise.all([first, engine.setExcludes(excludedEverywhere(['vendorlib/**']))]);
      assert.deepEqual(names('vendoronlyzq'), [], 'the excluded file stays out');
      symlinkSync(join(ws.root, 'lib', 'real.ts'), join(ws.root, 'alias.ts'));
      await engine.filesChanged([{ file: join(ws.root, 'alias.ts'), kind: 'created' }]);
      assert.deepEqual(names('linkedtargetzq'), ['lib/real.ts']);
      // A file in a linked folder, as a watcher that follows the link reports it.
      symlinkSync(join(ws.root, 'lib'), join(ws.root, 'liblink'));
      await engine.filesChanged([{ file: join(ws.root, 'liblink', 'real.ts'), kind: 'changed' }]);
      assert.deepEqual(names('linkedtargetzq'), ['lib/real.ts']);
    } finally {
      await dispose();
    }
  });

  it('drops a file that is no longer text at the next build, and a buffer closed while excluded follows the disk again', async () => {
    const { ws, engine, names, dispose } = engineOn({ 'src/data.ts': 'export function staledatazq() {}\n', 'src/lib.ts': 'export function versiononezq() {}\n' });
    try {
      await engine.build();
      writeFileSync(join(ws.root, 'src', 'data.ts'), Buffer.from([0x00, 0x01, 0x02, 0x00, 0x41]));
      await engine.build();
      assert.deepEqual(names('staledatazq'), []);

      const lib = join(ws.root, 'src', 'lib.ts');
      engine.documentOpened(lib, 'export function versiononezq() {}\n');
      engine.documentChanged(lib, 'export function versiononezq() {}\n// edited\n');
      await new Promise((r) => setTimeout(r, 30));
      await engine.setExcludes(excludedEverywhere(['src/lib.ts']));
      assert.deepEqual(names('versiononezq'), [], 'an excluded file leaves, open or not');
      engine.documentClosed(lib);
      await engine.setExcludes(NO_EXCLUDES);
      writeFileSync(lib, 'export function versiontwozq() {}\n');
      await engine.filesChanged([{ file: lib, kind: 'changed' }]);
      assert.deepEqual(names('versiontwozq'), ['src/lib.ts']);
    } finally {
      await dispose();
    }
  });

  it('applies the current file and its imports to its own folder only, in a workspace of several folders', async () => {
    const a = makeWorkspace({ 'src/index.ts': "import * as utils from './utils';\n", 'src/utils.ts': 'export function alphaHelper() {}\n' });
    const b = makeWorkspace({ 'src/index.ts': 'export function betaEntryPoint() { return 1; }\n', 'src/utils.ts': 'export function betaUtilityFn() {}\n' });
    const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
    const engine = new ContextEngine({ folders: [a.root, b.root], excludes: NO_EXCLUDES, chunker, cache: new IndexCache(cacheDir), log: () => undefined });
    try {
      await engine.build();
      const current = join(a.root, 'src', 'index.ts');
      const found = engine.retrieve(current, 'betaEntryPoint ', '');
      assert.ok(found.some((s) => s.text.includes('betaEntryPoint')), 'the other folder\'s file of the same path is not the current file');
      const member = engine.retrieve(current, "import * as utils from './utils';\nutils.", '');
      assert.ok(member.filter((s) => s.imported === 'receiver').every((s) => !s.text.includes('betaUtilityFn')), 'the other folder\'s utils is not the imported module');
      assert.ok(member.some((s) => s.imported === 'receiver' && s.text.includes('alphaHelper')));
      // Prompts name files after their folder: the two src/index.ts are told apart.
      const [nameA, nameB] = [basename(a.root), basename(b.root)];
      assert.deepEqual(found.filter((s) => s.text.includes('betaEntryPoint')).map((s) => s.path), [`${nameB}/src/index.ts`]);
      assert.ok(member.some((s) => s.path === `${nameA}/src/utils.ts`), member.map((s) => s.path).join(', '));
      assert.equal(engine.displayPath(current), `${nameA}/src/index.ts`);
      // Folders of one name are told apart by the segments above them.
      assert.deepEqual(['/w/client/app', '/w/server/app', '/w/lib'].map((r, _, all) => folderLabel(r, all)), ['client/app', 'server/app', 'lib']);
    } finally {
      await engine.dispose();
      a.cleanup();
      b.cleanup();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('follows a relative import into a sibling workspace folder: its module is the one before the dot, with its member names', async () => {
    const ws = makeWorkspace({
      'app/src/members.ts': "import * as shapes from '../../lib/src/shapes';\n",
      'lib/src/shapes.ts': 'export const UNIT = 1;\nexport function squareArea(side: number): number {\n  return side * side;\n}\n',
      'lib/src/other.ts': 'export function unrelatedHelper() {}\n',
    });
    const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
    const engine = new ContextEngine({ folders: [join(ws.root, 'app'), join(ws.root, 'lib')], excludes: NO_EXCLUDES, chunker, cache: new IndexCache(cacheDir), log: () => undefined });
    try {
      await engine.build();
      const found = engine.retrieve(join(ws.root, 'app', 'src', 'members.ts'), "import * as shapes from '../../lib/src/shapes';\nconst a = shapes.", '');
      const receiver = found.filter((s) => s.imported === 'receiver');
      assert.ok(receiver.length > 0 && receiver.every((s) => s.path === 'lib/src/shapes.ts'), found.map((s) => `${s.path} ${s.imported}`).join(', '));
      assert.ok(receiver.some((s) => s.text.includes('squareArea')));
      // The member names come from there too (a completion at the dot starts with one of them).
      const text = "import * as shapes from '../../lib/src/shapes';\nconst a = shapes.sq\n";
      assert.deepEqual(engine.memberChoices(join(ws.root, 'app', 'src', 'members.ts'), text, text.slice(0, -1)), { typed: 'sq', names: ['squareArea'] });
    } finally {
      await engine.dispose();
      ws.cleanup();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('says when a folder is over its budget, and takes no new file past it but an open document', async () => {
    const ws = makeWorkspace({ 'src/shapes.ts': SHAPES_TS, 'src/vector.ts': VECTOR_TS });
    const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
    const logged: string[] = [];
    const budget = SHAPES_TS.length + 10;
    const engine = new ContextEngine({ folders: [ws.root], excludes: NO_EXCLUDES, chunker, cache: new IndexCache(cacheDir), log: (m) => logged.push(m), editDelayMs: 5, openDelayMs: 5, saveDelayMs: 5, folderBudgetBytes: budget });
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
      engine.documentClosed(join(ws.root, 'src', 'extra.ts'));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(engine.fileCount, 1, 'and leaves once closed: the disk\'s file is past the budget');
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
