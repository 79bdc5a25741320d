// runtime/tokenLogProbs.ts, tokenLogProbsModel.ts and OrtDecoderModel.tokenLogProbs: Selective Context's scores
// computed inside onnxruntime match the log-softmax of the logits, on the shipped draft (loaded as the runtime loads
// it, from its kept copies) and on the float32 fixture; where a model has no scoring pass the logits serve.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DecoderModel } from '../../runtime/decoderModel';
import { readModelConfig } from '../../runtime/modelConfig';
import { loadDecoder } from '../../runtime/modelLoader';
import { bytesSource, graphSkeleton } from '../../runtime/onnxSkeleton';
import { OrtDecoderModel } from '../../runtime/ortBackend';
import { TextTokenizer } from '../../runtime/tokenizer';
import { tokenLogProbs } from '../../runtime/tokenLogProbs';
import { SCORED_IDS_INPUT, TOKEN_LOG_PROBS_OUTPUT, tokenLogProbsModel } from '../../runtime/tokenLogProbsModel';
import { maxAbsDiff, ROOT, TARGET_DIR } from './runtimeFixtures';

const DRAFT = join(ROOT, 'models', 'default', 'draft');

/** The same model without its scoring pass, and how often `forward` was asked for every position's logits. */
function logitsOnly(model: DecoderModel): { model: DecoderModel; allLogitsPasses: () => number } {
  let passes = 0;
  return {
    model: {
      emptyKv: () => model.emptyKv(),
      forward: (ids, kv, keep) => {
        if (keep === 0) passes++;
        return model.forward(ids, kv, keep);
      },
      truncate: (kv, length) => model.truncate(kv, length),
      rollback: (kv, length) => model.rollback(kv, length),
      dispose: () => model.dispose(),
    },
    allLogitsPasses: () => passes,
  };
}

describe("Selective Context's token log-probabilities", () => {
  let cache: string;
  before(() => {
    cache = mkdtempSync(join(tmpdir(), 'locus-token-log-probs-'));
  });
  after(() => rmSync(cache, { recursive: true, force: true }));

  it('come from onnxruntime on the shipped draft, as the log-softmax of its logits, window by window', async () => {
    const tokenizer = TextTokenizer.fromDirectory(DRAFT);
    const { model, config } = await loadDecoder(DRAFT, 'auto', 1, tokenizer.vocabSize, cache);
    try {
      // Two windows of the model's context and a bit: each window's first token scores 0.
      const text = readFileSync(join(ROOT, 'runtime', 'ortBackend.ts'), 'utf8');
      const ids = tokenizer.encode(text).slice(0, config.maxPositionEmbeddings + 40);
      const plain = logitsOnly(model);
      const fromLogits = await tokenLogProbs(plain.model, config.maxPositionEmbeddings, ids);
      assert.equal(plain.allLogitsPasses(), 2);
      const counting = logitsOnly(model);
      const scored = await tokenLogProbs({ ...counting.model, tokenLogProbs: (w) => model.tokenLogProbs(w) }, config.maxPositionEmbeddings, ids);
      assert.equal(counting.allLogitsPasses(), 0, 'no logits handed out');
      assert.equal(scored[0], 0);
      assert.equal(scored[config.maxPositionEmbeddings], 0);
      assert.ok(scored.slice(1).every((x) => Number.isFinite(x) && x < 1e-4), 'log-probabilities: at most 0, but for float32 rounding');
      assert.ok(maxAbsDiff(scored, fromLogits) < 1e-3, `largest difference ${maxAbsDiff(scored, fromLogits)}`);
    } finally {
      await model.dispose();
    }
  });

  it('come from onnxruntime on a float32 export too, and a cancelled call stops at the next window', async () => {
    const config = readModelConfig(TARGET_DIR);
    const model = await OrtDecoderModel.create(join(TARGET_DIR, 'onnx', 'model.onnx'), config, 1);
    try {
      const ids = Array.from({ length: 50 }, (_, i) => (i * 7) % config.vocabSize);
      const scored = await model.tokenLogProbs(ids);
      assert.ok(scored !== undefined && scored.length === ids.length);
      const fromLogits = await tokenLogProbs(logitsOnly(model).model, 64, ids);
      assert.ok(maxAbsDiff([0, ...Array.from(scored.subarray(0, -1))], fromLogits) < 1e-3);
      const controller = new AbortController();
      controller.abort();
      assert.deepEqual(await tokenLogProbs(model, 16, ids, controller.signal), new Array(ids.length).fill(0));
    } finally {
      await model.dispose();
    }
  });

  it('are added to a graph once, as an input and an output, where its logits are float', () => {
    const bytes = readFileSync(join(DRAFT, 'onnx', 'model_q4.onnx'));
    const scoring = tokenLogProbsModel(bytes)!;
    const skeleton = graphSkeleton(bytesSource(scoring))!;
    assert.ok(skeleton.inputs.some((v) => v.name === SCORED_IDS_INPUT));
    assert.ok(skeleton.outputs.some((v) => v.name === TOKEN_LOG_PROBS_OUTPUT));
    assert.equal(tokenLogProbsModel(scoring), undefined, 'a graph that has them already');
  });
});
