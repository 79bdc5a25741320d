// A multi-root workspace's folder settings: one folder's `locus.exclude` / `files.exclude` hold for its files alone, as
// when that folder is opened by itself, in the index, in the prompt privacy rules and in the efficiency checks' test
// files; the other folders keep the window's.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContextEngine } from '../../lsp-server/context/contextEngine';
import { IndexCache } from '../../lsp-server/context/indexPersistence';
import { EXCLUDED_FILE_REASON, PromptPrivacy } from '../../lsp-server/context/promptPrivacy';
import { SyntaxChunker } from '../../lsp-server/context/syntaxChunker';
import { NO_EXCLUDES, type ExcludeGlobs, type WorkspaceExcludes } from '../../lsp-server/context/workspaceExcludes';
import { WorkspaceTestFiles } from '../../lsp-server/efficiency/workspaceTestFiles';
import { makeWorkspace } from './contextFixtures';

const NONE: ExcludeGlobs = { index: [], prompt: [] };

function withFolders(folders: [string, ExcludeGlobs][], window: ExcludeGlobs = NONE): WorkspaceExcludes {
  return { window, folders: new Map(folders) };
}

let chunker: SyntaxChunker;
before(async () => {
  chunker = await SyntaxChunker.create();
});
after(() => chunker.dispose());

describe("a workspace folder's own exclude settings", () => {
  it("keep that folder's file out of prompts, and the same path in another folder in", () => {
    const [app, lib, other] = ['app', 'lib', 'other'].map((name) => join(tmpdir(), 'ws', name));
    const privacy = new PromptPrivacy([app!, lib!, other!], withFolders([[app!, { index: ['drafts/**', 'out/**'], prompt: ['drafts/**'] }]], { index: ['gen/**'], prompt: ['gen/**'] }));
    assert.equal(privacy.reasonFor(join(app!, 'drafts', 'plan.ts')), EXCLUDED_FILE_REASON);
    assert.equal(privacy.reasonFor(join(lib!, 'drafts', 'plan.ts')), undefined, "the other folder's file of the same path");
    // The folder's own list replaces the window's there; files.exclude (`out/**`) keeps files out of the index only.
    assert.equal(privacy.reasonFor(join(app!, 'gen', 'api.ts')), undefined);
    assert.equal(privacy.reasonFor(join(app!, 'out', 'main.ts')), undefined);
    assert.equal(privacy.reasonFor(join(other!, 'gen', 'api.ts')), EXCLUDED_FILE_REASON, "a folder without its own takes the window's");
  });

  it("apply in a folder nested in the one that sets them, written from the outer folder's root", async () => {
    const ws = makeWorkspace({ 'pkg/conf/plan.ts': 'export function confzq() {}\n', 'pkg/src/a.ts': 'export function srczq() {}\n' });
    const inner = join(ws.root, 'pkg');
    const excludes = withFolders([[ws.root, { index: ['pkg/conf/**'], prompt: ['pkg/conf/**'] }]]);
    const privacy = new PromptPrivacy([ws.root, inner], excludes);
    assert.equal(privacy.reasonFor(join(inner, 'conf', 'plan.ts')), EXCLUDED_FILE_REASON);
    const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
    const engine = new ContextEngine({ folders: [ws.root, inner], excludes, chunker, cache: new IndexCache(cacheDir), log: () => undefined });
    try {
      await engine.build();
      assert.deepEqual(engine.retrieve(undefined, 'confzq srczq ', '').map((s) => s.path), ['pkg/src/a.ts']);
    } finally {
      await engine.dispose();
      ws.cleanup();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it("keep that folder's files out of its index, change without a restart, and leave the other folders' indexes alone", async () => {
    const a = makeWorkspace({ 'main.ts': '\n', 'drafts/plan.ts': 'export function planhelperzq() {}\n', 'out/build.ts': 'export function buildhelperzq() {}\n' });
    const b = makeWorkspace({ 'drafts/plan.ts': 'export function planotherzq() {}\n', 'out/build.ts': 'export function buildotherzq() {}\n' });
    const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
    const own = { index: ['drafts/**', 'out/**'], prompt: ['drafts/**'] };
    const engine = new ContextEngine({ folders: [a.root, b.root], excludes: withFolders([[a.root, own]]), chunker, cache: new IndexCache(cacheDir), log: () => undefined });
    const found = (words: string) => engine.retrieve(join(a.root, 'main.ts'), `${words} `, '').map((s) => s.text.match(/function (\w+)/)?.[1]);
    try {
      await engine.build();
      assert.deepEqual(found('planhelperzq buildhelperzq planotherzq buildotherzq').sort(), ['buildotherzq', 'planotherzq']);
      // An open buffer of the excluded path does not go in either.
      engine.documentOpened(join(a.root, 'drafts', 'plan.ts'), 'export function planhelperzq() { return 2; }\n');
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(found('planhelperzq'), []);

      // Settings for a folder not listed yet change nothing now, and hold when it is added.
      const c = makeWorkspace({ 'drafts/plan.ts': 'export function planthirdzq() {}\n', 'keep.ts': 'export function keepthirdzq() {}\n' });
      try {
        const withC = withFolders([[a.root, own], [c.root, own]]);
        const rebuild = engine.setExcludes(withC);
        assert.equal(engine.isBuilding, false, 'no folder listed now is judged otherwise: no walk');
        await rebuild;
        await engine.setFolders([a.root, b.root, c.root]);
        assert.deepEqual(found('planthirdzq keepthirdzq'), ['keepthirdzq']);

        // The folder's settings changed: its index follows, the others' are kept.
        await engine.setExcludes(withFolders([[a.root, { index: ['out/**'], prompt: [] }], [c.root, own]]));
        assert.deepEqual(found('planhelperzq buildhelperzq planthirdzq').sort(), ['planhelperzq']);
      } finally {
        c.cleanup();
      }
    } finally {
      await engine.dispose();
      a.cleanup();
      b.cleanup();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it("keep that folder's test files from the efficiency checks, as from its index, and change without waiting", async () => {
    const a = makeWorkspace({ 'test/util.test.ts': 'scalezq(1);\n', 'drafts/old.test.ts': 'scalezq(2);\n', 'pkg/test/inner.test.ts': 'scalezq(3);\n' });
    const b = makeWorkspace({ 'drafts/other.test.ts': 'scalezq(4);\n' });
    const inner = join(a.root, 'pkg');
    const roots = [a.root, inner, b.root];
    let excludes: WorkspaceExcludes = NO_EXCLUDES;
    // The folders and the clock stay: the list is cached, so only the changed settings can list the files again.
    const testFiles = new WorkspaceTestFiles(() => roots, () => excludes, () => 0);
    const found = async () => (await testFiles.filesMentioning('scalezq')).map((file) => file.path).sort();
    try {
      const all = [join(a.root, 'drafts', 'old.test.ts'), join(inner, 'test', 'inner.test.ts'), join(a.root, 'test', 'util.test.ts'), join(b.root, 'drafts', 'other.test.ts')];
      assert.deepEqual(await found(), all.sort(), 'the nested folder listed once');
      excludes = withFolders([[a.root, { index: ['drafts/**', 'pkg/test/**'], prompt: [] }]]);
      assert.deepEqual(await found(), [join(a.root, 'test', 'util.test.ts'), join(b.root, 'drafts', 'other.test.ts')].sort(), "the outer folder's globs hold in the nested one");
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
});
