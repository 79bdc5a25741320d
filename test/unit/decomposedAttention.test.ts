// runtime/decomposedAttention.ts checked in onnxruntime-node against the GroupQueryAttention it replaces, on a
// one-layer graph built by python3 + onnx: with a float32 cache the same attention (prefill, then a one-token step
// or a three-token pass as speculative verification runs, on the returned cache) to float32 rounding, also with
// interleaved rotary; with the float16 cache of training/kv_cache_fp16.py the same cache types and attention within
// float16 rounding. Graphs with options it does not reproduce, without the fused node, or not ONNX at all are left
// as they are, and the runtime decomposes only on one thread and only files it also prefills on an 8-bit copy of.
// Then the runtime on the shipped target: steps on the decomposed graph after a prompt prefilled by the fused
// 8-bit copy give the fused graph's top tokens (the query is no longer rounded to float16: logits move by ~0.3).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import { decomposedAttentionModel } from '../../runtime/decomposedAttention';
import { readModelConfig } from '../../runtime/modelConfig';
import { decodeStepGraph, OrtDecoderModel } from '../../runtime/ortBackend';
import { argmax } from '../../runtime/sampler';
import { TextTokenizer } from '../../runtime/tokenizer';
import { attend, attentionGraphScript, hasPython, HEAD_DIM, KV_HEADS, qkvRows, runPython } from './gqaFixture';
import { maxAbsDiff, ROOT, TARGET_DIR } from './runtimeFixtures';

const HALVE = join(ROOT, 'training', 'kv_cache_fp16.py');
const opTypes = (bytes: Uint8Array) => (onnx.ModelProto.decode(bytes).graph?.node ?? []).map((n) => n.opType);

describe('decomposed attention on a one-layer graph', { skip: !hasPython && 'python3 with onnx and numpy is not installed' }, () => {
  let dir: string;
  const fused = (name: string, attributes = '') => {
    const path = join(dir, name);
    const r = runPython(['-c', attentionGraphScript(attributes), path]);
    assert.equal(r.status, 0, r.stderr);
    return path;
  };
  const decompose = (src: string, room = false) => {
    const rewritten = decomposedAttentionModel(readFileSync(src), room);
    assert.ok(rewritten, `${src} was not rewritten`);
    assert.equal(rewritten.decomposed, 1);
    assert.ok(!opTypes(rewritten.bytes).includes('GroupQueryAttention'));
    const path = src.replace(/\.onnx$/, room ? '-decomposed-room.onnx' : '-decomposed.onnx');
    writeFileSync(path, rewritten.bytes);
    return path;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-attention-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('computes what GroupQueryAttention computes, with a float32 cache', async () => {
    for (const [name, attributes] of [['fp32.onnx', ''], ['interleaved.onnx', 'rotary_interleaved=1']] as const) {
      const path = fused(name, attributes);
      const plain = decompose(path);
      for (const [prompt, step] of [[1, 1], [9, 1], [9, 3]] as const) {
        const qkv = qkvRows(prompt + step);
        const a = await attend(path, qkv, prompt, step);
        const b = await attend(plain, qkv, prompt, step);
        const what = `${name}, prompt ${prompt}, pass of ${step}`;
        for (let i = 0; i < 2; i++) {
          assert.equal(b.outputs[i]!.length, a.outputs[i]!.length);
          assert.ok(maxAbsDiff(b.outputs[i]!, a.outputs[i]!) < 1e-4, `${what}, output ${i}: ${maxAbsDiff(b.outputs[i]!, a.outputs[i]!)}`);
          assert.equal(b.presents[i]!.length, a.presents[i]!.length);
          assert.ok(maxAbsDiff(b.presents[i]!, a.presents[i]!) < 1e-4, `${what}, present ${i}`);
        }
        assert.ok(a.outputs[1]!.some((x) => Math.abs(x) > 0.05), 'a non-trivial attention output');
      }
    }
  });

  it('keeps a float16 cache, and its attention within float16 rounding', async () => {
    const path = join(dir, 'fp16.onnx');
    const halved = runPython([HALVE, fused('fp32-for-fp16.onnx'), path]);
    assert.equal(halved.status, 0, halved.stderr);
    const plain = decompose(path);
    const qkv = qkvRows(10);
    const a = await attend(path, qkv, 9);
    const b = await attend(plain, qkv, 9);
    const types = b.inputTypes;
    assert.equal(types['past_key_values.0.key'], 'float16');
    assert.equal(types.qkv, 'float32');
    for (let i = 0; i < 2; i++) {
      assert.ok(maxAbsDiff(b.outputs[i]!, a.outputs[i]!) < 1e-2, `output ${i}`);
      assert.ok(maxAbsDiff(b.presents[i]!, a.presents[i]!) < 1e-2, `present ${i}`);
    }
  });

  it('with room, writes the pass\'s rows into a longer cache buffer at their positions and outputs them', async () => {
    const path = fused('capacity.onnx');
    const plain = decompose(path);
    const roomy = decompose(path, true);
    assert.equal((await attend(plain, qkvRows(2), 1)).rows, undefined, 'only the form with room outputs rows');
    for (const [prompt, step] of [[1, 1], [9, 1], [9, 3]] as const) {
      const qkv = qkvRows(prompt + step);
      const reference = await attend(plain, qkv, prompt, step);
      const capacity = 24;
      const long = await attend(roomy, qkv, prompt, step, capacity);
      const what = `prompt ${prompt}, pass of ${step}`;
      // Every key at the index of its position: the same sums in the same order as the appended cache.
      assert.deepEqual(long.outputs[0], reference.outputs[0], `${what}: prefill into a buffer of garbage`);
      assert.deepEqual(long.outputs[1], reference.outputs[1], what);
      const total = prompt + step;
      const head = (rows: number[], h: number, length: number, from: number, to: number) => rows.slice((h * length + from) * HEAD_DIM, (h * length + to) * HEAD_DIM);
      for (let i = 0; i < 2; i++) {
        const expected = Array.from({ length: KV_HEADS }, (_, h) => head(reference.presents[i]!, h, total, prompt, total)).flat();
        assert.deepEqual(long.rows![i], expected, `${what}, rows ${i}`);
        for (let h = 0; h < KV_HEADS; h++) assert.deepEqual(head(long.presents[i]!, h, capacity, 0, total), head(reference.presents[i]!, h, total, 0, total), `${what}, present ${i}`);
      }
    }
  });

  it('leaves alone what it does not reproduce, graphs without the fused node, and bytes that are not ONNX', () => {
    assert.equal(decomposedAttentionModel(readFileSync(fused('windowed.onnx', 'local_window_size=4'))), undefined);
    assert.equal(decomposedAttentionModel(readFileSync(fused('softcap.onnx', 'softcap=30.0'))), undefined);
    assert.equal(decomposedAttentionModel(readFileSync(join(TARGET_DIR, 'onnx', 'model.onnx'))), undefined, 'plain attention');
    const garbage = join(dir, 'not-onnx.onnx');
    writeFileSync(garbage, 'version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n');
    assert.equal(decodeStepGraph(garbage), undefined);
    // Rewritable, but without 4-bit weights there is no 8-bit copy to prefill on: the runtime keeps it fused.
    const fp32 = fused('no-copy.onnx');
    assert.ok(decomposedAttentionModel(readFileSync(fp32)));
    assert.equal(decodeStepGraph(fp32), undefined);
  });
});

describe('decomposed attention in the runtime (the shipped target)', () => {
  const dir = join(ROOT, 'models', 'default', 'target');

  it('steps on one thread with it at any thread count; a step pool keeps the fused graph unless asked for', async () => {
    const config = readModelConfig(dir);
    const path = join(dir, 'onnx', 'model_q4.onnx');
    const runtime = await OrtDecoderModel.create(path, config, 2);
    const pooled = await OrtDecoderModel.create(path, config, 2, { stepThreads: 2 });
    const forced = await OrtDecoderModel.create(path, config, 2, { stepThreads: 2, decomposeAttention: true });
    try {
      assert.equal(runtime.stepThreads, 1, 'a small file steps on one thread');
      assert.equal(runtime.decomposedAttention, config.numLayers);
      assert.equal(pooled.stepThreads, 2);
      assert.equal(pooled.decomposedAttention, 0, 'two step threads keep the fused graph');
      assert.equal(forced.decomposedAttention, config.numLayers);
      assert.ok(runtime.int8Prefill && pooled.int8Prefill && forced.int8Prefill);
    } finally {
      await Promise.all([runtime.dispose(), pooled.dispose(), forced.dispose()]);
    }
  });

  it('steps a file without an 8-bit copy on every thread, fused', async () => {
    const fixture = join(ROOT, 'test', 'fixtures', 'tiny-llama');
    const model = await OrtDecoderModel.create(join(fixture, 'onnx', 'model.onnx'), readModelConfig(fixture), 2);
    try {
      assert.equal(model.int8Prefill, false);
      assert.equal(model.stepThreads, 2);
      assert.equal(model.decomposedAttention, 0);
    } finally {
      await model.dispose();
    }
  });

  it('runs decode steps on the decomposed graph after a fused 8-bit prefill, with the fused graph\'s top tokens', async () => {
    const config = readModelConfig(dir);
    const tokenizer = TextTokenizer.fromDirectory(join(ROOT, 'models', 'default'));
    const plain = await OrtDecoderModel.create(join(dir, 'onnx', 'model_q4.onnx'), config, 1);
    const fusedModel = await OrtDecoderModel.create(join(dir, 'onnx', 'model_q4.onnx'), config, 1, { decomposeAttention: false });
    try {
      assert.equal(plain.decomposedAttention, config.numLayers);
      assert.equal(fusedModel.decomposedAttention, 0);
      assert.ok(plain.int8Prefill, 'long prompts prefill on the (fused) 8-bit copy');
      const prompt = tokenizer.encode(readFileSync(join(ROOT, 'training', 'llama.py'), 'utf8')).slice(0, 64);
      let a = await plain.forward(prompt, plain.emptyKv(), 1);
      let b = await fusedModel.forward(prompt, fusedModel.emptyKv(), 1);
      let agree = 0;
      let worst = 0;
      for (let step = 0; step < 16; step++) {
        // Both fed the same token, so a difference cannot compound through the text.
        const next = argmax(b.logits[0]!);
        if (argmax(a.logits[0]!) === next) agree++;
        a = await plain.forward([next], a.kv, 1);
        b = await fusedModel.forward([next], b.kv, 1);
        worst = Math.max(worst, maxAbsDiff(a.logits[0]!, b.logits[0]!));
      }
      assert.equal(a.kv.length, prompt.length + 16);
      // Measured: 16/16 and 0.31-0.33 at 40-500 prompt tokens (bench/results/attention-*.md: 189-192 of 192).
      assert.ok(worst < 0.75, `largest logit difference ${worst}`);
      assert.ok(agree >= 14, `${agree}/16 greedy tokens agree`);
    } finally {
      await plain.dispose();
      await fusedModel.dispose();
    }
  });
});
