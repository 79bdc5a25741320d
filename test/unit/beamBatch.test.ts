// OrtDecoderModel.batch on the shipped 4-bit target, in each way the runtime keeps the cache: a batched pass gives
// every row the logits a pass of its own gives (rows forked, swapped and dropped between passes), beam search
// answers the same with the batch as without it, and a cache kept as returned tensors offers no batch.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { beamSearch } from '../../runtime/beamSearch';
import type { DecoderModel, KvState } from '../../runtime/decoderModel';
import { readModelConfig } from '../../runtime/modelConfig';
import { OrtDecoderModel } from '../../runtime/ortBackend';
import { TokenTexts } from '../../runtime/tokenHealing';
import { TextTokenizer } from '../../runtime/tokenizer';
import { ROOT } from './runtimeFixtures';

const SHIPPED = join(ROOT, 'models', 'default', 'target');
const FILE = join(SHIPPED, 'onnx', 'model_q4.onnx');
const config = readModelConfig(SHIPPED);
const tokenizer = TextTokenizer.fromDirectory(join(ROOT, 'models', 'default'));
const source = readFileSync(join(ROOT, 'training', 'llama.py'), 'utf8');
const prompt = tokenizer.encode(source).slice(0, 70);

const CASES = [
  { name: 'rows, decomposed attention (the default)', options: {}, mode: 'rows' },
  { name: 'rows, fused attention', options: { stepThreads: 2, decomposeAttention: false }, mode: 'rows' },
  { name: 'shared buffers', options: { kvCache: 'shared' as const }, mode: 'shared' },
];

function maxDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

for (const { name, options, mode } of CASES) {
  describe(`OrtDecoderModel.batch: ${name}`, () => {
    let model: OrtDecoderModel;
    before(async () => {
      model = await OrtDecoderModel.create(FILE, config, 1, options);
      assert.equal(model.kvCache, mode);
    });
    after(() => model.dispose());

    it('gives each row of a pass the logits of a pass of its own, as rows fork, swap and drop', async () => {
      const pre = await model.forward(prompt, model.emptyKv(), 1);
      const batch = model.batch(pre.kv, 3)!;
      // Row r's tokens after the prompt, step by step, and the parents that make them.
      const steps = [
        { parents: [0, 0, 0], ids: [11, 22, 33] },
        { parents: [2, 0, 1], ids: [44, 55, 66] },
        { parents: [1, 1], ids: [77, 88] },
      ];
      let written: number[][] = [[]];
      for (const step of steps) {
        written = step.parents.map((p, r) => [...written[p]!, step.ids[r]!]);
        const logits = await batch.step(step.parents, step.ids);
        assert.equal(logits.length, step.ids.length);
        for (const [r, tokens] of written.entries()) {
          const alone = await model.forward(tokens, pre.kv, 1);
          assert.ok(maxDifference(logits[r]!, alone.logits[0]!) < 1e-3, `row ${r} after ${tokens.join(' ')}`);
        }
      }
    });

    it('lets beam search answer as it does with a pass per continuation', async () => {
      const unbatched: DecoderModel = {
        emptyKv: () => model.emptyKv(),
        forward: (ids: readonly number[], kv: KvState, keep: number) => model.forward(ids, kv, keep),
        truncate: (kv: KvState, length: number) => model.truncate(kv, length),
        rollback: (kv: KvState, length: number) => model.rollback(kv, length),
        dispose: async () => undefined,
      };
      const texts = TokenTexts.fromDecoder((ids) => tokenizer.decode(ids), tokenizer.vocabSize);
      const deps = (m: DecoderModel) => ({ model: m, texts, decode: (ids: readonly number[]) => tokenizer.decode(ids), eosTokenIds: config.eosTokenIds, now: () => 0 });
      for (const cut of [source.indexOf('def ') + 4, source.indexOf('return ') + 7, 1200]) {
        const promptIds = tokenizer.encode(source.slice(0, cut)).slice(-200);
        const request = { promptIds, width: 3, maxNewTokens: 24, stopStrings: ['\n'] };
        const [batched, plain] = [await beamSearch(deps(model), request), await beamSearch(deps(unbatched), request)];
        assert.deepEqual(batched.tokenIds, plain.tokenIds, `cut at ${cut}`);
        assert.equal(batched.text, plain.text);
      }
    });
  });
}

describe('OrtDecoderModel.batch: cache kept as returned tensors', () => {
  it('offers no batch, so beam search runs a pass per continuation', async () => {
    const model = await OrtDecoderModel.create(FILE, config, 1, { kvCache: 'returned' });
    try {
      assert.equal(model.kvCache, 'returned');
      assert.equal(model.batch(model.emptyKv(), 3), undefined);
    } finally {
      await model.dispose();
    }
  });
});
