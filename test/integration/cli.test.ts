// `node dist/cli.js complete …` end to end: the CLI starts the server, waits for the model and prints.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { FIXTURE_MODEL, REPO_ROOT } from './lspHarness';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const SAMPLE = path.join(REPO_ROOT, 'test', 'integration', 'workspace', 'sample.py');

describe('cli', () => {
  it('prints a completion and its latency for a file position', async () => {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'complete', `${SAMPLE}:9:5`, '--model', FIXTURE_MODEL], { timeout: 30_000 });
    assert.notEqual(stdout.trim(), '');
    assert.match(stderr, /tiny-llama \(onnx\/model\.onnx, fp32\) · first token \d+ ms · total \d+ ms · [\d.]+ tokens\/s/);
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
