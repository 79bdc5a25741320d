// runtime/modelLoader.ts and ortBackend.ts's keptSmall: a small 4-bit file without an 8-bit file of its own (the
// shipped target) keeps its 8-bit copy, decode-step file and onnxruntime's optimized copies in the cache folder as a
// large file does, and later loads open those instead of rebuilding the graphs in memory; where a kept copy cannot be
// used, the load builds the graphs in memory as before and says so.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readModelConfig } from '../../runtime/modelConfig';
import { loadDecoder } from '../../runtime/modelLoader';
import { isLargeModelFile, OrtDecoderModel } from '../../runtime/ortBackend';
import { greedyTokens, ROOT } from './runtimeFixtures';

const SHIPPED = join(ROOT, 'models', 'default', 'target');
const config = readModelConfig(SHIPPED);
/** Long enough to prefill on the 8-bit weights (INT8_PREFILL_MIN_TOKENS). */
const PROMPT = Array.from({ length: 40 }, (_, i) => 300 + ((i * 37) % 900));

describe("a small 4-bit file's kept copies", () => {
  let dir: string;
  let folder: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-small-copies-'));
    // A model folder of its own (the tokenizer beside it, as shipped), so that the copies are keyed by a file this test may change.
    folder = join(dir, 'model', 'target');
    cpSync(SHIPPED, folder, { recursive: true });
    cpSync(join(SHIPPED, '..', 'tokenizer.json'), join(dir, 'model', 'tokenizer.json'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('are written at the first load and opened at later ones, with the greedy tokens of the graphs built in memory', async () => {
    const q4 = join(folder, 'onnx', 'model_q4.onnx');
    assert.ok(!isLargeModelFile(q4));
    const cache = join(dir, 'cache');
    const inMemory = await OrtDecoderModel.create(q4, config, 2);
    let expected: number[];
    const first = await loadDecoder(folder, 'auto', 2, config.vocabSize, cache);
    const { stepPath, prefillFile } = first.model;
    try {
      assert.equal(inMemory.stepPath, undefined, 'without the kept files, the graphs are built in memory');
      assert.ok(first.model.stepPath?.startsWith(cache), first.model.stepPath);
      assert.ok(first.model.prefillFile?.startsWith(cache), first.model.prefillFile);
      assert.equal(first.model.stepThreads, 1, 'steps on one thread, as the in-memory step graph');
      assert.equal(first.model.kvCache, 'rows');
      assert.equal(first.model.decomposedAttention, config.numLayers);
      assert.ok(first.model.optimizedCopies.length > 0 && first.model.optimizedCopies.every((c) => c.startsWith(cache)), first.model.optimizedCopies.join());
      assert.match(first.prefillCopy ?? '', /^Long prompts prefill on an 8-bit copy of onnx\/model_q4\.onnx \(\d+ MB in [^ ]*, built once in [\d.]+ s\)\.$/);
      expected = await greedyTokens(inMemory, PROMPT, 8);
      assert.deepEqual(await greedyTokens(first.model, PROMPT, 8), expected);
    } finally {
      await Promise.all([first.model.dispose(), inMemory.dispose()]);
    }

    const again = await loadDecoder(folder, 'auto', 2, config.vocabSize, cache);
    try {
      assert.equal(again.model.stepPath, stepPath);
      assert.equal(again.model.prefillFile, prefillFile);
      assert.match(again.prefillCopy ?? '', /^Long prompts prefill on an 8-bit copy of onnx\/model_q4\.onnx \(\d+ MB in [^ ,]*\)\.$/, 'reused, not built again');
    } finally {
      await again.model.dispose();
    }

    // A kept step file onnxruntime cannot read (the same size, its bytes spoilt): the graphs built in memory, at this
    // load and the next, which tries the kept files again.
    const spoilt = readFileSync(stepPath!);
    spoilt.fill(0, 0, 4096);
    writeFileSync(stepPath!, spoilt);
    for (let i = 0; i < 2; i++) {
      const fallback = await loadDecoder(folder, 'auto', 2, config.vocabSize, cache);
      try {
        assert.equal(fallback.model.stepPath, undefined);
        assert.equal(fallback.model.prefillFile, undefined);
        assert.ok(fallback.model.int8Prefill, 'long prompts still prefill on 8-bit weights: the copy built in memory');
        assert.equal(fallback.model.stepThreads, 1);
        assert.equal(fallback.model.decomposedAttention, config.numLayers);
        assert.match(fallback.prefillCopy ?? '', /^The kept copies of onnx\/model_q4\.onnx \(the 8-bit one: \d+ MB in [^)]*\) were not used at this load: its graphs were built in memory instead; the next load tries them again\.$/);
        assert.deepEqual(await greedyTokens(fallback.model, PROMPT, 8), expected);
      } finally {
        await fallback.model.dispose();
      }
    }
  });

  it('are not needed to load: where the cache folder cannot hold them, the graphs are built in memory', async () => {
    // A file where the cache folder should be: nothing can be written under it.
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, 'not a folder');
    const loaded = await loadDecoder(folder, 'auto', 2, config.vocabSize, blocked);
    try {
      assert.equal(loaded.model.stepPath, undefined);
      assert.ok(loaded.model.int8Prefill);
      assert.equal(loaded.model.stepThreads, 1);
      assert.match(loaded.prefillCopy ?? '', /^No kept 8-bit copy of onnx\/model_q4\.onnx: .+\. Its graphs are built in memory at this load\.$/);
    } finally {
      await loaded.model.dispose();
    }
  });
});
