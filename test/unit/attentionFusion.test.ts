// attentionFusion.ts on the torch-exported fixture (plain attention, as Optimum writes it): what it fuses, what it
// leaves alone, and that the fused graph computes what the export does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { attentionFusionSplice, type AttentionShape } from '../../runtime/attentionFusion';
import { parseModelConfig, readModelConfig } from '../../runtime/modelConfig';
import { fusableAttention, OrtDecoderModel } from '../../runtime/ortBackend';
import { bytesSource, graphSkeleton } from '../../runtime/onnxSkeleton';
import { describePreparation, preparedModel } from '../../runtime/preparedModel';
import { maxAbsDiff, reference, ROOT, TARGET_DIR, type Reference } from './runtimeFixtures';

const EXPORT = readFileSync(join(TARGET_DIR, 'onnx', 'model.onnx'));
const config = readModelConfig(TARGET_DIR);
const shape: AttentionShape = fusableAttention(config)!;
const SHIPPED = join(ROOT, 'models', 'default', 'target', 'onnx', 'model_q4.onnx');

const fused = (bytes: Uint8Array, s = shape) => preparedModel(bytesSource(bytes), undefined, { logitsToKeep: true, attention: s });
const ops = (bytes: Uint8Array) => graphSkeleton(bytesSource(bytes))!.nodes.map((n) => n.opType);

/** The export with `edit` applied to its decoded model. */
function edited(edit: (model: onnx.ModelProto) => void): Uint8Array {
  const model = onnx.ModelProto.decode(EXPORT);
  edit(model);
  return onnx.ModelProto.encode(model).finish();
}

/** Logits of a 30-token prompt and then three steps from each graph's own cache, as bare sessions compute them. */
async function passes(bytes: Uint8Array): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const ids = Array.from({ length: 33 }, (_, i) => (i * 37 + 11) % config.vocabSize);
  const out: Float32Array[] = [];
  let past: ort.Tensor[] = Array.from({ length: 2 * config.numLayers }, () => new ort.Tensor('float32', new Float32Array(0), [1, config.numKeyValueHeads, 0, config.headDim]));
  let at = 0;
  for (const chunk of [ids.slice(0, 30), ids.slice(30, 31), ids.slice(31, 33)]) {
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(chunk, BigInt), [1, chunk.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(at + chunk.length).fill(1n), [1, at + chunk.length]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(chunk, (_, i) => BigInt(at + i)), [1, chunk.length]),
    };
    if (session.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(0n), []);
    past.forEach((t, i) => (feeds[`past_key_values.${i >> 1}.${i % 2 ? 'value' : 'key'}`] = t));
    const result = await session.run(feeds);
    out.push(result.logits!.data as Float32Array);
    past = past.map((_, i) => result[`present.${i >> 1}.${i % 2 ? 'value' : 'key'}`]!);
    at += chunk.length;
  }
  await session.release();
  return out;
}

async function agree(plain: Uint8Array, fusedBytes: Uint8Array): Promise<void> {
  const [want, got] = [await passes(plain), await passes(fusedBytes)];
  // Each pass's last row: a graph given num_logits_to_keep by the preparation returns only that one.
  const last = (rows: Float32Array) => rows.subarray(rows.length - config.vocabSize);
  want.forEach((w, i) => assert.ok(maxAbsDiff(last(got[i]!), last(w)) < 1e-4, `pass ${i}: ${maxAbsDiff(last(got[i]!), last(w))}`));
}

describe('attentionFusion', () => {
  const { rotary: _, ...withoutRotary } = shape;
  const gqaAttribute = (bytes: Uint8Array, name: string) =>
    onnx.ModelProto.decode(bytes).graph!.node!.find((n) => n.opType === 'GroupQueryAttention')!.attribute!.find((a) => a.name === name)!;

  it('makes each layer of the plain export one GroupQueryAttention that also rotates, and drops what only the attention read', () => {
    assert.deepEqual(shape.rotary, { theta: 10000, maxPositions: 512 }, "config.json's plain rotary embedding");
    const bytes = fused(EXPORT)!;
    const before = ops(EXPORT);
    const after = ops(bytes);
    assert.equal(after.filter((op) => op === 'GroupQueryAttention').length, config.numLayers);
    for (const op of ['Softmax', 'Expand', 'LessOrEqual', 'And', 'Not', 'Neg', 'Cos', 'Sin', 'Transpose']) assert.ok(before.includes(op) && !after.includes(op), op);
    assert.ok(after.length < before.length / 4, `${before.length} -> ${after.length} nodes`);
    const model = onnx.ModelProto.decode(bytes);
    assert.ok(model.opsetImport.some((o) => o.domain === 'com.microsoft'), 'the contrib domain is imported');
    assert.equal(Number(gqaAttribute(bytes, 'num_heads').i), 4);
    assert.equal(Number(gqaAttribute(bytes, 'kv_num_heads').i), 2);
    assert.equal(Number(gqaAttribute(bytes, 'do_rotary').i), 1);
    assert.ok(Math.abs(gqaAttribute(bytes, 'scale').f! - 1 / Math.sqrt(16)) < 1e-7, 'the scale the export divides the scores by');
    const cos = model.graph!.initializer!.find((t) => t.name!.endsWith('cos_cache'))!;
    assert.deepEqual(cos.dims!.map(Number), [512, 8]);
    assert.equal(fused(bytes), undefined, 'a fused graph is left alone');
  });

  it('leaves the rotary embedding as exported where config.json does not describe it, and fuses the rest', () => {
    const bytes = fused(EXPORT, withoutRotary)!;
    assert.equal(Number(gqaAttribute(bytes, 'do_rotary').i), 0);
    assert.equal(ops(bytes).filter((op) => op === 'Neg').length, ops(EXPORT).filter((op) => op === 'Neg').length);
    // Halves swapped the other way (not rotate_half): the node gets query and keys as the export rotated them.
    const otherRotation = edited((m) => {
      for (const n of m.graph!.node!) if (n.opType === 'Concat' && m.graph!.node!.some((x) => x.opType === 'Neg' && x.output![0] === n.input![0])) n.input = [n.input![1]!, n.input![0]!];
    });
    assert.equal(Number(gqaAttribute(fused(otherRotation)!, 'do_rotary').i), 0);
    const base = { num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, hidden_size: 64, vocab_size: 10, max_position_embeddings: 512 };
    assert.equal(fusableAttention(parseModelConfig({ ...base, rope_scaling: { rope_type: 'yarn', factor: 4 } }))!.rotary, undefined, 'rope_scaling');
    assert.equal(fusableAttention(parseModelConfig({ ...base, partial_rotary_factor: 0.5 }))!.rotary, undefined, 'partial rotation');
    assert.deepEqual(fusableAttention(parseModelConfig({ ...base, rope_theta: 1e6, rope_scaling: null }))!.rotary, { theta: 1e6, maxPositions: 512 });
    // transformers 5's rope_parameters.
    assert.deepEqual(fusableAttention(parseModelConfig({ ...base, rope_parameters: { rope_theta: 1e6, rope_type: 'default' } }))!.rotary, { theta: 1e6, maxPositions: 512 });
    assert.equal(fusableAttention(parseModelConfig({ ...base, rope_parameters: { rope_theta: 1e6, rope_type: 'yarn', factor: 4 } }))!.rotary, undefined);
    assert.equal(fusableAttention(parseModelConfig({ ...base, rope_parameters: { rope_theta: 1e4, partial_rotary_factor: 0.5 } }))!.rotary, undefined);
  });

  it('computes what the export computes, for a prompt and steps from the cache, rotating or not', async () => {
    await agree(EXPORT, fused(EXPORT)!);
    await agree(EXPORT, fused(EXPORT, withoutRotary)!);
  });

  it('takes the scale from the graph, wherever its constant is', async () => {
    // Scores divided by 2 instead of sqrt(16) = 4: a model with another scale.
    const halved = edited((m) => {
      const g = m.graph!;
      const divs = g.node!.filter((n) => n.opType === 'Div' && g.node!.some((s) => s.opType === 'Softmax' && g.node!.some((a) => a.opType === 'Add' && a.input!.includes(n.output![0]!) && s.input![0] === a.output![0])));
      assert.equal(divs.length, config.numLayers);
      for (const div of divs) {
        const constant = g.node!.find((n) => n.output![0] === div.input![1])!;
        constant.attribute![0]!.t = onnx.TensorProto.create({ dataType: onnx.TensorProto.DataType.FLOAT, dims: [], rawData: new Uint8Array(Float32Array.of(2).buffer) });
      }
    });
    const bytes = fused(halved)!;
    assert.equal(gqaAttribute(bytes, 'scale').f, 0.5);
    await agree(halved, bytes);
  });

  it('leaves alone a graph whose attention it would not reproduce', () => {
    const refused: Record<string, Uint8Array> = {
      'a Softmax over another axis': edited((m) => {
        for (const n of m.graph!.node!) if (n.opType === 'Softmax') n.attribute = [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 2 })];
      }),
      'an output reading the attention probabilities': edited((m) => {
        const softmax = m.graph!.node!.find((n) => n.opType === 'Softmax')!;
        m.graph!.output!.push(onnx.ValueInfoProto.create({ name: softmax.output![0]! }));
      }),
      'a soft cap on the scores': edited((m) => {
        const softmax = m.graph!.node!.find((n) => n.opType === 'Softmax')!;
        const at = m.graph!.node!.indexOf(softmax);
        m.graph!.node!.splice(at, 0, onnx.NodeProto.create({ opType: 'Tanh', input: [softmax.input![0]!], output: ['capped'] }));
        softmax.input = ['capped'];
      }),
    };
    for (const [what, bytes] of Object.entries(refused)) assert.equal(attentionFusionSplice(graphSkeleton(bytesSource(bytes))!, shape), undefined, what);
    assert.equal(attentionFusionSplice(graphSkeleton(bytesSource(EXPORT))!, { ...shape, kvHeads: 4 }), undefined, 'heads that repeat_kv does not group');
    assert.equal(attentionFusionSplice(graphSkeleton(bytesSource(readFileSync(SHIPPED)))!, shape), undefined, 'GroupQueryAttention already');
  });

  it('is not offered for sliding-window attention, which it does not reproduce', () => {
    const base = { num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, hidden_size: 64, vocab_size: 10, max_position_embeddings: 32768 };
    assert.equal(fusableAttention(parseModelConfig({ ...base, sliding_window: 4096 })), undefined, "Mistral's window");
    assert.equal(fusableAttention(parseModelConfig({ ...base, sliding_window: 4096, use_sliding_window: true })), undefined);
    assert.ok(fusableAttention(parseModelConfig({ ...base, sliding_window: 4096, use_sliding_window: false })), "Qwen2's unused one");
    assert.ok(fusableAttention(parseModelConfig({ ...base, sliding_window: 32768 })), 'a window as wide as the context');
    // transformers 5's layer_types: windowed where any layer says so.
    assert.ok(fusableAttention(parseModelConfig({ ...base, sliding_window: 4096, layer_types: ['full_attention', 'full_attention'] })));
    assert.equal(fusableAttention(parseModelConfig({ ...base, sliding_window: 4096, layer_types: ['full_attention', 'sliding_attention'] })), undefined);
  });

  it('loads the attention as exported where config.json\'s head count does not fit the graph', async () => {
    const wrong = { ...config, numAttentionHeads: 8 };
    const model = await OrtDecoderModel.create(join(TARGET_DIR, 'onnx', 'model.onnx'), wrong, 1);
    try {
      assert.equal(model.preparation?.fusedAttention ?? 0, 0);
      const { logits } = await model.forward(reference.promptIds, model.emptyKv(), 1);
      assert.ok(maxAbsDiff(logits[0]!, reference.lastLogits) < 1e-4);
    } finally {
      await model.dispose();
    }
  });

  for (const impl of ['sdpa', 'eager']) {
    it(`fuses a Hugging Face Qwen2 exported as Optimum exports it (attn_implementation ${impl}), with PyTorch's logits and greedy tokens`, async () => {
      // scripts/make_hf_export_fixture.py: transformers' Qwen2ForCausalLM through torch's TorchScript exporter.
      const dir = join(ROOT, 'test', 'fixtures', `tiny-qwen2-${impl}`);
      const qwen = readModelConfig(dir);
      const exported = readFileSync(join(dir, 'onnx', 'model.onnx'));
      const bytes = preparedModel(bytesSource(exported), undefined, { logitsToKeep: true, attention: fusableAttention(qwen) })!;
      assert.equal(ops(bytes).filter((op) => op === 'GroupQueryAttention').length, qwen.numLayers);
      assert.equal(Number(gqaAttribute(bytes, 'do_rotary').i), 1);
      assert.equal(gqaAttribute(bytes, 'scale').f, 0.25);
      for (const op of ['Softmax', 'IsNaN', 'Expand', 'Cos', 'Sin']) assert.ok(!ops(bytes).includes(op), op);
      const want: Reference = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8'));
      const model = await OrtDecoderModel.create(join(dir, 'onnx', 'model.onnx'), qwen, 1);
      try {
        assert.equal(model.preparation?.fusedAttention, qwen.numLayers);
        let { logits, kv } = await model.forward(want.promptIds, model.emptyKv(), 1);
        assert.ok(maxAbsDiff(logits[0]!, want.lastLogits) < 1e-4, `vs PyTorch: ${maxAbsDiff(logits[0]!, want.lastLogits)}`);
        const greedy: number[] = [];
        for (let i = 0; i < want.greedy.length; i++) {
          greedy.push(logits[0]!.indexOf(Math.max(...logits[0]!)));
          ({ logits, kv } = await model.forward([greedy.at(-1)!], kv, 1));
        }
        assert.deepEqual(greedy, want.greedy);
      } finally {
        await model.dispose();
      }
    });
  }

  it('is what the runtime loads: PyTorch\'s logits and greedy tokens, and the load line says so', async () => {
    const model = await OrtDecoderModel.create(join(TARGET_DIR, 'onnx', 'model.onnx'), config, 1);
    try {
      assert.equal(model.preparation?.fusedAttention, config.numLayers);
      assert.match(describePreparation(model.preparation, 'onnx/model.onnx')!, /fused the attention of 2 layers into GroupQueryAttention/);
      let { logits, kv } = await model.forward(reference.promptIds, model.emptyKv(), 1);
      assert.ok(maxAbsDiff(logits[0]!, reference.lastLogits) < 1e-4);
      const greedy: number[] = [];
      for (let i = 0; i < reference.greedy.length; i++) {
        const next = logits[0]!.indexOf(Math.max(...logits[0]!));
        greedy.push(next);
        ({ logits, kv } = await model.forward([next], kv, 1));
      }
      assert.deepEqual(greedy, reference.greedy);
    } finally {
      await model.dispose();
    }
  });
});
