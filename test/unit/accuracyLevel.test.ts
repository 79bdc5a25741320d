// runtime/accuracyLevel.ts through preparedModel.ts: a 4-bit file whose MatMulNBits leave accuracy_level unset (as
// transformers.js's quantize script leaves them) runs them at int8 compute. The shipped target, which sets level 4,
// with the attribute taken out stands in for such a file: as the runtime loads it, it gives the shipped file's logits
// bit for bit, small or large; a level an exporter set is kept.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { unsetAccuracyNodes } from '../../runtime/accuracyLevel';
import { readModelConfig } from '../../runtime/modelConfig';
import { bytesSource, graphSkeleton } from '../../runtime/onnxSkeleton';
import { OrtDecoderModel } from '../../runtime/ortBackend';
import { describePreparation, preparedModel } from '../../runtime/preparedModel';
import { TextTokenizer } from '../../runtime/tokenizer';
import { writeInt8PrefillFile } from '../../runtime/int8PrefillFile';
import { withoutLogitsToKeep } from './optimumExport';
import { coldPromptFeeds, ROOT } from './runtimeFixtures';

const SHIPPED = join(ROOT, 'models', 'default', 'target');
const FILE = join(SHIPPED, 'onnx', 'model_q4.onnx');
const config = readModelConfig(SHIPPED);
const ids = TextTokenizer.fromDirectory(join(ROOT, 'models', 'default')).encode(readFileSync(join(ROOT, 'training', 'llama.py'), 'utf8'));

/** The model with every MatMulNBits' accuracy_level removed, or set to `level`. */
function withAccuracy(bytes: Uint8Array, level?: number): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  for (const node of model.graph!.node!) {
    if (node.opType !== 'MatMulNBits') continue;
    node.attribute = node.attribute!.filter((a) => a.name !== 'accuracy_level');
    if (level !== undefined) node.attribute.push(onnx.AttributeProto.create({ name: 'accuracy_level', type: onnx.AttributeProto.AttributeType.INT, i: level }));
  }
  return onnx.ModelProto.encode(model).finish();
}

describe('int8 compute for 4-bit products left unset', () => {
  const shipped = readFileSync(FILE);
  const unset = withAccuracy(shipped);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-accuracy-'));
    for (const [name, bytes] of [['unset', unset], ['float', withAccuracy(shipped, 1)], ['optimum', withoutLogitsToKeep(unset)]] as const) {
      mkdirSync(join(dir, name, 'onnx'), { recursive: true });
      copyFileSync(join(SHIPPED, 'config.json'), join(dir, name, 'config.json'));
      writeFileSync(join(dir, name, 'onnx', 'model_q4.onnx'), bytes);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the unset nodes and sets them, nothing else', () => {
    const matMuls = graphSkeleton(bytesSource(shipped))!.nodes.filter((n) => n.opType === 'MatMulNBits').length;
    assert.equal(unsetAccuracyNodes(graphSkeleton(bytesSource(unset))!).length, matMuls);
    assert.deepEqual(unsetAccuracyNodes(graphSkeleton(bytesSource(shipped))!), [], 'level 4 is set already');
    assert.deepEqual(unsetAccuracyNodes(graphSkeleton(bytesSource(withAccuracy(shipped, 1)))!), [], 'and level 1 was chosen');
    assert.equal(unsetAccuracyNodes(graphSkeleton(bytesSource(withAccuracy(shipped, 0)))!).length, matMuls, '0 is "unset" in the op\'s schema');
    // An 8-bit MatMulNBits is left as it is (the graph need not run for this count).
    const eightBit = onnx.ModelProto.decode(unset);
    const first = eightBit.graph!.node!.find((n) => n.opType === 'MatMulNBits')!;
    first.attribute = [...first.attribute!.filter((a) => a.name !== 'bits'), onnx.AttributeProto.create({ name: 'bits', type: onnx.AttributeProto.AttributeType.INT, i: 8 })];
    assert.equal(unsetAccuracyNodes(graphSkeleton(bytesSource(onnx.ModelProto.encode(eightBit).finish()))!).length, matMuls - 1);
    const prepared = graphSkeleton(bytesSource(preparedModel(bytesSource(unset))!))!;
    assert.deepEqual(unsetAccuracyNodes(prepared), []);
    assert.equal(preparedModel(bytesSource(shipped)), undefined, 'the shipped file needs nothing');
  });

  it('runs the file as the shipped one runs, bit for bit, loaded small or large; the export alone differs', async () => {
    const prompt = ids.slice(0, 48);
    const raw = await ort.InferenceSession.create(join(dir, 'unset', 'onnx', 'model_q4.onnx'), { intraOpNumThreads: 1 });
    const want = await OrtDecoderModel.create(FILE, config, 1);
    for (const options of [{}, { kvCache: 'shared' as const }]) {
      const [a, b] = await Promise.all([OrtDecoderModel.create(FILE, config, 1, options), OrtDecoderModel.create(join(dir, 'unset', 'onnx', 'model_q4.onnx'), config, 1, options)]);
      assert.equal(a!.preparation, undefined);
      assert.deepEqual(b!.preparation, { addsLogitsToKeep: false, int8Accuracy: 41, fusedAttention: 0, quantizedOutputLayer: false, quantizedLookup: false });
      assert.equal(
        describePreparation(b!.preparation, 'onnx/model_q4.onnx'),
        'Prepared onnx/model_q4.onnx as it loaded: set int8 compute on 41 4-bit matrix products that left accuracy_level unset.',
      );
      let [x, y] = await Promise.all([a!.forward(prompt, a!.emptyKv(), 1), b!.forward(prompt, b!.emptyKv(), 1)]);
      assert.deepEqual(y.logits, x.logits, `prompt, ${JSON.stringify(options)}`);
      for (const token of [11, 12]) {
        [x, y] = [await a!.forward([token], x.kv, 1), await b!.forward([token], y.kv, 1)];
        assert.deepEqual(y.logits, x.logits, `step, ${JSON.stringify(options)}`);
      }
      await Promise.all([a!.dispose(), b!.dispose()]);
    }
    // The file as exported computes in float32: its logits are not the shipped file's.
    const exported = (await raw.run(coldPromptFeeds(config, prompt))).logits!.data as Float32Array;
    const shippedLogits = (await want.forward(prompt, want.emptyKv(), 1)).logits[0]!;
    assert.ok(exported.some((v, i) => v !== shippedLogits[i]), 'float32 compute rounds otherwise');
    await Promise.all([raw.release(), want.dispose()]);
  });

  it('prepares an export that also lacks num_logits_to_keep in one splice: the output layer gets both', async () => {
    const prompt = ids.slice(0, 48);
    for (const options of [{}, { kvCache: 'shared' as const }]) {
      const [a, b] = await Promise.all([OrtDecoderModel.create(FILE, config, 1, options), OrtDecoderModel.create(join(dir, 'optimum', 'onnx', 'model_q4.onnx'), config, 1, options)]);
      assert.deepEqual(b.preparation, { addsLogitsToKeep: true, int8Accuracy: 41, fusedAttention: 0, quantizedOutputLayer: false, quantizedLookup: false });
      let [x, y] = await Promise.all([a.forward(prompt, a.emptyKv(), 1), b.forward(prompt, b.emptyKv(), 1)]);
      assert.deepEqual(y.logits, x.logits, `prompt, ${JSON.stringify(options)}`);
      [x, y] = [await a.forward([11], x.kv, 1), await b.forward([11], y.kv, 1)];
      assert.deepEqual(y.logits, x.logits, `step, ${JSON.stringify(options)}`);
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });

  it('gives the 8-bit copy of such a file int8 compute on the products it keeps 4-bit', () => {
    const dest = join(dir, 'copy.onnx');
    const written = writeInt8PrefillFile(join(dir, 'optimum', 'onnx', 'model_q4.onnx'), dest);
    assert.ok('converted' in written);
    const copy = graphSkeleton(bytesSource(readFileSync(dest)))!;
    assert.ok(copy.nodes.some((n) => n.opType === 'MatMulNBits'), 'the output layer stays 4-bit');
    assert.deepEqual(unsetAccuracyNodes(copy), []);
    assert.ok(copy.inputs.some((v) => v.name === 'num_logits_to_keep'));
  });

  it('keeps a level the exporter chose', async () => {
    const path = join(dir, 'float', 'onnx', 'model_q4.onnx');
    const prompt = ids.slice(0, 5);
    const [a, b] = await Promise.all([OrtDecoderModel.create(path, config, 1), OrtDecoderModel.create(FILE, config, 1)]);
    assert.equal(a.preparation, undefined);
    const [x, y] = await Promise.all([a.forward(prompt, a.emptyKv(), 1), b.forward(prompt, b.emptyKv(), 1)]);
    assert.ok(x.logits[0]!.some((v, i) => v !== y.logits[0]![i]), 'level 1 stays float32 compute');
    await Promise.all([a.dispose(), b.dispose()]);
  });
});
