// runtime/preparedFile.ts and prefillCopyCache.ts's preparedCopy: a large file the runtime prepares (an Optimum-style
// export: no num_logits_to_keep, plain attention) is written once as prepared to the cache folder and loaded from
// there after; runtime/modelLoader.ts uses it. The tiny Hugging Face Qwen2 export stands in for the large file
// (padded past the large-file size where the loader must treat it as large).
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readModelConfig } from '../../runtime/modelConfig';
import { loadDecoder } from '../../runtime/modelLoader';
import { bytesSource } from '../../runtime/onnxSkeleton';
import { fusableAttention, isLargeModelFile } from '../../runtime/ortBackend';
import { preparedCopy } from '../../runtime/prefillCopyCache';
import { preparedModel } from '../../runtime/preparedModel';
import { maxAbsDiff, paddedPastLargeFileSize, ROOT, type Reference } from './runtimeFixtures';

const QWEN = join(ROOT, 'test', 'fixtures', 'tiny-qwen2-sdpa');
const EXPORT = join(QWEN, 'onnx', 'model.onnx');
const config = readModelConfig(QWEN);
const prepare = { logitsToKeep: true, attention: fusableAttention(config) };
const reference: Reference = JSON.parse(readFileSync(join(QWEN, 'reference.json'), 'utf8'));

describe('a large file kept as the runtime prepares it', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-prepared-copy-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is the prepared model written once, reused while the file and the options are the same', () => {
    const cache = join(dir, 'cache');
    const first = preparedCopy(EXPORT, cache, prepare);
    assert.ok('file' in first && first.builtMs !== undefined, JSON.stringify(first));
    assert.deepEqual(readFileSync(first.file), Buffer.from(preparedModel(bytesSource(readFileSync(EXPORT)), undefined, prepare)!));
    const again = preparedCopy(EXPORT, cache, prepare);
    assert.deepEqual(again, { file: first.file, bytes: first.bytes }, 'reused, not written again');
    // Other options (the attention left plain): another copy, and the one for the old options goes.
    const other = preparedCopy(EXPORT, cache, { logitsToKeep: true });
    assert.ok('file' in other && other.file !== first.file);
    assert.ok(!existsSync(dirname(first.file)));
    assert.deepEqual(readdirSync(cache), [dirname(other.file).split('/').pop()]);
    const shipped = join(ROOT, 'models', 'default', 'target', 'onnx', 'model_q4.onnx');
    assert.deepEqual(preparedCopy(shipped, cache, prepare), { skipped: 'it needs no preparation', unneeded: true });
  });

  it('is what the loader loads a large file from, with the file\'s logits; one onnxruntime refuses is not tried again', async () => {
    // The export with an unused 136 MB weight: large to the loader (the preparation drops it, as nothing reads it).
    const bytes = readFileSync(EXPORT);
    const folder = join(dir, 'large-model');
    mkdirSync(join(folder, 'onnx'), { recursive: true });
    for (const name of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(QWEN, name), join(folder, name));
    writeFileSync(join(folder, 'onnx', 'model.onnx'), paddedPastLargeFileSize(bytes));
    assert.ok(isLargeModelFile(join(folder, 'onnx', 'model.onnx')));
    const cache = join(dir, 'loader-cache');
    const matchesPyTorch = async (loaded: Awaited<ReturnType<typeof loadDecoder>>) => {
      const { logits } = await loaded.model.forward(reference.promptIds, loaded.model.emptyKv(), 1);
      assert.ok(maxAbsDiff(logits[0]!, reference.lastLogits) < 1e-4);
      await loaded.model.dispose();
    };

    const loaded = await loadDecoder(folder, 'auto', 1, config.vocabSize, cache);
    assert.match(loaded.preparation ?? '', /fused the attention of 2 layers into GroupQueryAttention\. Kept so in [^ ]* \(written once in [\d.]+ s\)\. Sessions load from onnxruntime's optimized copies, mapped: [^ ]*\.$/);
    const kept = loaded.model.preparedPath!;
    assert.ok(kept.startsWith(cache));
    assert.ok(readFileSync(kept).length < 2e6, 'the unused padding is not written');
    await matchesPyTorch(loaded);

    const reloaded = await loadDecoder(folder, 'auto', 1, config.vocabSize, cache);
    assert.equal(reloaded.model.preparedPath, kept);
    assert.match(reloaded.preparation ?? '', /Kept so in [^(]*\.$/, 'reused, not written again');
    await matchesPyTorch(reloaded);

    // A kept file onnxruntime cannot read (the same size, its bytes spoilt): the file is prepared in memory, now and at
    // later loads, which do not try the kept one again.
    const spoilt = readFileSync(kept);
    spoilt.fill(0, 0, 4096);
    writeFileSync(kept, spoilt);
    const refused = await loadDecoder(folder, 'auto', 1, config.vocabSize, cache);
    assert.equal(refused.model.preparedPath, undefined);
    assert.match(refused.preparation ?? '', /fused the attention of 2 layers into GroupQueryAttention\.$/, 'prepared in memory');
    await matchesPyTorch(refused);
    const later = await loadDecoder(folder, 'auto', 1, config.vocabSize, cache);
    assert.equal(later.model.preparedPath, undefined);
    assert.match(later.preparation ?? '', /fused the attention of 2 layers into GroupQueryAttention\.$/, 'prepared in memory');
    await matchesPyTorch(later);
  });
});
