// training/kv_cache_fp16.py (onnx + numpy only) checked in onnxruntime-node: on a one-layer GroupQueryAttention
// graph the rewritten file declares a float16 cache and computes the same attention (prefill, then a step on the
// returned cache) within float16 rounding; a graph with plain attention is refused and left as it was. Then the
// runtime on the shipped draft, whose cache is float16: reusing a cached prefix gives the logits of a cold prefill.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readModelConfig } from '../../runtime/modelConfig';
import { OrtDecoderModel } from '../../runtime/ortBackend';
import { TextTokenizer } from '../../runtime/tokenizer';
import { attend, attentionGraphScript, hasPython, HEAD_DIM, KV_HEADS, qkvRows, runPython as run } from './gqaFixture';
import { maxAbsDiff, ROOT, TARGET_DIR } from './runtimeFixtures';

const SCRIPT = join(ROOT, 'training', 'kv_cache_fp16.py');

describe('training/kv_cache_fp16.py', { skip: !hasPython && 'python3 with onnx and numpy is not installed' }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-kv16-'));
    const made = run(['-c', attentionGraphScript(), join(dir, 'fp32.onnx')]);
    assert.equal(made.status, 0, made.stderr);
    const rewritten = run([SCRIPT, join(dir, 'fp32.onnx'), join(dir, 'fp16.onnx')]);
    assert.equal(rewritten.status, 0, rewritten.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('declares a float16 cache and computes the same attention within float16 rounding', async () => {
    const prompt = 9;
    const qkv = qkvRows(prompt + 1);
    const fp32 = await attend(join(dir, 'fp32.onnx'), qkv, prompt);
    const fp16 = await attend(join(dir, 'fp16.onnx'), qkv, prompt);
    const types = fp16.inputTypes;
    assert.equal(types['past_key_values.0.key'], 'float16');
    assert.equal(types.qkv, 'float32', 'the rest of the graph keeps float32');
    for (let i = 0; i < 2; i++) {
      assert.equal(fp16.outputs[i]!.length, fp32.outputs[i]!.length);
      assert.ok(maxAbsDiff(fp16.outputs[i]!, fp32.outputs[i]!) < 1e-2, `output ${i}`);
      assert.equal(fp16.presents[i]!.length, (prompt + 1) * KV_HEADS * HEAD_DIM);
      assert.ok(maxAbsDiff(fp16.presents[i]!, fp32.presents[i]!) < 1e-2, `present ${i}`);
    }
    // A constant output factor shows the attention output came back as float32 into the same graph.
    assert.ok(fp16.outputs[1]!.some((x) => Math.abs(x) > 0.05));
  });

  it('refuses a cache it cannot convert and leaves the file as it was', () => {
    const fixture = join(TARGET_DIR, 'onnx', 'model.onnx');
    const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
    const before = digest(fixture);
    const plain = run([SCRIPT, fixture, join(dir, 'plain.onnx')]);
    assert.notEqual(plain.status, 0);
    assert.match(plain.stderr, /left unchanged/);
    assert.equal(existsSync(join(dir, 'plain.onnx')), false, 'nothing written for a refused file');
    const again = run([SCRIPT, join(dir, 'fp16.onnx'), join(dir, 'twice.onnx')]);
    assert.notEqual(again.status, 0, 'a float16 cache is converted once');
    assert.equal(existsSync(join(dir, 'twice.onnx')), false);
    // Refused in place too (on a copy): the file is byte for byte what it was.
    const copy = join(dir, 'copy.onnx');
    copyFileSync(fixture, copy);
    const inPlace = run([SCRIPT, copy]);
    assert.notEqual(inPlace.status, 0);
    assert.equal(digest(copy), before);
    assert.equal(digest(fixture), before);
  });
});

describe('a float16 KV cache in the runtime (the shipped draft)', () => {
  const draftDir = join(ROOT, 'models', 'default', 'draft');

  it('is what the shipped pair declares, and a reused prefix gives the logits of a cold prefill', async () => {
    const targetDir = join(ROOT, 'models', 'default', 'target');
    const target = await OrtDecoderModel.create(join(targetDir, 'onnx', 'model_q4.onnx'), readModelConfig(targetDir), 1);
    assert.equal(target.kvType, 'float16');
    await target.dispose();
    const config = readModelConfig(draftDir);
    const tokenizer = TextTokenizer.fromDirectory(join(ROOT, 'models', 'default'));
    const model = await OrtDecoderModel.create(join(draftDir, 'onnx', 'model_q4.onnx'), config, 1);
    try {
      assert.equal(model.kvType, 'float16');
      // Short enough that every call runs the 4-bit file (no 8-bit prefill copy): the comparison is exact work.
      const ids = tokenizer.encode('def area(width, height):\n    # The area of a rectangle.\n    return width * height\n\n\ndef perimeter(width, height):\n').slice(0, 24);
      assert.equal(ids.length, 24);
      const cold = await model.forward(ids, model.emptyKv(), 1);
      const longer = await model.forward(ids.slice(0, 20), model.emptyKv(), 1);
      const reused = await model.forward(ids.slice(16), model.truncate(longer.kv, 16), 1);
      assert.equal(reused.kv.length, ids.length);
      assert.ok(maxAbsDiff(reused.logits[0]!, cold.logits[0]!) < 1e-2);
    } finally {
      await model.dispose();
    }
  });
});
