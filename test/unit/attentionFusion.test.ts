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
import { maxAbsDiff, reference, ROOT, TARGET_DIR } from './runtimeFixtures';

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
      num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(0n), []),
    };
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
  want.forEach((w, i) => assert.ok(maxAbsDiff(got[i]!, w) < 1e-4, `pass ${i}: ${maxAbsDiff(got[i]!, w)}`));
}

describe('attentionFusion', () => {
  it('makes each layer of the plain export one GroupQueryAttention, and drops what only the attention read', () => {
    const bytes = fused(EXPORT)!;
    const before = ops(EXPORT);
    const after = ops(bytes);
    assert.equal(after.filter((op) => op === 'GroupQueryAttention').length, config.numLayers);
    for (const op of ['Softmax', 'Expand', 'LessOrEqual', 'And', 'Not']) assert.ok(before.includes(op) && !after.includes(op), op);
    assert.ok(after.length < before.length / 1.5, `${before.length} -> ${after.length} nodes`);
    // The rotary embedding stays as exported (GroupQueryAttention gets rotated queries and keys).
    assert.equal(after.filter((op) => op === 'Neg').length, before.filter((op) => op === 'Neg').length);
    const model = onnx.ModelProto.decode(bytes);
    assert.ok(model.opsetImport.some((o) => o.domain === 'com.microsoft'), 'the contrib domain is imported');
    const gqa = model.graph!.node!.find((n) => n.opType === 'GroupQueryAttention')!;
    const attr = (name: string) => gqa.attribute!.find((a) => a.name === name)!;
    assert.equal(Number(attr('num_heads').i), 4);
    assert.equal(Number(attr('kv_num_heads').i), 2);
    assert.equal(Number(attr('do_rotary').i), 0);
    assert.ok(Math.abs(attr('scale').f! - 1 / Math.sqrt(16)) < 1e-7, 'the scale the export divides the scores by');
    assert.equal(fused(bytes), undefined, 'a fused graph is left alone');
  });

  it('computes what the export computes, for a prompt and steps from the cache', async () => {
    await agree(EXPORT, fused(EXPORT)!);
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
    const gqa = onnx.ModelProto.decode(bytes).graph!.node!.find((n) => n.opType === 'GroupQueryAttention')!;
    assert.equal(gqa.attribute!.find((a) => a.name === 'scale')!.f, 0.5);
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
