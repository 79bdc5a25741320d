// runtime/onnxSkeleton.ts declaredSignature and its use in runtime/modelLoader.ts: a large file's declared inputs and
// outputs are checked against config.json before the loader writes any copy of it (prepared, 8-bit, decode-step),
// so a file that is not the decoder config.json describes fails in a moment, with nothing left in the cache folder.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ModelSignatureError } from '../../runtime/errors';
import { readModelConfig } from '../../runtime/modelConfig';
import { loadDecoder } from '../../runtime/modelLoader';
import { bytesSource, declaredSignature, fileGraphSkeleton, graphSkeleton } from '../../runtime/onnxSkeleton';
import { createSession, isLargeModelFile } from '../../runtime/ortBackend';
import { checkSignature } from '../../runtime/signature';
import { paddedPastLargeFileSize, ROOT, TARGET_DIR } from './runtimeFixtures';

const SHIPPED = join(ROOT, 'models', 'default', 'target');
const SHIPPED_Q4 = join(SHIPPED, 'onnx', 'model_q4.onnx');

describe("a large file's declared signature", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-large-signature-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is what onnxruntime reports: names, element types, fixed and symbolic dims', async () => {
    for (const path of [SHIPPED_Q4, join(TARGET_DIR, 'onnx', 'model.onnx')]) {
      const declared = declaredSignature(fileGraphSkeleton(path)!);
      const session = await createSession(path, 1);
      try {
        const reported = (names: readonly string[], meta: readonly { name: string; isTensor: boolean; type?: string; shape?: readonly (number | string)[] }[]) =>
          names.map((name) => {
            const m = meta.find((v) => v.name === name)!;
            return { name, type: m.isTensor ? m.type : undefined, fixed: (m.isTensor ? (m.shape ?? []) : []).map((d) => (typeof d === 'number' ? d : 'symbolic')) };
          });
        const ours = (values: typeof declared.inputs) => values.map((v) => ({ name: v.name, type: v.type, fixed: v.shape.map((d) => (typeof d === 'number' ? d : 'symbolic')) }));
        assert.deepEqual(ours(declared.inputs), reported(session.inputNames, session.inputMetadata as never), path);
        assert.deepEqual(ours(declared.outputs), reported(session.outputNames, session.outputMetadata as never), path);
      } finally {
        await session.release();
      }
      const config = readModelConfig(path.startsWith(SHIPPED) ? SHIPPED : TARGET_DIR);
      assert.equal(checkSignature(declared, config), path === SHIPPED_Q4 ? 'float16' : 'float32');
    }
  });

  it('is not looked for past the first bytes of a file of zeros (allocated, never written)', () => {
    const zeros = new Uint8Array(64 * 1024 * 1024);
    let read = 0;
    const source = bytesSource(zeros);
    const counted = { ...source, read: (offset: number, length: number) => ((read += length), source.read(offset, length)) };
    assert.equal(graphSkeleton(counted), undefined);
    assert.ok(read < 64, `read ${read} bytes of a 64 MiB file of zeros (it walked all of it, two bytes a field)`);
  });

  it("is checked against config.json before the loader writes any copy", async () => {
    // The shipped target padded past the large-file size with an unused weight, in a folder whose config.json
    // claims a layer more than the graph has.
    const folder = join(dir, 'large-model');
    mkdirSync(join(folder, 'onnx'), { recursive: true });
    const config = JSON.parse(readFileSync(join(SHIPPED, 'config.json'), 'utf8'));
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...config, num_hidden_layers: config.num_hidden_layers + 1 }));
    for (const name of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(SHIPPED, '..', name), join(folder, name));
    const q4 = join(folder, 'onnx', 'model_q4.onnx');
    writeFileSync(q4, paddedPastLargeFileSize(readFileSync(SHIPPED_Q4)));
    assert.ok(isLargeModelFile(q4));

    const cache = join(dir, 'cache');
    await assert.rejects(loadDecoder(folder, 'q4', 1, config.vocab_size, cache), (e: unknown) => e instanceof ModelSignatureError && /KV inputs for \d+ layers but config\.json says num_hidden_layers is \d+/.test(e.message));
    assert.ok(!existsSync(cache) || readdirSync(cache).length === 0, 'no copy was written');
  });
});
