// Reliability §4.3: secrets in the workspace never reach a prompt, whatever the cursor; .gitignore handling
// agrees with git itself.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { ContextEngine } from '../../lsp-server/context/contextEngine';
import { ContextPromptBuilder } from '../../lsp-server/context/contextPromptBuilder';
import { IndexCache } from '../../lsp-server/context/indexPersistence';
import { PathFilter } from '../../lsp-server/context/pathFilter';
import { PromptAssembler } from '../../lsp-server/context/promptAssembler';
import { EXCLUDED_FILE_REASON, PromptPrivacy, SECRET_FILE_REASON } from '../../lsp-server/context/promptPrivacy';
import { SelectiveContext, UnigramScorer } from '../../lsp-server/context/selectiveContext';
import { SyntaxChunker } from '../../lsp-server/context/syntaxChunker';
import { walkWorkspace } from '../../lsp-server/context/workspaceWalker';
import { TextTokenizer } from '../../runtime/tokenizer';
import { CANARY, excludedEverywhere, makeWorkspace, MATH_PY, SHAPES_TS, VECTOR_TS } from './contextFixtures';
import { TARGET_DIR } from './runtimeFixtures';
import { NO_EXCLUDES } from '../../lsp-server/context/workspaceExcludes';

function hasGit(): boolean {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('privacy of retrieved context', () => {
  it("keeps a secret or excluded file's own text out of prompts, in the folders and outside them", () => {
    const root = join(tmpdir(), 'ws');
    const privacy = new PromptPrivacy([root, join(root, 'pkg')], excludedEverywhere(['generated/**', 'notes.md']));
    const reason = (relative: string) => privacy.reasonFor(join(root, relative));
    for (const secret of ['.env', '.env.local', 'config/prod.env', 'certs/server.pem', '.ssh/config', 'deploy/id_rsa', 'pkg/keys/a.ts']) {
      assert.equal(reason(secret), SECRET_FILE_REASON, secret);
    }
    assert.equal(reason('generated/api.ts'), EXCLUDED_FILE_REASON);
    assert.equal(reason('notes.md'), EXCLUDED_FILE_REASON);
    // In the inner folder, paths are that folder's: its globs are matched against them.
    assert.equal(reason('pkg/generated/x.ts'), EXCLUDED_FILE_REASON);
    for (const plain of ['src/app.ts', 'environment.ts', 'src/envelope.py', 'docs/notes.md.txt']) assert.equal(reason(plain), undefined, plain);
    // Outside the folders only the name is judged: a parent named `private` or `keys` is not the workspace's.
    assert.equal(privacy.reasonFor(join(tmpdir(), 'private', 'keys', 'app.ts')), undefined);
    assert.equal(privacy.reasonFor(join(tmpdir(), 'elsewhere', '.env')), SECRET_FILE_REASON);
  });

  it('judges a file in nested folders from each folder that holds it', () => {
    const root = join(tmpdir(), 'ws');
    const privacy = new PromptPrivacy([root, join(root, 'pkg'), join(root, 'keys', 'app')], excludedEverywhere(['pkg/conf/**', 'draft.md']));
    const reason = (relative: string) => privacy.reasonFor(join(root, relative));
    assert.equal(reason('pkg/conf/plan.ts'), EXCLUDED_FILE_REASON, "the outer folder's glob, written from its root");
    assert.equal(reason('pkg/draft.md'), EXCLUDED_FILE_REASON, "the inner folder's");
    assert.equal(reason('keys/app/main.ts'), SECRET_FILE_REASON, 'in a secret folder of the outer one');
    assert.equal(reason('pkg/src/conf/plan.ts'), undefined);
  });

  it('keeps canary secrets out of every prompt across random cursor positions', async () => {
    const ws = makeWorkspace({
      'src/shapes.ts': SHAPES_TS,
      'src/vector.ts': VECTOR_TS,
      'pkg/math.py': MATH_PY,
      '.env': `API_TOKEN=${CANARY}\n`,
      '.env.local': `DB_PASSWORD=${CANARY}\n`,
      '.env.production': `KEY=${CANARY}\n`,
      'config/.env.test': `KEY=${CANARY}\n`,
      'id_rsa': `-----BEGIN OPENSSH PRIVATE KEY-----\n${CANARY}\n`,
      'server.pem': CANARY,
      'creds/aws/credentials': `aws_secret_access_key = ${CANARY}`,
      '.aws/config': CANARY,
      'secrets/x.txt': CANARY,
      'src/settings.ts': `export const vectorServiceKey = "AKIAABCDEFGHIJKLMNOP"; // ${CANARY} Vector distanceTo\n`,
    });
    const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
    const chunker = await SyntaxChunker.create();
    try {
      const engine = new ContextEngine({ folders: [ws.root], excludes: NO_EXCLUDES, chunker, cache: new IndexCache(cacheDir), log: () => undefined });
      await engine.build();
      assert.equal(engine.fileCount, 4, 'settings.ts is listed; its chunk with the key is left out');
      const tokenizer = TextTokenizer.fromDirectory(TARGET_DIR);
      const builder = new ContextPromptBuilder(engine, new PromptAssembler(tokenizer), new SelectiveContext(new UnigramScorer(tokenizer, engine)));
      const current = `import { Vector } from './vector';\nimport { Circle } from './shapes';\n\nexport function scaled(c: Circle, v: Vector) {\n  const key = vectorServiceKey;\n  return c.contains(v.scaledBy(2)) && v.distanceTo(c.center) < hypotenuse(1, 2);\n}\n`;
      let seed = 11;
      for (let i = 0; i < 300; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const cut = seed % (current.length + 1);
        const cursor = { file: join(ws.root, 'src', 'main.ts'), prefix: current.slice(0, cut), suffix: current.slice(cut) };
        for (const prompt of [await builder.build(cursor, 256), await builder.buildUncompressed(cursor, 2048)]) {
          assert.ok(!tokenizer.decode(prompt.ids).includes(CANARY), `cursor ${cut}`);
        }
      }
      await engine.dispose();
    } finally {
      chunker.dispose();
      ws.cleanup();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('agrees with git check-ignore on nested and negated .gitignore rules', { skip: !hasGit() }, async () => {
    const ws = makeWorkspace({
      '.gitignore': '*.log\nbuild/\n/out\ndocs/**/draft-*\n!keep.log\n',
      'a.log': 'x', 'keep.log': 'x', 'src/b.log': 'x', 'src/keep.log': 'x',
      'build/x.ts': 'x', 'src/build/y.ts': 'x', 'out/z.ts': 'x', 'src/out/w.ts': 'x',
      'docs/a/draft-1.md': 'x', 'docs/a/final.md': 'x',
      'lib/.gitignore': '*.gen.ts\n!special.gen.ts\n', 'lib/a.gen.ts': 'x', 'lib/special.gen.ts': 'x', 'lib/c.ts': 'x',
    });
    try {
      execFileSync('git', ['init', '-q'], { cwd: ws.root });
      const untracked = execFileSync('git', ['ls-files', '--others', '--exclude-standard'], { cwd: ws.root, encoding: 'utf8' }).trim().split('\n').sort();
      const walked: string[] = [];
      for await (const f of walkWorkspace(ws.root, new PathFilter(ws.root, { excludeGlobs: [] }))) walked.push(f.relativePath);
      assert.deepEqual(walked.sort(), untracked);
    } finally {
      ws.cleanup();
    }
  });

  it('agrees with git on a folder opened inside a repository or a worktree of it: the .gitignore files above and info/exclude', { skip: !hasGit() }, async () => {
    const files = {
      '.gitignore': 'dist/\n*.log\n', 'packages/.gitignore': '/app/tmp/\n',
      'packages/app/src/a.ts': 'x', 'packages/app/dist/b.ts': 'x', 'packages/app/c.log': 'x',
      'packages/app/tmp/t.ts': 'x', 'packages/app/local.ts': 'x', 'packages/app/src/tmp/u.ts': 'x',
    };
    const ws = makeWorkspace({});
    const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' });
    try {
      const main = join(ws.root, 'main');
      git(ws.root, 'init', '-q', 'main');
      git(main, 'commit', '-q', '--allow-empty', '-m', 'base');
      git(main, 'worktree', 'add', '-q', join(ws.root, 'tree'));
      writeFileSync(join(main, '.git', 'info', 'exclude'), 'packages/app/local.ts\n');
      for (const checkout of [main, join(ws.root, 'tree')]) {
        for (const [relative, text] of Object.entries(files)) {
          mkdirSync(dirname(join(checkout, relative)), { recursive: true });
          writeFileSync(join(checkout, relative), text);
        }
        const app = join(checkout, 'packages', 'app');
        const untracked = git(app, 'ls-files', '--others', '--exclude-standard').trim().split('\n').sort();
        const walked: string[] = [];
        for await (const f of walkWorkspace(app, new PathFilter(app, { excludeGlobs: [] }))) walked.push(f.relativePath);
        assert.deepEqual(walked.sort(), untracked, checkout);
        assert.deepEqual(untracked, ['src/a.ts', 'src/tmp/u.ts'], 'what git itself leaves in');
      }
    } finally {
      ws.cleanup();
    }
  });
});
