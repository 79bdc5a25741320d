// runtime/decodeStepFile.ts, decomposedAttention.ts's splice form and prefillCopyCache.ts's decodeStepCopy: a large
// 4-bit file whose long prompts prefill on an 8-bit file runs its decode steps on a copy with the attention
// decomposed, written once as edits of the graph's fields and loaded from its path after (runtime/modelLoader.ts).
// The shipped target stands in for the large file (padded past the large-file size where the loader must treat it as
// large), with its 8-bit copy as the folder's 8-bit file.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { writeDecodeStepFile } from '../../runtime/decodeStepFile';
import { decomposedAttentionModel } from '../../runtime/decomposedAttention';
import { halfToFloat } from '../../runtime/float16';
import { int8PrefillModel } from '../../runtime/int8PrefillModel';
import { readModelConfig } from '../../runtime/modelConfig';
import { loadDecoder } from '../../runtime/modelLoader';
import { fileGraphSkeleton } from '../../runtime/onnxSkeleton';
import { createSession, isLargeModelFile, OrtDecoderModel } from '../../runtime/ortBackend';
import { decodeStepCopy } from '../../runtime/prefillCopyCache';
import { argmax } from '../../runtime/sampler';
import { coldPromptFeeds, greedyTokens, largeShippedTarget, maxAbsDiff, ROOT, TARGET_DIR } from './runtimeFixtures';

const SHIPPED = join(ROOT, 'models', 'default', 'target');
const SHIPPED_Q4 = join(SHIPPED, 'onnx', 'model_q4.onnx');
const config = readModelConfig(SHIPPED);
const PROMPT = [1, 450, 4996, 1735, 1701, 2991, 432, 1720];

/** Past buffers with room for `ROOM` positions, as the runtime's arena hands them over (kvArena.ts). */
const ROOM = 16;

/**
 * Logits of a prompt pass and of one step from its cache, through a bare session of `model` fed past buffers with
 * room (GroupQueryAttention reads only their valid rows; the decode-step file writes its rows there), and the step's
 * key rows of the first layer.
 */
async function promptAndStep(model: string | Uint8Array): Promise<Float32Array[]> {
  const session = await createSession(model, 1);
  const empty = () => new ort.Tensor('float16', new Uint16Array(config.numKeyValueHeads * ROOM * config.headDim), [1, config.numKeyValueHeads, ROOM, config.headDim]);
  try {
    const feeds = coldPromptFeeds(config, PROMPT);
    for (let i = 0; i < config.numLayers; i++) for (const kind of ['key', 'value']) feeds[`past_key_values.${i}.${kind}`] = empty();
    const first = await session.run(feeds);
    const step = coldPromptFeeds(config, [PROMPT.length]);
    step.position_ids!.data[0] = BigInt(PROMPT.length);
    step.attention_mask = new ort.Tensor('int64', new BigInt64Array(PROMPT.length + 1).fill(1n), [1, PROMPT.length + 1]);
    for (let i = 0; i < config.numLayers; i++) {
      for (const kind of ['key', 'value']) step[`past_key_values.${i}.${kind}`] = first[`present.${i}.${kind}`]!;
    }
    const second = await session.run(step);
    const key = second['present.0.key']!;
    assert.deepEqual(key.dims, [1, config.numKeyValueHeads, ROOM, config.headDim]);
    const stepRows = Float32Array.from({ length: config.numKeyValueHeads * config.headDim }, (_, i) => {
      const [head, d] = [Math.floor(i / config.headDim), i % config.headDim];
      return halfToFloat((key.data as Uint16Array)[(head * ROOM + PROMPT.length) * config.headDim + d]!);
    });
    return [first.logits!.data as Float32Array, second.logits!.data as Float32Array, stepRows];
  } finally {
    await session.release();
  }
}

describe('a decode-step file with the attention decomposed', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-decode-steps-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is the graph decomposedAttentionModel builds, written as a splice, without the tables only the fused nodes read', async () => {
    const dest = join(dir, 'steps.onnx');
    const written = writeDecodeStepFile(SHIPPED_Q4, dest, () => undefined);
    assert.ok('bytes' in written, JSON.stringify(written));
    assert.equal(readFileSync(dest).length, written.bytes);
    const before = fileGraphSkeleton(SHIPPED_Q4)!;
    const after = fileGraphSkeleton(dest)!;
    assert.ok(before.nodes.some((n) => n.opType === 'GroupQueryAttention'));
    assert.ok(!after.nodes.some((n) => n.opType === 'GroupQueryAttention'));
    const read = new Set(after.nodes.flatMap((n) => n.input));
    assert.deepEqual(after.initializers.filter((w) => !read.has(w.name)).map((w) => w.name), [], 'every weight left is read');
    // The form with room: each pass's rows as outputs of their own, for the runtime's arena.
    assert.deepEqual(
      after.outputs.map((v) => v.name).filter((name) => name.endsWith('/rows')),
      Array.from({ length: config.numLayers }, (_, i) => [`present.${i}.key/rows`, `present.${i}.value/rows`]).flat(),
    );
    const model = decomposedAttentionModel(readFileSync(SHIPPED_Q4), true)!;
    const [splicedPrompt, splicedStep, splicedRows] = await promptAndStep(dest);
    const [modelPrompt, modelStep] = await promptAndStep(model.bytes);
    assert.ok(maxAbsDiff(splicedPrompt!, modelPrompt!) < 1e-5 && maxAbsDiff(splicedStep!, modelStep!) < 1e-5);
    // Against the fused file reading the same buffers: the decomposed attention keeps the query in float32, so only
    // close (as in use); the key row it writes is the fused node's to float16 rounding (rotated in float32 here).
    const [fusedPrompt, fusedStep, fusedRows] = await promptAndStep(SHIPPED_Q4);
    assert.equal(argmax(splicedStep!), argmax(fusedStep!));
    assert.ok(maxAbsDiff(splicedPrompt!, fusedPrompt!) < 1, `${maxAbsDiff(splicedPrompt!, fusedPrompt!)}`);
    assert.ok(splicedRows!.some((v) => v !== 0), 'the step wrote its key row');
    assert.ok(splicedRows!.every((v, i) => Math.abs(v - fusedRows![i]!) <= 2 ** -9 * Math.max(1, Math.abs(v))), `${maxAbsDiff(splicedRows!, fusedRows!)}`);
  });

  it('also appends in place to buffers handed over as its presents, as a pass falls back to it when the 8-bit session fails', async () => {
    const dest = join(dir, 'steps-in-place.onnx');
    assert.ok('bytes' in writeDecodeStepFile(SHIPPED_Q4, dest, () => undefined));
    const session = await createSession(dest, 1);
    try {
      const heads = config.numKeyValueHeads;
      const buffers = () => Array.from({ length: 2 * config.numLayers }, () => new Uint16Array(heads * ROOM * config.headDim));
      const feedsWith = (data: Uint16Array[]) => {
        const feeds = coldPromptFeeds(config, PROMPT);
        data.forEach((d, b) => (feeds[`past_key_values.${b >> 1}.${b % 2 === 0 ? 'key' : 'value'}`] = new ort.Tensor('float16', d, [1, heads, ROOM, config.headDim])));
        return feeds;
      };
      const rowsNames = Array.from({ length: config.numLayers }, (_, i) => [`present.${i}.key/rows`, `present.${i}.value/rows`]).flat();
      const fetched = await session.run(feedsWith(buffers()), ['logits', ...rowsNames]);
      const arena = buffers();
      const inPlace = feedsWith(arena);
      const fetches: Record<string, ort.Tensor | null> = { logits: null };
      arena.forEach((_, b) => (fetches[`present.${b >> 1}.${b % 2 === 0 ? 'key' : 'value'}`] = inPlace[`past_key_values.${b >> 1}.${b % 2 === 0 ? 'key' : 'value'}`]!));
      const out = await session.run(inPlace, fetches);
      assert.deepEqual(out.logits!.data, fetched.logits!.data);
      // Each buffer now holds the prompt's rows at positions 0..7 of every head, as the rows outputs say.
      rowsNames.forEach((name, b) => {
        const rows = fetched[name]!.data as Uint16Array;
        for (let h = 0; h < heads; h++) {
          const want = rows.subarray(h * PROMPT.length * config.headDim, (h + 1) * PROMPT.length * config.headDim);
          assert.deepEqual(arena[b]!.subarray(h * ROOM * config.headDim, h * ROOM * config.headDim + want.length), want, `${name}, head ${h}`);
        }
      });
    } finally {
      await session.release();
    }
  });

  it('is not written for attention it does not decompose, nor where it is refused room', () => {
    const plain = writeDecodeStepFile(join(TARGET_DIR, 'onnx', 'model.onnx'), join(dir, 'plain.onnx'), () => undefined);
    assert.match('skipped' in plain ? plain.skipped : '', /not GroupQueryAttention/);
    const refused = writeDecodeStepFile(SHIPPED_Q4, join(dir, 'refused.onnx'), () => 'no room');
    assert.deepEqual(refused, { skipped: 'no room' });
  });

  it('is kept once per file, and what the loader steps a large 4-bit file on beside its 8-bit file; one onnxruntime refuses is not tried again', async () => {
    const cache = join(dir, 'cache');
    const first = decodeStepCopy(SHIPPED_Q4, cache);
    assert.ok('file' in first && first.builtMs !== undefined, JSON.stringify(first));
    assert.deepEqual(decodeStepCopy(SHIPPED_Q4, cache), { file: first.file, bytes: first.bytes }, 'reused, not written again');

    // The shipped target with an unused 136 MB weight (large to the loader; the step file leaves it out) and its
    // 8-bit copy as the folder's 8-bit file.
    const folder = join(dir, 'large-model');
    const q4 = largeShippedTarget(folder, (bytes) => int8PrefillModel(bytes)!.bytes);
    assert.ok(isLargeModelFile(q4));

    const loaderCache = join(dir, 'loader-cache');
    const loaded = await loadDecoder(folder, 'q4', 1, config.vocabSize, loaderCache);
    const fused = await OrtDecoderModel.create(q4, config, 1, { decomposeAttention: false, prefillFile: loaded.files.prefill });
    try {
      assert.ok(loaded.model.stepPath?.startsWith(loaderCache), loaded.model.stepPath);
      assert.equal(loaded.model.decomposedAttention, config.numLayers);
      assert.equal(loaded.model.kvCache, 'rows', 'the step file fetches its rows; the 8-bit file appends in place');
      assert.equal(loaded.model.prefillFile, join(folder, 'onnx', 'model_int8.onnx'));
      assert.ok(readFileSync(loaded.model.stepPath!).length < 50e6, 'the unused padding is not written');
      assert.match(loaded.preparation ?? '', /^Decode steps run on onnx\/model_q4\.onnx with its attention decomposed, kept in [^ ]* \(written once in [\d.]+ s\)\. Sessions load from onnxruntime's optimized copies/);
      assert.equal(fused.kvCache, 'shared', 'without it, the fused file keeps its cache in shared buffers');
      assert.equal(fused.decomposedAttention, 0);
      assert.deepEqual(await greedyTokens(loaded.model, PROMPT, 8), await greedyTokens(fused, PROMPT, 8));
    } finally {
      await Promise.all([loaded.model.dispose(), fused.dispose()]);
    }

    const reloaded = await loadDecoder(folder, 'q4', 1, config.vocabSize, loaderCache);
    const kept = reloaded.model.stepPath!;
    assert.equal(kept, loaded.model.stepPath);
    assert.match(reloaded.preparation ?? '', /kept in [^ (]*\. /, 'reused, not written again');
    await reloaded.model.dispose();

    // A kept file onnxruntime cannot read (the same size, its bytes spoilt): steps run on the file, now and at later
    // loads, which do not try the kept one again.
    const spoilt = readFileSync(kept);
    spoilt.fill(0, 0, 4096);
    writeFileSync(kept, spoilt);
    for (let i = 0; i < 2; i++) {
      const fallback = await loadDecoder(folder, 'q4', 1, config.vocabSize, loaderCache);
      assert.equal(fallback.model.stepPath, undefined);
      assert.equal(fallback.model.decomposedAttention, 0);
      assert.equal(fallback.model.kvCache, 'shared');
      assert.doesNotMatch(fallback.preparation ?? '', /Decode steps/);
      await fallback.model.dispose();
    }
  });
});
