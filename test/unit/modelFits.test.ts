// A model larger than the memory the process could hold fails with OUT_OF_MEMORY before onnxruntime loads it
// (runtime/modelFiles.ts assertModelFits), instead of the system killing the server mid-load.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import { ModelNotFoundError, OutOfMemoryError } from '../../runtime/errors';
import { assertModelFits, locateModelFiles } from '../../runtime/modelFiles';
import { ROOT } from './runtimeFixtures';

const SHIPPED = join(ROOT, 'models', 'default', 'target');

describe('assertModelFits', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-model-fits-'));
    mkdirSync(join(dir, 'onnx'));
    copyFileSync(join(SHIPPED, 'config.json'), join(dir, 'config.json'));
    copyFileSync(join(ROOT, 'models', 'default', 'tokenizer.json'), join(dir, 'tokenizer.json'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a model whose file and external data exceed the budget, saying how large each is', () => {
    // A graph whose one weight lives in model.onnx_data, 3 MB.
    const graph = {
      name: 'g',
      node: [{ opType: 'MatMul', input: ['x', 'w'], output: ['logits'] }],
      initializer: [
        {
          name: 'w',
          dims: [750_000],
          dataType: onnx.TensorProto.DataType.FLOAT,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [{ key: 'location', value: 'model.onnx_data' }, { key: 'offset', value: '0' }, { key: 'length', value: '3000000' }],
        },
      ],
      input: [{ name: 'x' }],
      output: [{ name: 'logits' }],
    };
    const bytes = onnx.ModelProto.encode({ irVersion: 8, graph, opsetImport: [{ domain: '', version: 17 }] }).finish();
    writeFileSync(join(dir, 'onnx', 'model.onnx'), Buffer.concat([bytes, Buffer.alloc(2048)]));
    writeFileSync(join(dir, 'onnx', 'model.onnx_data'), Buffer.alloc(3_000_000));
    const files = locateModelFiles(dir, 'fp32');
    const total = statSync(files.onnx).size + 3_000_000;
    assert.doesNotThrow(() => assertModelFits(files, total));
    assert.throws(
      () => assertModelFits(files, total - 1),
      (e: unknown) =>
        e instanceof OutOfMemoryError &&
        e.code === 'OUT_OF_MEMORY' &&
        e.message === 'onnx/model.onnx and its weights take 0.0 GB, more than the 0.0 GB of memory this machine has available.' &&
        /smaller or quantized model/.test(e.fix),
    );
  });

  it('lets the shipped model load on this machine', () => {
    assert.doesNotThrow(() => assertModelFits(locateModelFiles(SHIPPED, 'auto')));
  });

  it('says which files a folder has when it lacks the chosen quantization, with a fix of its own', () => {
    assert.throws(
      () => locateModelFiles(SHIPPED, 'int8'),
      (e: unknown) =>
        e instanceof ModelNotFoundError &&
        /has no onnx\/\{model_int8\.onnx, model_quantized\.onnx\} \(it has model_q4\.onnx\)\.$/.test(e.message) &&
        e.fix === 'Choose a quantization that the folder has, or auto, which picks one of them.',
    );
  });
});
