// `node dist/cli.js complete …` end to end: the CLI starts the server, waits for the model and prints.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
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
