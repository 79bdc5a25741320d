// training/decompose_gqa.py (onnx + numpy only) checked in onnxruntime-node against the GroupQueryAttention it
// replaces, on a one-layer graph: with a float32 cache the same attention (prefill, then a step on the returned cache)
// to float32 rounding; after training/kv_cache_fp16.py the same float16 cache types and attention within float16
// rounding. Options the rewrite does not reproduce, and graphs without the fused node, are refused and nothing is
// written. The shipped pair is decomposed (the runtime test of a reused prefix is in kvCacheFp16.test.ts).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { attend, attentionGraphScript, hasPython, qkvRows, runPython as run } from './gqaFixture';
import { maxAbsDiff, ROOT, TARGET_DIR } from './runtimeFixtures';

const SCRIPT = join(ROOT, 'training', 'decompose_gqa.py');
const HALVE = join(ROOT, 'training', 'kv_cache_fp16.py');
const OP_TYPES = `
import sys, onnx
print(" ".join(n.op_type for n in onnx.load(sys.argv[1]).graph.node))
`;

const opTypes = (path: string) => run(['-c', OP_TYPES, path]).stdout.trim().split(' ');
const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('training/decompose_gqa.py', { skip: !hasPython && 'python3 with onnx and numpy is not installed' }, () => {
  let dir: string;
  const made = (name: string, attributes = '') => {
    const r = run(['-c', attentionGraphScript(attributes), join(dir, name)]);
    assert.equal(r.status, 0, r.stderr);
    return join(dir, name);
  };
  const rewrite = (script: string, src: string, dst: string) => {
    const r = run([script, src, dst]);
    assert.equal(r.status, 0, r.stderr);
    return dst;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-gqa-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('computes what GroupQueryAttention computes, with a float32 cache', async () => {
    const fused = made('fused.onnx');
    const plain = rewrite(SCRIPT, fused, join(dir, 'decomposed.onnx'));
    assert.ok(!opTypes(plain).includes('GroupQueryAttention'));
    assert.ok(opTypes(plain).includes('RotaryEmbedding'));
    for (const prompt of [1, 9]) {
      const qkv = qkvRows(prompt + 1);
      const a = await attend(fused, qkv, prompt);
      const b = await attend(plain, qkv, prompt);
      for (let i = 0; i < 2; i++) {
        assert.equal(b.outputs[i]!.length, a.outputs[i]!.length);
        assert.ok(maxAbsDiff(b.outputs[i]!, a.outputs[i]!) < 1e-4, `prompt ${prompt}, output ${i}: ${maxAbsDiff(b.outputs[i]!, a.outputs[i]!)}`);
        assert.equal(b.presents[i]!.length, a.presents[i]!.length);
        assert.ok(maxAbsDiff(b.presents[i]!, a.presents[i]!) < 1e-4, `prompt ${prompt}, present ${i}`);
      }
      assert.ok(a.outputs[1]!.some((x) => Math.abs(x) > 0.05), 'a non-trivial attention output');
    }
  });

  it('keeps a float16 cache and its attention within float16 rounding', async () => {
    const fused = rewrite(HALVE, made('fused32.onnx'), join(dir, 'fused16.onnx'));
    const plain = rewrite(SCRIPT, fused, join(dir, 'decomposed16.onnx'));
    const qkv = qkvRows(10);
    const a = await attend(fused, qkv, 9);
    const b = await attend(plain, qkv, 9);
    const types = Object.fromEntries(b.session.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : '']));
    assert.equal(types['past_key_values.0.key'], 'float16');
    assert.equal(types.qkv, 'float32');
    for (let i = 0; i < 2; i++) {
      assert.ok(maxAbsDiff(b.outputs[i]!, a.outputs[i]!) < 1e-2, `output ${i}`);
      assert.ok(maxAbsDiff(b.presents[i]!, a.presents[i]!) < 1e-2, `present ${i}`);
    }
  });

  it('refuses what it does not reproduce, and a graph without the fused node, writing nothing', () => {
    const windowed = made('windowed.onnx', 'local_window_size=4');
    const refused = run([SCRIPT, windowed, join(dir, 'windowed-out.onnx')]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /left unchanged: .*local_window_size=4/);
    assert.equal(existsSync(join(dir, 'windowed-out.onnx')), false);
    const before = digest(windowed);
    assert.notEqual(run([SCRIPT, windowed]).status, 0, 'refused in place too');
    assert.equal(digest(windowed), before);

    const unfused = join(dir, 'plain-attention.onnx');
    copyFileSync(join(TARGET_DIR, 'onnx', 'model.onnx'), unfused);
    const none = run([SCRIPT, unfused, join(dir, 'unfused-out.onnx')]);
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /no GroupQueryAttention node/);
    assert.equal(existsSync(join(dir, 'unfused-out.onnx')), false);
  });

  it('has been applied to the shipped pair', () => {
    for (const model of ['target', 'draft']) {
      const ops = opTypes(join(ROOT, 'models', 'default', model, 'onnx', 'model_q4.onnx'));
      assert.ok(!ops.includes('GroupQueryAttention') && ops.includes('RotaryEmbedding'), model);
    }
  });
});
