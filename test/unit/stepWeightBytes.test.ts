// Weight bytes read per decoded token (runtime/stepWeightBytes.ts), from the sizes the graph skeleton reads without
// the weights' values (runtime/onnxSkeleton.ts), and `auto` taking the 8-bit file when the 4-bit one reads more
// (runtime/modelFiles.ts): the case of a 4-bit export whose tied output layer stayed float32.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import { locateModelFiles } from '../../runtime/modelFiles';
import { bytesSource, fileGraphSkeleton, graphSkeleton } from '../../runtime/onnxSkeleton';
import { stepWeightBytes, stepWeights } from '../../runtime/stepWeightBytes';
import { ROOT } from './runtimeFixtures';

const SHIPPED = join(ROOT, 'models', 'default', 'target');
const FLOAT = onnx.TensorProto.DataType.FLOAT;

type Weight = { name: string; bytes: number } & ({ as?: 'raw' | 'floats' } | { as: 'external'; location: string; length?: boolean });

function tensor(w: Weight): onnx.ITensorProto {
  const dims = [w.bytes / 4];
  if (w.as === 'external') {
    const entries = [{ key: 'location', value: w.location }, { key: 'offset', value: '0' }];
    if (w.length !== false) entries.push({ key: 'length', value: String(w.bytes) });
    return { name: w.name, dims, dataType: FLOAT, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: entries };
  }
  if (w.as === 'floats') return { name: w.name, dims, dataType: FLOAT, floatData: new Array(w.bytes / 4).fill(0.5) };
  return { name: w.name, dims, dataType: FLOAT, rawData: new Uint8Array(w.bytes) };
}

/** A graph of the given nodes, [opType, domain, inputs], over the given weights. */
function model(nodes: [string, string, string[]][], weights: Weight[], subgraph = false): Uint8Array {
  const graph: onnx.IGraphProto = {
    name: 'g',
    node: nodes.map(([opType, domain, input], i) => ({
      opType,
      domain,
      input,
      output: [`y${i}`],
      attribute: subgraph && i === 0 ? [{ name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: { name: 'then' } }] : [],
    })),
    initializer: weights.map(tensor),
    input: [{ name: 'input_ids' }],
    output: [{ name: 'logits' }],
  };
  return onnx.ModelProto.encode({ irVersion: 8, graph, opsetImport: [{ domain: '', version: 17 }] }).finish();
}

const bytesOf = (m: Uint8Array) => stepWeightBytes(graphSkeleton(bytesSource(m))!);

describe('weight bytes read per token', () => {
  it('reads each weight\'s size from the file without its values, as the protobuf stores it', () => {
    const file = join(SHIPPED, 'onnx', 'model_q4.onnx');
    const skeleton = fileGraphSkeleton(file)!;
    const decoded = onnx.ModelProto.decode(readFileSync(file)).graph!.initializer!;
    assert.equal(skeleton.initializers.length, decoded.length);
    const fileBytes = readFileSync(file);
    decoded.forEach((t, i) => {
      const { name, bytes, dims, raw } = skeleton.initializers[i]!;
      assert.equal(name, t.name);
      assert.deepEqual(dims, (t.dims ?? []).map(Number), name);
      // Where its raw values lie in the file: what a copy reads them from (int8PrefillFile.ts).
      if (t.rawData?.length) assert.ok(raw && Buffer.from(t.rawData).equals(fileBytes.subarray(raw.offset, raw.offset + raw.length)), name);
      else assert.equal(raw, undefined, name);
      const varints = (t.int64Data?.length ?? 0) + (t.int32Data?.length ?? 0);
      if (varints === 0) assert.equal(bytes, (t.rawData?.length ?? 0) + (t.floatData?.length ?? 0) * 4, name);
      // Packed integers take the bytes of their varints: at least one a value, at most ten.
      else assert.ok(bytes >= varints && bytes <= 10 * varints, `${name}: ${bytes} bytes for ${varints} integers`);
    });
    const external = [
      { name: 'a', bytes: 4096, as: 'external', location: 'w.bin' },
      { name: 'b', bytes: 2048, as: 'external', location: 'w.bin', length: false },
      { name: 'c', bytes: 400, as: 'floats' },
    ] satisfies Weight[];
    const sizes = graphSkeleton(bytesSource(model([['MatMul', '', ['x', 'a']], ['MatMul', '', ['x', 'b']], ['Add', '', ['x', 'c']]], external)))!.initializers;
    // External data: its written length, or dims x element size; packed floats: the bytes of the packed field.
    assert.deepEqual(
      sizes.map(({ name, bytes, dataType, location, dims, raw }) => ({ name, bytes, dataType, location, dims, raw })),
      [
        { name: 'a', bytes: 4096, dataType: FLOAT, location: 'w.bin', dims: [1024], raw: undefined },
        { name: 'b', bytes: 2048, dataType: FLOAT, location: 'w.bin', dims: [512], raw: undefined },
        { name: 'c', bytes: 400, dataType: FLOAT, location: undefined, dims: [100], raw: undefined },
      ],
    );
  });

  it('counts what a step reads whole and leaves out tables only gathered from', () => {
    const weights: Weight[] = [
      { name: 'embed', bytes: 8000 },
      { name: 'embed_q', bytes: 1000 },
      { name: 'embed_scales', bytes: 200 },
      { name: 'w', bytes: 400 },
      { name: 'unused', bytes: 4 },
    ];
    assert.equal(bytesOf(model([['Gather', '', ['embed', 'ids']], ['MatMul', '', ['x', 'w']]], weights)), 400);
    assert.equal(
      bytesOf(model([['GatherBlockQuantized', 'com.microsoft', ['embed_q', 'ids', 'embed_scales']], ['MatMul', '', ['x', 'w']]], weights)),
      400,
      'a quantized table and its scales, gathered from',
    );
    // A tied output layer reads the embedding table whole every token, in float32 where the quantizer left it.
    const tied = model([['Gather', '', ['embed', 'ids']], ['Transpose', '', ['embed']], ['MatMulNBits', 'com.microsoft', ['x', 'w']]], weights);
    assert.deepEqual(stepWeights(graphSkeleton(bytesSource(tied))!), { bytes: 8400, float32MatMulBytes: 8000 });
    assert.equal(bytesOf(model([['Gather', '', ['ids', 'embed']]], weights)), 8000, 'a weight in the indices slot is read whole');
    assert.equal(bytesOf(model([['If', '', ['cond']], ['MatMul', '', ['x', 'w']]], weights, true)), undefined, 'subgraphs may read any weight');
  });

  it('measures the shipped files: all weights but the gathered embedding', () => {
    const skeleton = fileGraphSkeleton(join(SHIPPED, 'onnx', 'model_q4.onnx'))!;
    const total = skeleton.initializers.reduce((sum, w) => sum + w.bytes, 0);
    const step = stepWeightBytes(skeleton)!;
    // Untied and 4-bit throughout: the table (vocab x hidden at 4.5 bits a value with its scales) is what a step skips.
    const config = JSON.parse(readFileSync(join(SHIPPED, 'config.json'), 'utf8'));
    const table = config.vocab_size * config.hidden_size;
    assert.ok(Math.abs(total - step - table * (0.5 + 4 / 32)) < table * 0.01, `${total - step} bytes left out`);
  });
});

describe('auto takes the file that reads less per token', () => {
  let dir: string;
  const onnxDir = () => join(dir, 'onnx');
  // A 4-bit file with its output layer in float32 (tied), and a well-quantized one.
  const floatHeadQ4 = model([['Gather', '', ['embed_q', 'ids']], ['MatMulNBits', 'com.microsoft', ['x', 'w_q']], ['MatMul', '', ['x', 'head']]], [
    { name: 'embed_q', bytes: 1_200_000 },
    { name: 'w_q', bytes: 1_000_000 },
    { name: 'head', bytes: 8_000_000 },
  ]);
  const quantizedQ4 = model([['Gather', '', ['embed_q', 'ids']], ['MatMulNBits', 'com.microsoft', ['x', 'w_q']], ['MatMulNBits', 'com.microsoft', ['x', 'head_q']]], [
    { name: 'embed_q', bytes: 1200 },
    { name: 'w_q', bytes: 1000 },
    { name: 'head_q', bytes: 1200 },
  ]);
  const int8 = model([['Gather', '', ['embed_i8', 'ids']], ['MatMulInteger', '', ['x', 'w_i8']], ['MatMulInteger', '', ['x', 'head_i8']]], [
    { name: 'embed_i8', bytes: 2_000_000 },
    { name: 'w_i8', bytes: 2_000_000 },
    { name: 'head_i8', bytes: 2_000_000 },
  ]);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-file-choice-'));
    mkdirSync(onnxDir());
    copyFileSync(join(SHIPPED, 'config.json'), join(dir, 'config.json'));
    copyFileSync(join(ROOT, 'models', 'default', 'tokenizer.json'), join(dir, 'tokenizer.json'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the 8-bit file over a 4-bit one that kept its output layer in float32, and says why', () => {
    writeFileSync(join(onnxDir(), 'model_q4.onnx'), floatHeadQ4);
    writeFileSync(join(onnxDir(), 'model_quantized.onnx'), int8);
    const files = locateModelFiles(dir, 'auto');
    assert.equal(files.onnxFile, 'onnx/model_quantized.onnx');
    assert.equal(files.quantization, 'int8');
    assert.equal(files.prefill, undefined);
    assert.match(files.autoChoice!, /^it reads 4 MB of weights per token, onnx\/model_q4\.onnx 9 MB$/);
    const explicit = locateModelFiles(dir, 'q4');
    assert.equal(explicit.onnxFile, 'onnx/model_q4.onnx', 'an explicit choice is kept');
    assert.equal(explicit.autoChoice, undefined);
    // ...and told why it is slow: 8 of its 9 MB in float32, which in 4 bits would take 1.25 MB.
    assert.match(explicit.weightWarning!, /^onnx\/model_q4\.onnx reads 8 of its 9 MB of weights per token in float32, .* would read about 2 MB/);
    assert.equal(files.weightWarning, undefined, 'the 8-bit file it took instead');
  });

  it('keeps a well-quantized 4-bit file', () => {
    writeFileSync(join(onnxDir(), 'model_q4.onnx'), quantizedQ4);
    const files = locateModelFiles(dir, 'auto');
    assert.equal(files.onnxFile, 'onnx/model_q4.onnx');
    assert.equal(files.autoChoice, undefined);
    assert.equal(files.weightWarning, undefined);
  });

  it('keeps the 4-bit file when the 8-bit one is broken', () => {
    writeFileSync(join(onnxDir(), 'model_q4.onnx'), floatHeadQ4);
    const external = model([['MatMulInteger', '', ['x', 'w']]], [{ name: 'w', bytes: 4000, as: 'external', location: 'model_quantized.onnx_data' }]);
    writeFileSync(join(onnxDir(), 'model_quantized.onnx'), Buffer.concat([external, Buffer.alloc(1024)]));
    assert.equal(locateModelFiles(dir, 'auto').onnxFile, 'onnx/model_q4.onnx', 'its external data is missing');
    writeFileSync(join(onnxDir(), 'model_quantized.onnx'), 'version https://git-lfs.github.com/spec/v1\n' + 'x'.repeat(2000));
    assert.equal(locateModelFiles(dir, 'auto').onnxFile, 'onnx/model_q4.onnx', 'a Git LFS pointer');
  });
});
