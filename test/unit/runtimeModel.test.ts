// The ORT backend against the fixture: PyTorch parity, KV cache consistency, num_logits_to_keep, truncation.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KvState } from '../../runtime/decoderModel';
import { readModelConfig } from '../../runtime/modelConfig';
import { halfToFloat } from '../../runtime/float16';
import { defaultThreadCount, OrtDecoderModel } from '../../runtime/ortBackend';
import { maxAbsDiff, reference, TARGET_DIR } from './runtimeFixtures';

const TOL = 1e-4;
let model: OrtDecoderModel;
const prompt = reference.promptIds;
const continuation = reference.greedy;
const all = [...prompt, ...continuation];

async function fullRows(ids: number[]): Promise<Float32Array[]> {
  return (await model.forward(ids, model.emptyKv(), 0)).logits;
}

describe('OrtDecoderModel', () => {
  before(async () => {
    model = await OrtDecoderModel.create(join(TARGET_DIR, 'onnx', 'model.onnx'), readModelConfig(TARGET_DIR), 2);
  });
  after(() => model.dispose());

  it('matches PyTorch on the reference prompt', async () => {
    const { logits, kv } = await model.forward(prompt, model.emptyKv(), 1);
    assert.equal(logits.length, 1);
    assert.ok(maxAbsDiff(logits[0], reference.lastLogits) < TOL);
    assert.equal(kv.length, prompt.length);
  });

  it('num_logits_to_keep: 0 keeps every row, N the last N', async () => {
    const full = await fullRows(prompt);
    assert.equal(full.length, prompt.length);
    const kept = (await model.forward(prompt, model.emptyKv(), 3)).logits;
    assert.equal(kept.length, 3);
    kept.forEach((row, i) => assert.ok(maxAbsDiff(row, full[prompt.length - 3 + i]) < TOL));
  });

  it('decoding with the cache gives the logits of recomputing the whole sequence', async () => {
    const full = await fullRows(all);
    let { kv } = await model.forward(prompt, model.emptyKv(), 1);
    for (let i = 0; i < continuation.length; i++) {
      const step = await model.forward([continuation[i]], kv, 1);
      kv = step.kv;
      assert.ok(maxAbsDiff(step.logits[0], full[prompt.length + i]) < TOL, `step ${i}`);
    }
    assert.equal(kv.length, all.length);
    // Several tokens at once on top of a past (the speculative verify shape).
    const half = await model.forward(all.slice(0, 10), model.emptyKv(), 1);
    const rest = await model.forward(all.slice(10), half.kv, 0);
    rest.logits.forEach((row, i) => assert.ok(maxAbsDiff(row, full[10 + i]) < TOL));
  });

  it('truncate then re-decode equals a fresh decode, and leaves the original cache intact', async () => {
    const long = (await model.forward(all, model.emptyKv(), 1)).kv;
    const cut: KvState = model.truncate(long, prompt.length);
    assert.equal(cut.length, prompt.length);
    const fresh = (await model.forward(prompt, model.emptyKv(), 1)).kv;
    const other = [7, 8, 9];
    const a = await model.forward(other, cut, 0);
    const b = await model.forward(other, fresh, 0);
    a.logits.forEach((row, i) => assert.ok(maxAbsDiff(row, b.logits[i]) < TOL));
    const next = await model.forward([5], long, 1);
    const nextFull = await fullRows([...all, 5]);
    assert.ok(maxAbsDiff(next.logits[0], nextFull[all.length]) < TOL);
    assert.equal(model.truncate(long, all.length), long);
    assert.equal(model.truncate(long, 0).length, 0);
  });
});

describe('ortBackend helpers', () => {
  it('converts fp16 bits to numbers', () => {
    assert.deepEqual([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00, 0x0000].map(halfToFloat), [1, -2, 0.333251953125, 2 ** -24, Infinity, 0]);
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  });

  it('chooses threads from the core count', () => {
    assert.deepEqual([1, 2, 4, 8, 16, 64].map(defaultThreadCount), [1, 2, 4, 4, 6, 6]);
  });
});
