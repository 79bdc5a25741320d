// `node dist/cli.js complete|explain|compress …` end to end: the CLI starts the server, waits for the model and prints.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { FIXTURE_MODEL, REPO_ROOT } from './lspHarness';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const SAMPLE = path.join(REPO_ROOT, 'test', 'integration', 'workspace', 'sample.py');
const VECTOR = `export class Vector {\n  constructor(readonly x: number, readonly y: number) {}\n\n  distanceTo(other: Vector): number {\n    return Math.hypot(this.x - other.x, this.y - other.y);\n  }\n}\n`;
const MAIN = `import { Vector } from './vector';\n\nexport function far(a: Vector, b: Vector): boolean {\n  return a.dist`;

/**
 * A project folder with src/vector.ts, src/main.ts (MAIN's cursor at 4:16) and `helpers` more files, and the options
 * that run the CLI in it (its index cache kept beside it, not in the temp folder); removed after `body`.
 */
async function inProject(helpers: number, body: (options: { cwd: string; env: NodeJS.ProcessEnv }) => Promise<void>): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'locus-cli-project-'));
  try {
    const cwd = path.join(root, 'project');
    mkdirSync(path.join(cwd, 'src', 'helpers'), { recursive: true });
    mkdirSync(path.join(root, 'tmp'));
    writeFileSync(path.join(cwd, 'src', 'vector.ts'), VECTOR);
    writeFileSync(path.join(cwd, 'src', 'main.ts'), MAIN);
    for (let i = 1; i <= helpers; i++) writeFileSync(path.join(cwd, 'src', 'helpers', `h${i}.ts`), `export function helper${i}(value: number): number {\n  return value * ${i} + 1;\n}\n`);
    await body({ cwd, env: { ...process.env, TMPDIR: path.join(root, 'tmp') } });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('cli', () => {
  it('prints a completion and its latency for a file position', async () => {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'complete', `${SAMPLE}:9:5`, '--model', FIXTURE_MODEL], { timeout: 30_000 });
    assert.notEqual(stdout.trim(), '');
    assert.match(stderr, /tiny-llama \(onnx\/model\.onnx, fp32\) · first token \d+ ms · total \d+ ms · [\d.]+ tokens\/s/);
  });

  it('exits 0 when a reader of stdout and stderr together stops early (`2>&1 | head -1`)', async () => {
    // The reader closes the pipe after the first line; the stderr lines written after it must not fail the command.
    const script = `"${process.execPath}" "${CLI}" complete "${SAMPLE}:9:5" --model "${FIXTURE_MODEL}" 2>&1 | head -1 >/dev/null; exit \${PIPESTATUS[0]}`;
    await run('bash', ['-c', script], { timeout: 30_000 });
  });

  it('fails with one line for a position outside the file', async () => {
    await assert.rejects(run(process.execPath, [CLI, 'complete', `${SAMPLE}:99:1`], { timeout: 30_000 }), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.equal(error.stderr.trim().split('\n').length, 1);
      assert.match(error.stderr, /line 99 is past the end of the file/);
      return true;
    });
  });

  it('completes the file it is given whatever its language, and says why where Locus makes no completion', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'locus-cli-'));
    try {
      // Plain text is off by default in the editor; named on the command line, it is completed.
      writeFileSync(path.join(dir, 'notes.txt'), 'notes about the\nrelease plan\n');
      const { stderr } = await run(process.execPath, [CLI, 'complete', `${path.join(dir, 'notes.txt')}:2:13`, '--model', FIXTURE_MODEL], { timeout: 30_000 });
      assert.match(stderr, / · first token \d+ ms · /, 'the model ran');
      writeFileSync(path.join(dir, '.env'), 'API_KEY=abc\nSECRET=');
      await assert.rejects(run(process.execPath, [CLI, 'complete', `${path.join(dir, '.env')}:2:8`, '--model', FIXTURE_MODEL], { timeout: 30_000 }), (error: { code: number; stdout: string; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.equal(error.stdout, '');
        assert.match(error.stderr, /^locus: Locus makes no prompt of this file .*it is a secret file/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explain prints the explanation of whole lines and its latency', async () => {
    // `distance`'s header and body.
    const { stdout, stderr } = await run(process.execPath, [CLI, 'explain', `${SAMPLE}:6-9`, '--model', FIXTURE_MODEL], { timeout: 30_000 });
    assert.notEqual(stdout.trim(), '');
    assert.ok(stdout.endsWith('\n'));
    assert.match(stderr, /^── tiny-llama \(onnx\/model\.onnx, fp32\) · first text \d+ ms · generating \d+ ms · [\d.]+ tokens\/s \(\d+ tokens? generated, \d+ prompt tokens?\) · /m);
  });

  it('explain refuses a binary file in one sentence before it starts the server', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'locus-cli-'));
    try {
      writeFileSync(path.join(dir, 'blob.js'), 'const a = 1;\n\u0089PNG\u0000\u0001\n');
      await assert.rejects(run(process.execPath, [CLI, 'explain', `${path.join(dir, 'blob.js')}:1`, '--model', FIXTURE_MODEL], { timeout: 30_000 }), (error: { code: number; stdout: string; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.equal(error.stdout, '');
        assert.equal(error.stderr, `locus: ${path.join(dir, 'blob.js')} is binary (it holds NUL characters): Locus makes no explanation in binary files.\n`);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explain refuses a file over 1 MiB before it starts the server', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'locus-cli-'));
    try {
      // 1.5 MiB: under the size read unseen (3 MiB), over the server's limit for a prompt's file.
      writeFileSync(path.join(dir, 'data.py'), `x = 1\n${'# filler\n'.repeat(175_000)}`);
      await assert.rejects(run(process.execPath, [CLI, 'explain', `${path.join(dir, 'data.py')}:1`, '--model', FIXTURE_MODEL], { timeout: 30_000 }), (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr, /^locus: .*data\.py is over 1 MiB: Locus makes no explanation in files that large\.\n$/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('compress prints the budget, the snippets retrieved from the current folder and the lines dropped', async () => {
    // Enough files that the model is ready before they are all indexed (on 2 cores, ~100 of them): the answer waits.
    await inProject(400, async (options) => {
      const { stdout, stderr } = await run(process.execPath, [CLI, 'compress', 'src/main.ts:4:16', '--budget', '48', '--model', FIXTURE_MODEL], { ...options, timeout: 30_000 });
      assert.match(stdout, /^Locus: prompt for the cursor, budget 48 tokens \(scorer: unigram\)\n/);
      assert.match(stdout, /^Index: 402 files, \d+ chunks\. /m);
      // Named by its path in the current folder, the workspace.
      assert.match(stdout, /^## Retrieved\n- src\/vector\.ts:1-7 {2}score /m);
      assert.match(stdout, /^## Dropped \([1-9]\d* lines?, /m);
      assert.match(stdout, /^## After \((\d+) tokens?\)$/m);
      assert.ok(Number(/^## After \((\d+) tokens?\)$/m.exec(stdout)![1]) <= 48);
      assert.match(stderr, /^── tiny-llama \(onnx\/model\.onnx, fp32\) · request \d+ ms$/m);
    });
  });

  it("compress takes a budget over the completions' own, up to what the model's context holds", async () => {
    // The embedded model's context (1024 tokens) holds more than the completions' default budget of 512.
    await inProject(0, async (options) => {
      const { stdout } = await run(process.execPath, [CLI, 'compress', 'src/main.ts:4:16', '--budget', '800'], { ...options, timeout: 60_000 });
      assert.match(stdout, /^Locus: prompt for the cursor, budget 800 tokens \(scorer: draft-model\)\n/);
    });
  });

  it('compress fails with one line for a position outside the file', async () => {
    await inProject(0, async (options) => {
      await assert.rejects(run(process.execPath, [CLI, 'compress', 'src/main.ts:4:99', '--model', FIXTURE_MODEL], { ...options, timeout: 30_000 }), (error: { code: number; stdout: string; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.equal(error.stdout, '');
        assert.equal(error.stderr, 'locus: src/main.ts: column 99 is past the end of line 4 (15 characters)\n');
        return true;
      });
    });
  });

  it('ends at once with what the server said when the server stops', async () => {
    // The CLI beside a server that fails as it starts (a crash, or killed for memory).
    const dir = mkdtempSync(path.join(tmpdir(), 'locus-cli-dead-'));
    try {
      copyFileSync(CLI, path.join(dir, 'cli.js'));
      writeFileSync(path.join(dir, 'server.js'), "process.stderr.write('FATAL: out of memory\\n'); process.exit(3);\n");
      const started = Date.now();
      await assert.rejects(run(process.execPath, [path.join(dir, 'cli.js'), 'complete', `${SAMPLE}:9:5`], { timeout: 25_000 }), (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr, /^locus: the Locus server stopped \(exit code 3\): FATAL: out of memory\. Run the command again/);
        return true;
      });
      assert.ok(Date.now() - started < 20_000, 'not the 30 s start time limit');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with the model error and its fix for a bad model directory', async () => {
    await assert.rejects(run(process.execPath, [CLI, 'complete', `${SAMPLE}:9:5`, '--model', '/nonexistent/model'], { timeout: 30_000 }), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr, /^locus: .*nonexistent.*Use a model folder that contains config\.json/);
      // In the command line's terms: the option, not the editor's setting.
      assert.match(error.stderr, /The folder is set by --model; leave it out to use the embedded model\./);
      assert.doesNotMatch(error.stderr, /locus\.model\.path|Output channel/);
      return true;
    });
  });
});
