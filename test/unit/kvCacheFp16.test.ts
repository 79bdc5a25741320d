// training/kv_cache_fp16.py (onnx + numpy only) checked in onnxruntime-node: on a one-layer GroupQueryAttention
// graph the rewritten file declares a float16 cache and computes the same attention (prefill, then a step on the
// returned cache) within float16 rounding; a graph with plain attention is refused and left as it was. Then the
// runtime on the shipped draft, whose cache is float16: reusing a cached prefix gives the logits of a cold prefill.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { readModelConfig } from '../../runtime/modelConfig';
import { OrtDecoderModel } from '../../runtime/ortBackend';
import { TextTokenizer } from '../../runtime/tokenizer';
import { maxAbsDiff, ROOT, TARGET_DIR } from './runtimeFixtures';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(ROOT, 'training', 'kv_cache_fp16.py');
const hasPython = spawnSync(PYTHON, ['-c', 'import onnx, numpy'], { stdio: 'ignore' }).status === 0;

const HEADS = 4;
const KV_HEADS = 2;
const HEAD_DIM = 16;
const MAX_POSITIONS = 64;

// One GroupQueryAttention over a packed query/key/value input with rotary tables, as training/slim_onnx.py leaves it.
const ATTENTION_GRAPH = `
import sys, numpy as np, onnx
from onnx import TensorProto as T, helper as h, numpy_helper as nh
heads, kv_heads, dim, positions = ${HEADS}, ${KV_HEADS}, ${HEAD_DIM}, ${MAX_POSITIONS}
angles = np.outer(np.arange(positions), 1.0 / 10000 ** (np.arange(0, dim, 2) / dim)).astype(np.float32)
node = h.make_node("GroupQueryAttention", ["qkv", "", "", "past_key_values.0.key", "past_key_values.0.value",
                   "seqlens_k", "total_sequence_length", "cos", "sin"], ["attn", "present.0.key", "present.0.value"],
                   domain="com.microsoft", num_heads=heads, kv_num_heads=kv_heads, do_rotary=1)
cache = lambda n: h.make_tensor_value_info(n, T.FLOAT, [1, kv_heads, "length", dim])
graph = h.make_graph([node, h.make_node("Mul", ["attn", "two"], ["output"])], "attention",
    [h.make_tensor_value_info("qkv", T.FLOAT, [1, "steps", (heads + 2 * kv_heads) * dim]),
     cache("past_key_values.0.key"), cache("past_key_values.0.value"),
     h.make_tensor_value_info("seqlens_k", T.INT32, [1]), h.make_tensor_value_info("total_sequence_length", T.INT32, [])],
    [h.make_tensor_value_info("output", T.FLOAT, [1, "steps", heads * dim]), cache("present.0.key"), cache("present.0.value")],
    [nh.from_array(np.cos(angles), "cos"), nh.from_array(np.sin(angles), "sin"), nh.from_array(np.array(2, np.float32), "two")])
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 18), h.make_opsetid("com.microsoft", 1)])
onnx.save(model, sys.argv[1])
`;

function run(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

function halfToFloat(h: number): number {
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  const magnitude = exponent === 0 ? mantissa * 2 ** -24 : (1 + mantissa / 1024) * 2 ** (exponent - 15);
  return h & 0x8000 ? -magnitude : magnitude;
}

function floats(t: ort.Tensor): number[] {
  return t.type === 'float16' ? Array.from(t.data as Uint16Array, halfToFloat) : Array.from(t.data as Float32Array);
}

/** A prefill of `prompt` positions from an empty cache, then one step on the cache it returned. */
async function attend(path: string, qkv: Float32Array, prompt: number): Promise<{ session: ort.InferenceSession; outputs: number[][]; presents: number[][] }> {
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1 });
  const half = session.inputMetadata.some((m) => m.name === 'past_key_values.0.key' && m.isTensor && m.type === 'float16');
  const width = (HEADS + 2 * KV_HEADS) * HEAD_DIM;
  const empty = () => (half ? new ort.Tensor('float16', new Uint16Array(0), [1, KV_HEADS, 0, HEAD_DIM]) : new ort.Tensor('float32', new Float32Array(0), [1, KV_HEADS, 0, HEAD_DIM]));
  const feeds = (from: number, to: number, key: ort.Tensor, value: ort.Tensor) => ({
    qkv: new ort.Tensor('float32', qkv.slice(from * width, to * width), [1, to - from, width]),
    'past_key_values.0.key': key,
    'past_key_values.0.value': value,
    seqlens_k: new ort.Tensor('int32', Int32Array.of(to - 1), [1]),
    total_sequence_length: new ort.Tensor('int32', Int32Array.of(to), []),
  });
  const first = await session.run(feeds(0, prompt, empty(), empty()));
  const second = await session.run(feeds(prompt, prompt + 1, first['present.0.key']!, first['present.0.value']!));
  return {
    session,
    outputs: [floats(first.output!), floats(second.output!)],
    presents: [floats(second['present.0.key']!), floats(second['present.0.value']!)],
  };
}

describe('training/kv_cache_fp16.py', { skip: !hasPython && 'python3 with onnx and numpy is not installed' }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-kv16-'));
    const made = run(['-c', ATTENTION_GRAPH, join(dir, 'fp32.onnx')]);
    assert.equal(made.status, 0, made.stderr);
    const rewritten = run([SCRIPT, join(dir, 'fp32.onnx'), join(dir, 'fp16.onnx')]);
    assert.equal(rewritten.status, 0, rewritten.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('declares a float16 cache and computes the same attention within float16 rounding', async () => {
    const prompt = 9;
    const qkv = Float32Array.from({ length: (prompt + 1) * (HEADS + 2 * KV_HEADS) * HEAD_DIM }, (_, i) => Math.sin(i * 0.37));
    const fp32 = await attend(join(dir, 'fp32.onnx'), qkv, prompt);
    const fp16 = await attend(join(dir, 'fp16.onnx'), qkv, prompt);
    const types = Object.fromEntries(fp16.session.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : '']));
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
