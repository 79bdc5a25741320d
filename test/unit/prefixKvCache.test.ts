// Prefix KV reuse: the cache's bookkeeping on a fake model, and on the fixture that reusing a cached prefix
// gives exactly the tokens a cold prompt gives while running only the new tokens.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DecoderModel, ForwardResult, KvState } from '../../runtime/decoderModel';
import { Generator } from '../../runtime/generator';
import type { ModelConfig } from '../../runtime/modelConfig';
import type { OrtDecoderModel } from '../../runtime/ortBackend';
import { PrefixKvCache } from '../../runtime/prefixKvCache';
import { TextTokenizer } from '../../runtime/tokenizer';
import { GREEDY, TARGET_DIR, loadFixtureDecoders } from './runtimeFixtures';

class FakeKv implements KvState {
  constructor(readonly length: number) {}
}
const fakeModel: DecoderModel = {
  emptyKv: () => new FakeKv(0),
  forward: async (ids, kv): Promise<ForwardResult> => ({ logits: [], kv: new FakeKv(kv.length + ids.length) }),
  truncate: (kv, length) => new FakeKv(Math.min(kv.length, length)),
  dispose: async () => undefined,
};
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('PrefixKvCache', () => {
  it('returns the longest shared prefix, always leaving one token to run', () => {
    const cache = new PrefixKvCache(fakeModel, 1000, 4);
    cache.store(range(20), new FakeKv(20));
    assert.equal(cache.lookup([...range(12), 99, 98]).reused, 12);
    assert.equal(cache.lookup(range(20)).reused, 19, 'an identical prompt still runs its last token');
    assert.equal(cache.lookup([...range(3), 7]).reused, 0, 'matches shorter than the minimum are not reused');
    assert.equal(cache.lookup([5, 6, 7]).kv.length, 0);
  });

  it('picks the best of several entries and evicts the least recently used over its position bound', () => {
    const cache = new PrefixKvCache(fakeModel, 50, 4);
    cache.store(range(20, 100), new FakeKv(20));
    cache.store(range(20, 200), new FakeKv(20));
    assert.equal(cache.lookup([...range(15, 200), 1]).reused, 15);
    assert.equal(cache.lookup([...range(10, 100), 1]).reused, 10);
    cache.store(range(20, 300), new FakeKv(20));
    // 60 positions > 50: the entry used least recently (200…) goes.
    assert.equal(cache.lookup([...range(15, 200), 1]).reused, 0);
    assert.equal(cache.lookup([...range(15, 100), 1]).reused, 15);
  });

  it('replaces an entry that the new prompt extends', () => {
    const cache = new PrefixKvCache(fakeModel, 30, 4);
    cache.store(range(10), new FakeKv(10));
    cache.store(range(25), new FakeKv(25));
    // Had the 10-token entry stayed, 35 positions would exceed the bound and evict the newer entry.
    assert.equal(cache.lookup([...range(24), 5]).reused, 24);
  });
});

describe('prefix reuse in generation', () => {
  const tokenizer = TextTokenizer.fromDirectory(TARGET_DIR);
  let target: OrtDecoderModel;
  let draft: OrtDecoderModel;
  let config: ModelConfig;
  before(async () => {
    ({ target, draft, config } = await loadFixtureDecoders());
  });
  after(async () => {
    await target.dispose();
    await draft.dispose();
  });

  it('gives the same tokens as a cold prompt while reusing the typed-so-far prefix, for every mode', async () => {
    const text = 'def total(values):\n    result = 0\n    for value in values:\n        result += value\n    return res';
    for (const speculation of ['off', 'auto'] as const) {
      const warm = new Generator({ model: target, draft, tokenizer, eosTokenIds: config.eosTokenIds, maxContext: config.maxPositionEmbeddings });
      let reusedSomething = false;
      // Keystrokes: the prompt grows one character at a time, as while typing.
      for (let end = text.length - 6; end <= text.length; end++) {
        const promptIds = tokenizer.encode(text.slice(0, end));
        const request = { promptIds, maxNewTokens: 12, sampling: GREEDY, stopStrings: [], speculation };
        const cold = new Generator({ model: target, draft, tokenizer, eosTokenIds: config.eosTokenIds, maxContext: config.maxPositionEmbeddings });
        const expected = await cold.generate(request);
        const got = await warm.generate(request);
        assert.deepEqual(got.tokenIds, expected.tokenIds, `${speculation} at ${end}`);
        assert.equal(expected.timings.cachedPromptTokens, 0);
        if ((got.timings.cachedPromptTokens ?? 0) > promptIds.length / 2) reusedSomething = true;
      }
      assert.ok(reusedSomething, `${speculation}: later keystrokes reuse most of the prompt`);
    }
  });
});
