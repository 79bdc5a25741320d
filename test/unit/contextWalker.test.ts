import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PathFilter, globToGitignorePatterns } from '../../lsp-server/context/pathFilter';
import { containsSecret, isSecretPath } from '../../lsp-server/context/secretRules';
import { readTextFile, walkWorkspace } from '../../lsp-server/context/workspaceWalker';
import { CANARY, makeWorkspace, VECTOR_TS } from './contextFixtures';

async function walked(root: string, excludeGlobs: string[] = []): Promise<string[]> {
  const out: string[] = [];
  for await (const f of walkWorkspace(root, new PathFilter(root, { excludeGlobs }), { maxFileBytes: 4096 })) out.push(f.relativePath);
  return out.sort();
}

describe('secret rules', () => {
  it('deny secret-bearing names and folders whatever the settings', () => {
    for (const p of ['.env', '.env.local', '.env.production', 'config/.env.test', 'id_rsa', 'server.pem', 'creds/aws/credentials', '.aws/config', 'secrets/x.txt', 'a/b.p12', 'deploy/tls.key']) {
      assert.ok(isSecretPath(p), p);
    }
    for (const p of ['src/env.ts', 'src/keyboard.ts', 'README.md', 'src/environment.py']) assert.ok(!isSecretPath(p), p);
  });

  it('spot credentials in content', () => {
    assert.ok(containsSecret('const k = "AKIAABCDEFGHIJKLMNOP";'));
    assert.ok(containsSecret('-----BEGIN RSA PRIVATE KEY-----\nMIIE'));
    assert.ok(containsSecret(`api_key = "${CANARY}abcdefgh"`));
    assert.ok(!containsSecret(VECTOR_TS));
  });
});

describe('workspace walker', () => {
  it('applies nested .gitignore with negation, exclude globs with braces, and skips secrets, binaries and big files', async () => {
    const ws = makeWorkspace({
      '.gitignore': 'build/\n*.log\n',
      'src/a.ts': VECTOR_TS,
      'src/gen/.gitignore': '*.ts\n!keep.ts\n',
      'src/gen/drop.ts': 'x',
      'src/gen/keep.ts': 'y',
      'build/out.js': 'z',
      'debug.log': 'log',
      'docs/a.md': '# a',
      'docs/b.txt': 'b',
      'vendor/lib.js': 'v',
      '.env.local': `TOKEN=${CANARY}`,
      'certs/server.pem': CANARY,
      'node_modules/x/index.js': 'n',
      'image.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]),
      'huge.ts': 'x'.repeat(5000),
    });
    try {
      assert.deepEqual(await walked(ws.root, ['**/vendor', 'docs/*.{md,txt}']), ['.gitignore', 'image.png', 'src/a.ts', 'src/gen/.gitignore', 'src/gen/keep.ts']);
      // Listing does not read; reading sniffs the first bytes and refuses binaries.
      assert.equal(await readTextFile(join(ws.root, 'image.png')), undefined);
      assert.equal(await readTextFile(join(ws.root, 'src/a.ts')), VECTOR_TS);
    } finally {
      ws.cleanup();
    }
  });

  it('reads UTF-8 text whatever character its sniffed bytes end in, and refuses invalid UTF-8', async () => {
    // A three-byte character across the 8 KB the reader sniffs, at every offset; a two-byte one near a short end.
    const files: Record<string, string | Buffer> = { 'short.ts': 'export const é = "ééééé";\n', 'bad.ts': Buffer.from([0x61, 0xc3, 0x28, 0x62]) };
    const lines = `// ${'a'.repeat(56)}\n`.repeat(136); // 8,160 bytes
    for (let k = 0; k < 6; k++) files[`cjk${k}.ts`] = `${lines}${'a'.repeat(29 - k)}${'// 中文注释\n'.repeat(200)}`;
    const ws = makeWorkspace(files);
    try {
      for (const [name, text] of Object.entries(files)) {
        if (typeof text === 'string') assert.ok((await readTextFile(join(ws.root, name))) === text, name);
      }
      assert.equal(await readTextFile(join(ws.root, 'bad.ts')), undefined);
    } finally {
      ws.cleanup();
    }
  });

  it('ends on symlink loops and never follows links out of the root', async () => {
    const outside = makeWorkspace({ 'id.txt': CANARY });
    const ws = makeWorkspace({ 'src/a.ts': VECTOR_TS });
    try {
      symlinkSync(ws.root, join(ws.root, 'src', 'loop'));
      symlinkSync(outside.root, join(ws.root, 'src', 'escape'));
      symlinkSync(join(outside.root, 'id.txt'), join(ws.root, 'src', 'escape.txt'));
      mkdirSync(join(ws.root, 'lib'));
      writeFileSync(join(ws.root, 'lib', 'b.ts'), 'export const b = 1;\n');
      symlinkSync(join(ws.root, 'lib'), join(ws.root, 'src', 'lib-link'));
      const files = await walked(ws.root);
      assert.ok(files.includes('src/a.ts'));
      assert.deepEqual(files.filter((f) => f.endsWith('b.ts')), ['lib/b.ts'], 'a linked directory is walked once, at its real path');
      assert.ok(!files.some((f) => f.includes('escape')));
    } finally {
      ws.cleanup();
      outside.cleanup();
    }
  });

  it('walks what an ignored link points to at its real path', async () => {
    const ws = makeWorkspace({ '.gitignore': 'current\n', 'packages/app/main.ts': 'export const app = 1;\n' });
    try {
      symlinkSync(join(ws.root, 'packages', 'app'), join(ws.root, 'current'));
      assert.deepEqual(await walked(ws.root), ['.gitignore', 'packages/app/main.ts']);
    } finally {
      ws.cleanup();
    }
  });

  it("applies the repository's .gitignore files above the folder and its info/exclude, as git does, and none outside a repository", async () => {
    const ws = makeWorkspace({
      '.gitignore': 'dist/\n*.log\n',
      'packages/.gitignore': '/app/tmp/\n',
      'packages/app/src/a.ts': 'a',
      'packages/app/dist/bundle.ts': 'b',
      'packages/app/debug.log': 'c',
      'packages/app/tmp/t.ts': 'd',
      'packages/app/local.ts': 'e',
    });
    const app = join(ws.root, 'packages', 'app');
    try {
      assert.deepEqual(await walked(app), ['debug.log', 'dist/bundle.ts', 'local.ts', 'src/a.ts', 'tmp/t.ts'], 'no .git above: the .gitignore files there are not this folder\'s');
      mkdirSync(join(ws.root, '.git', 'info'), { recursive: true });
      writeFileSync(join(ws.root, '.git', 'info', 'exclude'), 'packages/app/local.ts\n');
      assert.deepEqual(await walked(app), ['src/a.ts']);
      // A worktree: `.git` is a file naming its git folder, whose `commondir` holds the shared info/exclude.
      rmSync(join(ws.root, '.git'), { recursive: true });
      const main = makeWorkspace({ '.git/info/exclude': 'packages/app/src/\n', '.git/worktrees/ws/commondir': '../..\n' });
      try {
        writeFileSync(join(ws.root, '.git'), `gitdir: ${join(main.root, '.git', 'worktrees', 'ws')}\n`);
        assert.deepEqual(await walked(app), ['local.ts']);
      } finally {
        main.cleanup();
      }
    } finally {
      ws.cleanup();
    }
  });

  it('indexes a folder its repository ignores by its own rules alone: opened on purpose, it is a project of its own', async () => {
    const ws = makeWorkspace({
      '.git/info/exclude': 'scratch/\n',
      '.gitignore': 'out/\n*.log\n',
      'out/e2e/app/.gitignore': 'gen/\n',
      'out/e2e/app/src/a.ts': 'a',
      'out/e2e/app/gen/g.ts': 'b',
      'out/e2e/app/debug.log': 'c',
      'scratch/try/b.ts': 'd',
      'packages/lib/c.ts': 'e',
      'packages/lib/d.log': 'f',
    });
    try {
      assert.deepEqual(await walked(join(ws.root, 'out', 'e2e', 'app')), ['.gitignore', 'debug.log', 'src/a.ts'], "the repository's out/ and *.log rules would leave nothing");
      assert.deepEqual(await walked(join(ws.root, 'scratch', 'try')), ['b.ts'], 'ignored by info/exclude');
      assert.deepEqual(await walked(join(ws.root, 'packages', 'lib')), ['c.ts'], 'a folder the repository keeps still follows its rules above');
    } finally {
      ws.cleanup();
    }
  });

  it("applies an outer workspace folder's exclude globs and .gitignore files in a folder nested in it", async () => {
    const ws = makeWorkspace({
      '.gitignore': 'pkg/gen/\n',
      'pkg/.gitignore': '*.tmp.ts\n',
      'pkg/src/a.ts': 'a',
      'pkg/src/b.tmp.ts': 'b',
      'pkg/gen/out.ts': 'c',
      'pkg/conf/plan.ts': 'd',
      'pkg/keys.ts': 'e',
    });
    const pkg = join(ws.root, 'pkg');
    const files = async (outers: string[]) => {
      const out: string[] = [];
      const outerFolders = outers.map((root) => ({ root, excludeGlobs: ['pkg/conf/**', 'keys.ts'] }));
      for await (const f of walkWorkspace(pkg, new PathFilter(pkg, { excludeGlobs: ['pkg/conf/**', 'keys.ts'], outerFolders }))) out.push(f.relativePath);
      return out.sort();
    };
    try {
      assert.deepEqual(await files([]), ['.gitignore', 'conf/plan.ts', 'gen/out.ts', 'src/a.ts']);
      // Each folder's globs are matched from its own root: `pkg/conf/**` from the outer one, `keys.ts` from the inner.
      assert.deepEqual(await files([ws.root]), ['.gitignore', 'src/a.ts']);
    } finally {
      ws.cleanup();
    }
  });

  it("indexes a folder listed inside another that the outer one's git rules or skipped folders would hide whole, keeping the outer's globs", async () => {
    const ws = makeWorkspace({
      '.git/info/exclude': '',
      '.gitignore': 'build/\n',
      'build/out.ts': 'a',
      'build/private/key.ts': 'b',
      'build/gen/g.ts': 'c',
      'node_modules/lib/index.ts': 'd',
      'src/a.ts': 'e',
    });
    const walked = async (folder: string) => {
      const out: string[] = [];
      const root = join(ws.root, folder);
      const outerFolders = [{ root: ws.root, excludeGlobs: ['build/private/**'] }];
      for await (const f of walkWorkspace(root, new PathFilter(root, { excludeGlobs: ['gen/**'], outerFolders }))) out.push(f.relativePath);
      return out.sort();
    };
    try {
      assert.deepEqual(await walked('build'), ['out.ts'], "the outer folder's glob (build/private/**) and its own (gen/**) still hold");
      assert.deepEqual(await walked('node_modules/lib'), ['index.ts']);
    } finally {
      ws.cleanup();
    }
  });

  it('lists the files nearest the root first', async () => {
    const ws = makeWorkspace({ 'z.ts': 'z', 'a/b/c/deep.ts': 'deep', 'a/b/mid.ts': 'mid', 'm/top.ts': 'top', 'a/first.ts': 'first' });
    try {
      const order: string[] = [];
      for await (const f of walkWorkspace(ws.root, new PathFilter(ws.root, { excludeGlobs: [] }))) order.push(f.relativePath);
      assert.deepEqual(order, ['z.ts', 'a/first.ts', 'm/top.ts', 'a/b/mid.ts', 'a/b/c/deep.ts']);
    } finally {
      ws.cleanup();
    }
  });

  it('anchors VS Code globs at the root unless they start with **', () => {
    assert.deepEqual(globToGitignorePatterns('**/*.{js,map}'), ['**/*.js', '**/*.map']);
    assert.deepEqual(globToGitignorePatterns('out'), ['/out']);
  });
});
