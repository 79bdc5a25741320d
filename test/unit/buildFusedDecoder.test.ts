// training/build_fused_decoder.py (onnx + numpy only): the tiny-llama fixture's weights, written as Hugging Face
// safetensors, become the fused graph (GroupQueryAttention, SkipSimplifiedLayerNormalization, packed QKV), which
// must compute what PyTorch computed for the fixture (reference.json) and what the fixture's own TorchScript export
// computes, through the runtime. Skipped where the Python side (onnx, numpy) is not installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readModelConfig } from '../../runtime/modelConfig';
import { OrtDecoderModel } from '../../runtime/ortBackend';
import { argmax } from '../../runtime/sampler';
import { maxAbsDiff, reference, ROOT, TARGET_DIR } from './runtimeFixtures';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const hasPython = spawnSync(PYTHON, ['-c', 'import onnx, numpy'], { stdio: 'ignore' }).status === 0;

// The fixture's TorchScript export names its embedding and leaves the projections anonymous, in the order the
// model runs them: per layer q, k, v, o, gate, up, down, then the lm_head (all stored as [in, out]). Its norm
// weights are all ones, which the exporter folded into the one initializer of the first.
const FIXTURE_TO_SAFETENSORS = `
import os, sys, numpy as np, onnx
from onnx import numpy_helper
sys.path.insert(0, os.path.join(sys.argv[1], "scripts", "gguf"))
from safetensors_file import write_safetensors
m = onnx.load(sys.argv[2])
inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
matmuls = [inits[n.input[1]] for n in m.graph.node if n.op_type == "MatMul" and n.input[1] in inits]
layers = (len(matmuls) - 1) // 7
ones = inits["model.model.layers.0.input_layernorm.weight"]
assert (ones == 1).all()
out = {"model.embed_tokens.weight": inits["model.model.embed_tokens.weight"], "model.norm.weight": ones}
for i in range(layers):
    p = "model.layers.%d." % i
    for norm in ("input_layernorm", "post_attention_layernorm"):
        out[p + norm + ".weight"] = ones
    for j, name in enumerate(["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]):
        out[p + name + ".weight"] = np.ascontiguousarray(matmuls[7 * i + j].T)
out["lm_head.weight"] = np.ascontiguousarray(matmuls[-1].T)
write_safetensors(out, os.path.join(sys.argv[3], "model.safetensors"))
`;

const QUANTIZE_PLAIN = `
import sys
sys.path.insert(0, sys.argv[1])
import quantize_onnx
quantize_onnx.quantize_file(sys.argv[2], "q4", sys.argv[3], log=lambda s: None)
`;

function python(args: string[]): void {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

async function greedy(model: OrtDecoderModel, ids: number[], steps: number): Promise<{ last: Float32Array; tokens: number[] }> {
  let out = await model.forward(ids, model.emptyKv(), 1);
  const last = Float32Array.from(out.logits[0]!);
  const tokens: number[] = [];
  for (let i = 0; i < steps; i++) {
    const next = argmax(out.logits[0]!);
    tokens.push(next);
    out = await model.forward([next], out.kv, 1);
  }
  return { last, tokens };
}

describe('training/build_fused_decoder.py', { skip: !hasPython && 'python3 with onnx and numpy is not installed' }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-fused-'));
    cpSync(join(TARGET_DIR, 'config.json'), join(dir, 'config.json'));
    python(['-c', FIXTURE_TO_SAFETENSORS, ROOT, join(TARGET_DIR, 'onnx', 'model.onnx'), dir]);
    python([join(ROOT, 'training', 'build_fused_decoder.py'), dir, dir, '--q4']);
    // The plain export quantized the same way, for the 4-bit comparison.
    python(['-c', QUANTIZE_PLAIN, join(ROOT, 'training'), join(TARGET_DIR, 'onnx', 'model.onnx'), join(dir, 'plain_q4.onnx')]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('computes the reference logits and greedy tokens with fused attention and norms', async () => {
    const onnxText = readFileSync(join(dir, 'onnx', 'model.onnx')).toString('latin1');
    for (const op of ['GroupQueryAttention', 'SkipSimplifiedLayerNormalization']) assert.ok(onnxText.includes(op), op);
    const fused = await OrtDecoderModel.create(join(dir, 'onnx', 'model.onnx'), readModelConfig(dir), 1);
    const exported = await OrtDecoderModel.create(join(TARGET_DIR, 'onnx', 'model.onnx'), readModelConfig(TARGET_DIR), 1);
    try {
      const a = await greedy(fused, reference.promptIds, reference.greedy.length);
      const b = await greedy(exported, reference.promptIds, reference.greedy.length);
      assert.ok(maxAbsDiff(a.last, reference.lastLogits) < 1e-4, `vs PyTorch: ${maxAbsDiff(a.last, reference.lastLogits)}`);
      assert.ok(maxAbsDiff(a.last, b.last) < 1e-4);
      assert.deepEqual(a.tokens, reference.greedy);
      assert.deepEqual(b.tokens, reference.greedy);
    } finally {
      await Promise.all([fused.dispose(), exported.dispose()]);
    }
  });

  it('keeps several rows of logits and continues a cache as the export does', async () => {
    const fused = await OrtDecoderModel.create(join(dir, 'onnx', 'model.onnx'), readModelConfig(dir), 1);
    const exported = await OrtDecoderModel.create(join(TARGET_DIR, 'onnx', 'model.onnx'), readModelConfig(TARGET_DIR), 1);
    try {
      const ids = reference.promptIds;
      const a = await fused.forward(ids, fused.emptyKv(), 3);
      const b = await exported.forward(ids, exported.emptyKv(), 3);
      assert.equal(a.logits.length, 3);
      for (let r = 0; r < 3; r++) assert.ok(maxAbsDiff(a.logits[r]!, b.logits[r]!) < 1e-4, `row ${r}`);
      // The prompt in two passes (a prefix-cache hit) ends where one pass does.
      const head = await fused.forward(ids.slice(0, 10), fused.emptyKv(), 1);
      const tail = await fused.forward(ids.slice(10), head.kv, 1);
      assert.ok(maxAbsDiff(tail.logits[0]!, a.logits[2]!) < 1e-4);
      assert.equal(tail.kv.length, ids.length);
    } finally {
      await Promise.all([fused.dispose(), exported.dispose()]);
    }
  });

  it('quantizes to a 4-bit file with a float16 cache that decodes as the quantized export does', async () => {
    const q4 = await OrtDecoderModel.create(join(dir, 'onnx', 'model_q4.onnx'), readModelConfig(dir), 1);
    const plain = await OrtDecoderModel.create(join(dir, 'plain_q4.onnx'), readModelConfig(TARGET_DIR), 1);
    try {
      assert.equal(q4.kvType, 'float16');
      const a = await greedy(q4, reference.promptIds, reference.greedy.length);
      const b = await greedy(plain, reference.promptIds, reference.greedy.length);
      assert.deepEqual(a.tokens, b.tokens);
      // Only the float16 cache tells them apart.
      assert.ok(maxAbsDiff(a.last, b.last) < 0.2, `${maxAbsDiff(a.last, b.last)}`);
    } finally {
      await Promise.all([q4.dispose(), plain.dispose()]);
    }
  });
});
