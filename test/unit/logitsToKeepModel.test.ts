// runtime/logitsToKeepModel.ts: a decoder exported without `num_logits_to_keep` (as Optimum's are) gets the input,
// spliced in before its output layer. The shipped target with its own input taken out stands in for such an export:
// rewritten, it gives the shipped file's logits bit for bit, alone and as the runtime loads it (small and large).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { int8PrefillModel } from '../../runtime/int8PrefillModel';
import { LOGITS_TO_KEEP_INPUT } from '../../runtime/logitsToKeepModel';
import { filePreparedModel, preparedModel } from '../../runtime/preparedModel';
import { readModelConfig } from '../../runtime/modelConfig';
import { bytesSource, graphSkeleton } from '../../runtime/onnxSkeleton';
import { OrtDecoderModel } from '../../runtime/ortBackend';
import { TextTokenizer } from '../../runtime/tokenizer';
import { withoutLogitsToKeep } from './optimumExport';
import { ROOT } from './runtimeFixtures';

const SHIPPED = join(ROOT, 'models', 'default', 'target');
const FILE = join(SHIPPED, 'onnx', 'model_q4.onnx');
const config = readModelConfig(SHIPPED);
const ids = TextTokenizer.fromDirectory(join(ROOT, 'models', 'default')).encode(readFileSync(join(ROOT, 'training', 'llama.py'), 'utf8'));

const inputNames = (bytes: Uint8Array) => graphSkeleton(bytesSource(bytes))!.inputs.map((v) => v.name);

function feeds(tokens: number[], keep?: number): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, tokens.length]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(tokens.length).fill(1n), [1, tokens.length]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(tokens, (_, i) => BigInt(i)), [1, tokens.length]),
  };
  if (keep !== undefined) f[LOGITS_TO_KEEP_INPUT] = new ort.Tensor('int64', BigInt64Array.of(BigInt(keep)), []);
  for (let i = 0; i < config.numLayers; i++) {
    for (const kind of ['key', 'value']) {
      f[`past_key_values.${i}.${kind}`] = new ort.Tensor('float16', new Uint16Array(0), [1, config.numKeyValueHeads, 0, config.headDim]);
    }
  }
  return f;
}

describe('logitsToKeepModel', () => {
  const shipped = readFileSync(FILE);
  const exported = withoutLogitsToKeep(shipped);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-logits-to-keep-'));
    mkdirSync(join(dir, 'onnx'));
    copyFileSync(join(SHIPPED, 'config.json'), join(dir, 'config.json'));
    writeFileSync(join(dir, 'onnx', 'model_q4.onnx'), exported);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('adds the input, and its logits are the rows the shipped file keeps, bit for bit', async () => {
    assert.ok(!inputNames(exported).includes(LOGITS_TO_KEEP_INPUT));
    const rewritten = preparedModel(bytesSource(exported))!;
    assert.ok(inputNames(rewritten).includes(LOGITS_TO_KEEP_INPUT));
    const [a, b, c] = await Promise.all([shipped, rewritten, exported].map((m) => ort.InferenceSession.create(m, { intraOpNumThreads: 1 })));
    const prompt = ids.slice(0, 8);
    const all = (await c!.run(feeds(prompt))).logits!;
    assert.deepEqual(all.dims, [1, 8, config.vocabSize], 'the export computes every row');
    for (const keep of [1, 3, 0, 20]) {
      const [want, got] = await Promise.all([a!.run(feeds(prompt, keep)), b!.run(feeds(prompt, keep))]);
      const rows = keep === 0 || keep > 8 ? 8 : keep;
      assert.deepEqual(got.logits!.dims, [1, rows, config.vocabSize], `keep ${keep}`);
      assert.deepEqual(got.logits!.data, want.logits!.data, `keep ${keep}: the shipped file's logits`);
    }
    await Promise.all([a!.release(), b!.release(), c!.release()]);
    assert.equal(preparedModel(bytesSource(shipped)), undefined, 'a graph with the input is left alone');
    assert.equal(preparedModel(bytesSource(rewritten)), undefined, 'and so is one rewritten already');
  });

  it('rewrites a file without reading it whole into a second buffer, to the same bytes', () => {
    const fromFile = filePreparedModel(join(dir, 'onnx', 'model_q4.onnx'));
    assert.ok(fromFile);
    assert.deepEqual(fromFile, preparedModel(bytesSource(exported)));
    assert.equal(filePreparedModel(join(dir, 'missing.onnx')), undefined);
  });

  it('is what the runtime loads: the shipped file\'s prefills and steps, small or large', async () => {
    // As a small file (rewritten in memory, 8-bit copy for prefills) and as a large one (loaded as it is).
    for (const options of [{}, { kvCache: 'shared' as const }]) {
      const want = await OrtDecoderModel.create(FILE, config, 1, options);
      const model = await OrtDecoderModel.create(join(dir, 'onnx', 'model_q4.onnx'), config, 1, options);
      assert.equal(model.kvCache, want.kvCache);
      assert.equal(model.int8Prefill, want.int8Prefill);
      assert.ok(model.signature.inputs.some((v) => v.name === LOGITS_TO_KEEP_INPUT), JSON.stringify(options));
      assert.deepEqual(model.preparation, { addsLogitsToKeep: true, int8Accuracy: 0, fusedAttention: 0, quantizedOutputLayer: false, quantizedLookup: false }, 'what the load line reports');
      for (const length of [48, 5]) {
        let [x, y] = await Promise.all([want.forward(ids.slice(0, length), want.emptyKv(), 1), model.forward(ids.slice(0, length), model.emptyKv(), 1)]);
        assert.equal(y.logits.length, 1);
        assert.deepEqual(y.logits, x.logits, `${length}-token prompt, ${JSON.stringify(options)}`);
        for (const token of [11, 12]) {
          [x, y] = [await want.forward([token], x.kv, 1), await model.forward([token], y.kv, 1)];
          assert.deepEqual(y.logits, x.logits, `step after ${length} tokens`);
        }
      }
      await Promise.all([model.dispose(), want.dispose()]);
    }
  });

  it('gives the folder\'s 8-bit file the input too, so that a large file still prefills on it', async () => {
    const prefillFile = (path: string, q4: Uint8Array) => {
      writeFileSync(path, int8PrefillModel(q4)!.bytes);
      return { onnx: path, bytes: statSync(path).size };
    };
    const options = (path: string, q4: Uint8Array) => ({ kvCache: 'shared' as const, prefillFile: prefillFile(path, q4) });
    const want = await OrtDecoderModel.create(FILE, config, 1, options(join(dir, 'shipped_int8.onnx'), shipped));
    const model = await OrtDecoderModel.create(join(dir, 'onnx', 'model_q4.onnx'), config, 1, options(join(dir, 'onnx', 'model_int8.onnx'), exported));
    assert.equal(model.prefillFile, join(dir, 'onnx', 'model_int8.onnx'));
    const prompt = ids.slice(0, 48);
    const [x, y] = await Promise.all([want.forward(prompt, want.emptyKv(), 1), model.forward(prompt, model.emptyKv(), 1)]);
    assert.deepEqual(y.logits, x.logits);
    await Promise.all([model.dispose(), want.dispose()]);
  });

  it('loads a file whose weights are external data from memory, finding them beside the file', async () => {
    const model = onnx.ModelProto.decode(exported);
    const chunks: Uint8Array[] = [];
    let offset = 0;
    for (const t of model.graph!.initializer!) {
      if ((t.rawData?.length ?? 0) < 1024) continue;
      chunks.push(t.rawData!);
      t.externalData = [
        { key: 'location', value: 'model_q4.onnx_data' },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(t.rawData!.length) },
      ];
      t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      offset += t.rawData!.length;
      t.rawData = new Uint8Array(0);
    }
    const external = join(dir, 'external');
    mkdirSync(join(external, 'onnx'), { recursive: true });
    writeFileSync(join(external, 'onnx', 'model_q4.onnx'), onnx.ModelProto.encode(model).finish());
    writeFileSync(join(external, 'onnx', 'model_q4.onnx_data'), Buffer.concat(chunks));
    const loaded = await OrtDecoderModel.create(join(external, 'onnx', 'model_q4.onnx'), config, 1);
    assert.ok(loaded.signature.inputs.some((v) => v.name === LOGITS_TO_KEEP_INPUT));
    assert.equal(loaded.kvCache, 'rows', 'the rows outputs load from memory too');
    const prompt = ids.slice(0, 5);
    const want = await ort.InferenceSession.create(shipped, { intraOpNumThreads: 1 });
    const expected = (await want.run(feeds(prompt, 1))).logits!.data as Float32Array;
    assert.deepEqual((await loaded.forward(prompt, loaded.emptyKv(), 1)).logits, [expected]);
    await Promise.all([loaded.dispose(), want.release()]);
  });

  it('gives a plain-attention export (the torch-exported test fixture) the input, with its logits and cache', async () => {
    const fixture = join(ROOT, 'test', 'fixtures', 'tiny-llama');
    const plain = join(dir, 'plain');
    mkdirSync(join(plain, 'onnx'), { recursive: true });
    copyFileSync(join(fixture, 'config.json'), join(plain, 'config.json'));
    const original = readFileSync(join(fixture, 'onnx', 'model.onnx'));
    writeFileSync(join(plain, 'onnx', 'model.onnx'), withoutLogitsToKeep(original));
    const fixtureConfig = readModelConfig(fixture);
    // Attention left plain: this is about the input alone (attentionFusion.test.ts fuses the same export).
    const options = { fuseAttention: false };
    const [want, got] = await Promise.all([join(fixture, 'onnx', 'model.onnx'), join(plain, 'onnx', 'model.onnx')].map((p) => OrtDecoderModel.create(p, fixtureConfig, 1, options)));
    assert.ok(got!.signature.inputs.some((v) => v.name === LOGITS_TO_KEEP_INPUT));
    assert.equal(got!.kvCache, 'returned');
    const prompt = [5, 17, 42, 8, 99, 3, 61];
    let [x, y] = await Promise.all([want!.forward(prompt, want!.emptyKv(), 1), got!.forward(prompt, got!.emptyKv(), 1)]);
    const close = (a: Float32Array[], b: Float32Array[]) => a.every((row, r) => row.every((v, i) => Math.abs(v - b[r]![i]!) <= 1e-5 * (1 + Math.abs(v))));
    assert.ok(close(y.logits, x.logits), 'prompt');
    [x, y] = [await want!.forward([7], x.kv, 1), await got!.forward([7], y.kv, 1)];
    assert.ok(close(y.logits, x.logits), 'a step from the cache');
    await Promise.all([want!.dispose(), got!.dispose()]);
  });

  describe('the output layer it slices', () => {
    const F = onnx.TensorProto.DataType.FLOAT;
    const value = (name: string, elemType = F) => ({ name, type: { tensorType: { elemType } } });
    const floats = (name: string, dims: number[], values: number[]) => ({ name, dataType: F, dims, floatData: values });
    /** x -> Relu (the hidden states) -> `head` nodes -> logits; `inputs` beside x. */
    const graph = (head: onnx.INodeProto[], initializer: onnx.ITensorProto[], inputs: string[] = []) =>
      onnx.ModelProto.encode({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 17 }],
        graph: {
          name: 'g',
          node: [{ opType: 'Relu', input: ['x'], output: ['h'] }, ...head],
          initializer,
          input: [value('x'), ...inputs.map((i) => value(i))],
          output: [value('logits')],
        },
      }).finish();

    it('slices the hidden states before quantize_dynamic\'s 8-bit chain, whose rows then quantize on their own', async () => {
      const w = { name: 'w', dataType: onnx.TensorProto.DataType.INT8, dims: [4, 3], rawData: new Uint8Array(Int8Array.from([1, -2, 3, 4, 5, -6, 7, 8, 9, -10, 11, 12]).buffer) };
      const bytes = graph(
        [
          { opType: 'DynamicQuantizeLinear', input: ['h'], output: ['hq', 'hs', 'hz'] },
          { opType: 'MatMulInteger', input: ['hq', 'w'], output: ['acc'] },
          { opType: 'Cast', input: ['acc'], output: ['accf'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: F }] },
          { opType: 'Mul', input: ['hs', 'ws'], output: ['scale'] },
          { opType: 'Mul', input: ['accf', 'scale'], output: ['logits'] },
        ],
        [w, floats('ws', [], [0.5])],
      );
      const rewritten = preparedModel(bytesSource(bytes))!;
      const session = await ort.InferenceSession.create(rewritten);
      const x = new ort.Tensor('float32', Float32Array.from({ length: 20 }, (_, i) => (i % 7) - 2), [1, 5, 4]);
      const keep = (n: number) => session.run({ x, [LOGITS_TO_KEEP_INPUT]: new ort.Tensor('int64', BigInt64Array.of(BigInt(n)), []) });
      const [all, last2] = await Promise.all([keep(0), keep(2)]);
      assert.deepEqual(all.logits!.dims, [1, 5, 3]);
      assert.deepEqual(last2.logits!.dims, [1, 2, 3]);
      const tail = (all.logits!.data as Float32Array).slice(9);
      (last2.logits!.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - tail[i]!) <= 0.05 * Math.abs(tail[i]!) + 0.5, `row value ${i}: ${v} vs ${tail[i]}`));
      await session.release();
    });

    const withOutput = (bytes: Uint8Array, name: string) => {
      const m = onnx.ModelProto.decode(bytes);
      m.graph!.output!.push(value(name));
      return onnx.ModelProto.encode(m).finish();
    };

    it('slices before a tied output layer, which multiplies by the transposed embedding table', async () => {
      const table = floats('embed', [3, 4], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]);
      const tied = graph([{ opType: 'Transpose', input: ['embed'], output: ['embed_t'] }, { opType: 'MatMul', input: ['h', 'embed_t'], output: ['logits'] }], [table]);
      const session = await ort.InferenceSession.create(preparedModel(bytesSource(tied))!);
      const x = new ort.Tensor('float32', Float32Array.from({ length: 12 }, (_, i) => i), [1, 3, 4]);
      const out = await session.run({ x, [LOGITS_TO_KEEP_INPUT]: new ort.Tensor('int64', BigInt64Array.of(1n), []) });
      assert.deepEqual(out.logits!.dims, [1, 1, 3]);
      assert.deepEqual([...(out.logits!.data as Float32Array)], [8, 9, 21], 'the last row of x times the table');
      await session.release();
    });

    it('leaves alone logits computed from anything but the hidden states through row-wise operators', () => {
      const w = floats('w', [4, 3], new Array(12).fill(0.1));
      assert.ok(preparedModel(bytesSource(graph([{ opType: 'MatMul', input: ['h', 'w'], output: ['logits'] }], [w]))), 'a plain MatMul qualifies');
      const old = onnx.ModelProto.decode(graph([{ opType: 'MatMul', input: ['h', 'w'], output: ['logits'] }], [w]));
      old.opsetImport = [{ domain: '', version: 11 }];
      const refused = {
        'an opset without Slice\'s negative axes': onnx.ModelProto.encode(old).finish(),
        'a subgraph': graph([{ opType: 'MatMul', input: ['h', 'w'], output: ['logits'], attribute: [{ name: 'body', type: onnx.AttributeProto.AttributeType.GRAPH, g: { name: 'b' } }] }], [w]),
        'a layer tensor that is also a graph output': withOutput(graph([{ opType: 'MatMul', input: ['h', 'w'], output: ['z'] }, { opType: 'Add', input: ['z', 'b'], output: ['logits'] }], [w, floats('b', [3], [1, 2, 3])]), 'z'),
        'an element-wise input from elsewhere': graph([{ opType: 'MatMul', input: ['h', 'w'], output: ['z'] }, { opType: 'Sigmoid', input: ['x'], output: ['g'] }, { opType: 'Mul', input: ['z', 'g'], output: ['logits'] }], [w]),
        'a layer tensor read by another node': graph([{ opType: 'MatMul', input: ['h', 'w'], output: ['z'] }, { opType: 'Relu', input: ['z'], output: ['zr'] }, { opType: 'Add', input: ['z', 'b'], output: ['logits'] }], [w, floats('b', [3], [1, 2, 3])]),
        'rows as the weight of a product': graph([{ opType: 'MatMul', input: ['w2', 'h'], output: ['logits'] }], [floats('w2', [3, 5], new Array(15).fill(0.1))]),
        'a Gemm that transposes its rows': graph([{ opType: 'Gemm', input: ['h', 'w'], output: ['logits'], attribute: [{ name: 'transA', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] }], [w]),
        'a softmax over positions': graph([{ opType: 'MatMul', input: ['h', 'w'], output: ['z'] }, { opType: 'Softmax', input: ['z'], output: ['logits'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] }], [w]),
        'another graph input': graph([{ opType: 'MatMul', input: ['h', 'w'], output: ['z'] }, { opType: 'Add', input: ['z', 'bias_in'], output: ['logits'] }], [w], ['bias_in']),
        'two products': graph(
          [
            { opType: 'Sigmoid', input: ['x'], output: ['g'] },
            { opType: 'MatMul', input: ['h', 'w'], output: ['a'] },
            { opType: 'MatMul', input: ['g', 'w'], output: ['b'] },
            { opType: 'Add', input: ['a', 'b'], output: ['logits'] },
          ],
          [w],
        ),
      };
      for (const [what, bytes] of Object.entries(refused)) assert.equal(preparedModel(bytesSource(bytes)), undefined, what);
    });
  });
});
