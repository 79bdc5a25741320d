// runtime/outputLayerQuantization.ts: a 4-bit file whose output layer was left in float32 (an untied constant, or the
// transposed table of a tied model) gets it as 4-bit MatMulNBits, quantized as training/quantize_onnx.py quantizes.
// The shipped target stands in: its 4-bit output layer dequantized to float32 is what an export would have left, and
// quantizing that again must give back the shipped bytes.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { int8PrefillModel } from '../../runtime/int8PrefillModel';
import { readModelConfig } from '../../runtime/modelConfig';
import { locateModelFiles } from '../../runtime/modelFiles';
import { stepWeightBytes } from '../../runtime/stepWeightBytes';
import { bytesSource, graphSkeleton } from '../../runtime/onnxSkeleton';
import { quantizeRow } from '../../runtime/outputLayerQuantization';
import { describePreparation, preparedModel, preparedSplice } from '../../runtime/preparedModel';
import { coldPromptFeeds, ROOT } from './runtimeFixtures';

const SHIPPED = join(ROOT, 'models', 'default', 'target');
const shipped = readFileSync(join(SHIPPED, 'onnx', 'model_q4.onnx'));
const config = readModelConfig(SHIPPED);

const raw = (t: onnx.ITensorProto) => t.rawData!;

/** The shipped model with its output layer as a float32 product: untied (MatMul on [K, N]) or tied (MatMul on Transpose([N, K])). */
function withFloatHead(tied: boolean): { bytes: Uint8Array; packed: Uint8Array; scales: Uint8Array } {
  const model = onnx.ModelProto.decode(shipped);
  const graph = model.graph!;
  const head = graph.node!.find((n) => n.output!.includes('logits'))!;
  const attr = (name: string) => Number(head.attribute!.find((a) => a.name === name)!.i);
  const [k, n] = [attr('K'), attr('N')];
  const init = (name: string) => graph.initializer!.find((t) => t.name === name)!;
  const packed = raw(init(head.input![1]!));
  const scalesRaw = raw(init(head.input![2]!));
  const scales = new Float32Array(Uint8Array.from(scalesRaw).buffer);
  const blocks = k / 32;
  const w = new Float32Array(k * n);
  for (let j = 0; j < n; j++) {
    for (let b = 0; b < blocks; b++) {
      for (let i = 0; i < 16; i++) {
        const byte = packed[(j * blocks + b) * 16 + i]!;
        for (const [at, q] of [[2 * i, byte & 15], [2 * i + 1, byte >> 4]] as const) {
          const v = Math.fround((q - 8) * scales[j * blocks + b]!);
          const kk = b * 32 + at;
          // untied [K, N]; tied [N, K]
          w[tied ? j * k + kk : kk * n + j] = v;
        }
      }
    }
  }
  const weight = onnx.TensorProto.create({ name: 'float_head', dataType: onnx.TensorProto.DataType.FLOAT, dims: tied ? [n, k] : [k, n], rawData: new Uint8Array(w.buffer) });
  graph.initializer = graph.initializer!.filter((t) => t.name !== head.input![1] && t.name !== head.input![2]);
  graph.initializer.push(weight);
  const at = graph.node!.indexOf(head);
  const product = onnx.NodeProto.create({ name: 'head', opType: 'MatMul', input: [head.input![0]!, tied ? 'float_head_t' : 'float_head'], output: ['logits'] });
  graph.node!.splice(at, 1, ...(tied ? [onnx.NodeProto.create({ name: 'tie', opType: 'Transpose', input: ['float_head'], output: ['float_head_t'], attribute: [onnx.AttributeProto.create({ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 0] })] })] : []), product);
  return { bytes: onnx.ModelProto.encode(model).finish(), packed, scales: scalesRaw };
}

async function lastLogits(bytes: Uint8Array, tokens: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const out = (await session.run(coldPromptFeeds(config, tokens))).logits!;
  await session.release();
  const data = out.data as Float32Array;
  return data.subarray(data.length - config.vocabSize);
}

describe('outputLayerQuantization', () => {
  for (const tied of [false, true]) {
    it(`gives a 4-bit file's float32 output layer (${tied ? 'the transposed table of a tied model' : 'an untied constant'}) back as the 4-bit layer quantize_onnx.py writes`, async () => {
      const { bytes, packed, scales } = withFloatHead(tied);
      const splice = preparedSplice(graphSkeleton(bytesSource(bytes))!, { logitsToKeep: true })!;
      assert.equal(splice.quantizedOutputLayer, true);
      assert.match(describePreparation(splice, 'onnx/model_q4.onnx')!, /quantized the output layer the export left in float32 to 4 bits/);
      const prepared = preparedModel(bytesSource(bytes))!;
      const model = onnx.ModelProto.decode(prepared);
      const head = model.graph!.node!.find((n) => n.output!.includes('logits'))!;
      assert.equal(head.opType, 'MatMulNBits');
      const init = (name: string) => model.graph!.initializer!.find((t) => t.name === name)!;
      assert.deepEqual(Buffer.from(raw(init(head.input![1]!))), Buffer.from(packed), 'the same 4-bit codes');
      assert.deepEqual(Buffer.from(raw(init(head.input![2]!))), Buffer.from(scales), 'the same scales');
      assert.ok(!model.graph!.initializer!.some((t) => t.name === 'float_head'), 'the float32 weight, read by nothing else, is gone');
      assert.ok(!model.graph!.node!.some((n) => n.opType === 'Transpose' && n.output![0] === 'float_head_t'));
      assert.ok(prepared.length < bytes.length / 2);
      const prompt = [5, 17, 42, 8, 99, 3, 61];
      assert.deepEqual(await lastLogits(prepared, prompt), await lastLogits(shipped, prompt), 'the shipped logits, bit for bit');
    });
  }

  it('makes the embedding lookup that shares a tied table 4-bit too, so that the float32 table goes', async () => {
    // The tied model: the lookup gathers from the same float32 table the output layer multiplies by.
    const { bytes: tiedBytes, packed, scales } = withFloatHead(true);
    const tied = onnx.ModelProto.decode(tiedBytes);
    const lookup = tied.graph!.node!.find((n) => n.opType === 'GatherBlockQuantized')!;
    const ownTable = new Set([lookup.input![0]!, lookup.input![2]!]);
    tied.graph!.initializer = tied.graph!.initializer!.filter((t) => !ownTable.has(t.name!));
    tied.graph!.node!.splice(tied.graph!.node!.indexOf(lookup), 1, onnx.NodeProto.create({ name: 'lookup', opType: 'Gather', input: ['float_head', lookup.input![1]!], output: [...lookup.output!] }));
    const bytes = onnx.ModelProto.encode(tied).finish();
    const splice = preparedSplice(graphSkeleton(bytesSource(bytes))!, { logitsToKeep: true })!;
    assert.equal(splice.quantizedLookup, true);
    assert.match(describePreparation(splice, 'onnx/model_q4.onnx')!, /to 4 bits, with the embedding lookup that shares its table/);
    const prepared = preparedModel(bytesSource(bytes))!;
    const model = onnx.ModelProto.decode(prepared);
    assert.ok(!model.graph!.initializer!.some((t) => t.name === 'float_head'), 'the float32 table is gone');
    assert.ok(prepared.length < bytes.length / 1.5, `${bytes.length} -> ${prepared.length} bytes`);
    // The same model written by hand: the shipped output layer, and a lookup on its codes and scales.
    const want = onnx.ModelProto.decode(shipped);
    const [n, k] = [config.vocabSize, config.hiddenSize];
    const wantLookup = want.graph!.node!.find((x) => x.opType === 'GatherBlockQuantized')!;
    want.graph!.initializer = want.graph!.initializer!.filter((t) => !ownTable.has(t.name!));
    want.graph!.initializer.push(
      onnx.TensorProto.create({ name: 'shared_codes', dataType: onnx.TensorProto.DataType.UINT8, dims: [n, k / 2], rawData: packed }),
      onnx.TensorProto.create({ name: 'shared_scales', dataType: onnx.TensorProto.DataType.FLOAT, dims: [n, k / 32], rawData: scales }),
    );
    wantLookup.input = ['shared_codes', wantLookup.input![1]!, 'shared_scales'];
    wantLookup.attribute = [...wantLookup.attribute!.filter((a) => a.name !== 'bits'), onnx.AttributeProto.create({ name: 'bits', type: onnx.AttributeProto.AttributeType.INT, i: 4 })];
    const prompt = [5, 17, 42, 8, 99, 3, 61];
    assert.deepEqual(await lastLogits(prepared, prompt), await lastLogits(onnx.ModelProto.encode(want).finish(), prompt));
  });

  it('rounds half to even and puts the block\'s extreme at code 0, as numpy does in quantize_onnx.py', () => {
    const w = new Float32Array(32);
    w[0] = -8; // the extreme: scale 1, code 0
    w[1] = 2.5; // 2 (even), code 10
    w[2] = 3.5; // 4, code 12
    w[3] = -2.5; // -2, code 6
    w[4] = 7.9; // 8 clipped to 7, code 15
    const packed = new Uint8Array(16);
    const scales = new Float32Array(1);
    quantizeRow(w, packed, 0, scales, 0);
    assert.equal(scales[0], 1);
    assert.deepEqual([packed[0]! & 15, packed[0]! >> 4, packed[1]! & 15, packed[1]! >> 4, packed[2]! & 15, packed[2]! >> 4], [0, 10, 12, 6, 15, 8]);
  });

  it('counts the layer as the runtime will read it when auto chooses between a folder\'s 4-bit and 8-bit files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'locus-float-head-'));
    try {
      mkdirSync(join(dir, 'onnx'));
      copyFileSync(join(SHIPPED, 'config.json'), join(dir, 'config.json'));
      copyFileSync(join(ROOT, 'models', 'default', 'tokenizer.json'), join(dir, 'tokenizer.json'));
      // As exported, the 4-bit file reads its 33.5 MB float32 table every token, more than the 8-bit file's 23 MB;
      // as the runtime runs it, 16.5 MB.
      const q4 = withFloatHead(true).bytes;
      writeFileSync(join(dir, 'onnx', 'model_q4.onnx'), q4);
      writeFileSync(join(dir, 'onnx', 'model_int8.onnx'), int8PrefillModel(shipped)!.bytes);
      assert.ok(stepWeightBytes(graphSkeleton(bytesSource(q4))!)! > stepWeightBytes(graphSkeleton(bytesSource(int8PrefillModel(shipped)!.bytes))!)!);
      const files = locateModelFiles(dir, 'auto');
      assert.equal(files.onnxFile, 'onnx/model_q4.onnx');
      assert.equal(files.autoChoice, undefined);
      assert.equal(files.weightWarning, undefined, 'nothing to warn about: the runtime quantizes the layer');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves alone a float32 model, whose output layer is float32 on purpose, and a 4-bit one', () => {
    const fixture = readFileSync(join(ROOT, 'test', 'fixtures', 'tiny-llama', 'onnx', 'model.onnx'));
    assert.equal(preparedSplice(graphSkeleton(bytesSource(fixture))!, { logitsToKeep: true })?.quantizedOutputLayer ?? false, false);
    assert.equal(preparedSplice(graphSkeleton(bytesSource(shipped))!, { logitsToKeep: true }), undefined);
  });
});
