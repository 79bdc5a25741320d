// A large 4-bit model prefills long prompts on its folder's 8-bit file (runtime/modelFiles.ts finds it,
// runtime/prefillFile.ts decides, runtime/ortBackend.ts uses it). The shipped target stands in for a large file: `kvCache: 'shared'` loads it as a
// large file is loaded (from its path, no copy built in memory), and its in-memory 8-bit copy, written out, is the
// folder's 8-bit file.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decomposedAttentionModel } from '../../runtime/decomposedAttention';
import { int8PrefillModel } from '../../runtime/int8PrefillModel';
import { readModelConfig } from '../../runtime/modelConfig';
import { locateModelFiles } from '../../runtime/modelFiles';
import { attentionReadsOnlyValidRows, fileGraphSkeleton } from '../../runtime/onnxSkeleton';
import { fusableAttention, INT8_PREFILL_MIN_TOKENS, OrtDecoderModel } from '../../runtime/ortBackend';
import { availableMemory } from '../../runtime/availableMemory';
import { prefillFileFits, usablePrefillFile } from '../../runtime/prefillFile';
import { TextTokenizer } from '../../runtime/tokenizer';
import { ROOT, TARGET_DIR as FIXTURE_DIR } from './runtimeFixtures';

const SHIPPED = join(ROOT, 'models', 'default', 'target');
const config = readModelConfig(SHIPPED);
const ids = TextTokenizer.fromDirectory(join(ROOT, 'models', 'default')).encode(readFileSync(join(ROOT, 'training', 'llama.py'), 'utf8'));

function same(a: readonly Float32Array[], b: readonly Float32Array[], what: string): void {
  assert.equal(a.length, b.length, what);
  a.forEach((row, i) => assert.ok(row.every((x, j) => x === b[i]![j]), `${what}: row ${i} differs`));
}

describe('prefill on the folder\'s 8-bit file', () => {
  let dir: string;
  const q4 = () => join(dir, 'onnx', 'model_q4.onnx');
  const int8 = () => join(dir, 'onnx', 'model_int8.onnx');

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-prefill-file-'));
    mkdirSync(join(dir, 'onnx'));
    copyFileSync(join(SHIPPED, 'config.json'), join(dir, 'config.json'));
    copyFileSync(join(ROOT, 'models', 'default', 'tokenizer.json'), join(dir, 'tokenizer.json'));
    const bytes = readFileSync(join(SHIPPED, 'onnx', 'model_q4.onnx'));
    writeFileSync(q4(), bytes);
    writeFileSync(int8(), int8PrefillModel(bytes)!.bytes);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is found beside a 4-bit choice only, with its external data counted, and passed over when it is a pointer', () => {
    const files = locateModelFiles(dir, 'q4');
    assert.equal(files.prefill?.onnx, int8());
    assert.equal(files.prefill?.bytes, readFileSync(int8()).length);
    assert.equal(locateModelFiles(dir, 'auto').prefill?.onnx, int8(), 'auto picks the 4-bit file');
    assert.equal(locateModelFiles(dir, 'int8').prefill, undefined);
    const other = mkdtempSync(join(tmpdir(), 'locus-prefill-names-'));
    try {
      mkdirSync(join(other, 'onnx'));
      for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(dir, f), join(other, f));
      copyFileSync(q4(), join(other, 'onnx', 'model_q4.onnx'));
      const pointer = join(other, 'onnx', 'model_int8.onnx');
      writeFileSync(pointer, 'version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n');
      assert.equal(locateModelFiles(other, 'q4').prefill, undefined, 'a Git LFS pointer is not used (and does not stop the 4-bit file)');
      const quantized = join(other, 'onnx', 'model_quantized.onnx');
      copyFileSync(int8(), quantized);
      writeFileSync(`${quantized}_data`, Buffer.alloc(1000));
      assert.deepEqual(locateModelFiles(other, 'q4').prefill, { onnx: quantized, bytes: readFileSync(int8()).length + 1000 });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('takes long prefills when the file loads as it is, and the 4-bit file the rest, on the same threads', async () => {
    const prefill = locateModelFiles(dir, 'q4').prefill!;
    const model = await OrtDecoderModel.create(q4(), config, 1, { kvCache: 'shared', prefillFile: prefill });
    const bare = await OrtDecoderModel.create(q4(), config, 1, { kvCache: 'shared' });
    const eight = await OrtDecoderModel.create(int8(), config, 1, { kvCache: 'shared' });
    const twoThreads = await OrtDecoderModel.create(q4(), config, 2, { kvCache: 'shared', prefillFile: prefill });
    try {
      assert.equal(model.int8Prefill, true);
      assert.equal(model.prefillFile, int8());
      assert.equal(bare.int8Prefill, false);
      assert.equal(bare.prefillFile, undefined);
      assert.equal(model.kvCache, 'shared');
      // Steps read hundreds of MB in a large file: they keep every thread (a small file's copy moves them to one).
      assert.equal(twoThreads.int8Prefill, true);
      assert.equal(twoThreads.stepThreads, 2);
      const prompt = ids.slice(0, 48);
      // A long prompt: the 8-bit file's logits, bit for bit.
      const long = await model.forward(prompt, model.emptyKv(), 1);
      same(long.logits, (await eight.forward(prompt, eight.emptyKv(), 1)).logits, 'a prompt of 48 tokens');
      // A short one: the 4-bit file's.
      const short = prompt.slice(0, INT8_PREFILL_MIN_TOKENS - 1);
      same((await model.forward(short, model.emptyKv(), 1)).logits, (await bare.forward(short, bare.emptyKv(), 1)).logits, 'a prompt under the threshold');
      // Steps after the 8-bit prefill run on the 4-bit file, from the cache the prefill left.
      const fromEight = await eight.forward(prompt, eight.emptyKv(), 1);
      let x = long;
      let y = fromEight;
      for (const id of ids.slice(48, 56)) {
        x = await model.forward([id], x.kv, 1);
        y = await bare.forward([id], y.kv, 1);
        same(x.logits, y.logits, `step at ${x.kv.length}`);
      }
      assert.equal(x.kv.length, 56);
    } finally {
      await Promise.all([model.dispose(), bare.dispose(), eight.dispose(), twoThreads.dispose()]);
    }
  });

  it('is not used when its inputs differ, its attention reads the cache otherwise, or it would take over half the free memory', async () => {
    const unused = async (onnx: string, bytes = readFileSync(onnx).length) => {
      const model = await OrtDecoderModel.create(q4(), config, 1, { kvCache: 'shared', prefillFile: { onnx, bytes } });
      try {
        assert.equal(model.int8Prefill, false, onnx);
        assert.equal(model.kvCache, 'shared');
      } finally {
        await model.dispose();
      }
    };
    // The shipped draft: GroupQueryAttention over shared buffers too, but five layers' cache inputs, not eight (refused
    // by the signature comparison, else by the pass at load).
    const draft = join(ROOT, 'models', 'default', 'draft', 'onnx', 'model_q4.onnx');
    assert.ok(attentionReadsOnlyValidRows(fileGraphSkeleton(draft)!));
    await unused(draft);
    await unused(join(FIXTURE_DIR, 'onnx', 'model.onnx'));
    await unused(int8(), Number.MAX_SAFE_INTEGER);
    // The same inputs and outputs, attention in standard ops that read the past's shape: not handed shared buffers,
    // fine where the cache comes back as tensors.
    const plain = join(dir, 'onnx', 'plain-attention.onnx');
    writeFileSync(plain, decomposedAttentionModel(readFileSync(int8()))!.bytes);
    const file = { onnx: plain, bytes: 1 };
    assert.equal(usablePrefillFile(file, true, 1e9), undefined);
    assert.equal(usablePrefillFile(file, false, 1e9), plain);
    assert.equal(usablePrefillFile(file, true, 1e9, fusableAttention(config)), undefined, 'attention in a form the fusion does not take');
    // A torch export's plain attention is handed shared buffers once fused as it loads (attentionFusion.ts).
    const torchExport = { onnx: join(FIXTURE_DIR, 'onnx', 'model.onnx'), bytes: 1 };
    assert.equal(usablePrefillFile(torchExport, true, 1e9), undefined);
    assert.equal(usablePrefillFile(torchExport, true, 1e9, fusableAttention(readModelConfig(FIXTURE_DIR))), torchExport.onnx);
    assert.equal(usablePrefillFile({ onnx: int8(), bytes: 1 }, true, 1e9), int8());
    assert.equal(usablePrefillFile({ onnx: int8(), bytes: 6e8 }, true, 1e9), undefined);
    assert.equal(prefillFileFits(500e6, 1e9), true);
    assert.equal(prefillFileFits(501e6, 1e9), false);
    assert.equal(availableMemory('darwin'), totalmem() / 2);
    assert.ok(availableMemory('linux') > 0);
  });
});
