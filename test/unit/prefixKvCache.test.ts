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

/** 100 bytes a position. */
class FakeKv implements KvState {
  constructor(readonly length: number) {}
  get bytes(): number {
    return this.length * 100;
  }
}
const fakeModel: DecoderModel = {
  emptyKv: () => new FakeKv(0),
  forward: async (ids, kv): Promise<ForwardResult> => ({ logits: [], kv: new FakeKv(kv.length + ids.length) }),
  truncate: (kv, length) => new FakeKv(Math.min(kv.length, length)),
  rollback: (kv, length) => new FakeKv(Math.min(kv.length, length)),
  dispose: async () => undefined,
};
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('PrefixKvCache', () => {
  it('returns the longest shared prefix, always leaving one token to run', () => {
    const cache = new PrefixKvCache(fakeModel, 100_000, 1_000, 4);
    cache.store(range(20), new FakeKv(20));
    assert.equal(cache.lookup([...range(12), 99, 98]).reused, 12);
    assert.equal(cache.lookup(range(20)).reused, 19, 'an identical prompt still runs its last token');
    assert.equal(cache.lookup([...range(3), 7]).reused, 0, 'matches shorter than the minimum are not reused');
    assert.equal(cache.lookup([5, 6, 7]).kv.length, 0);
  });

  it('picks the best of several entries and evicts the least recently used over its byte or position bound', () => {
    for (const [maxBytes, maxPositions] of [[5_000, 1_000], [1e9, 50]] as const) {
      const cache = new PrefixKvCache(fakeModel, maxBytes, maxPositions, 4);
      cache.store(range(20, 100), new FakeKv(20));
      cache.store(range(20, 200), new FakeKv(20));
      assert.equal(cache.lookup([...range(15, 200), 1]).reused, 15);
      assert.equal(cache.lookup([...range(10, 100), 1]).reused, 10);
      cache.store(range(20, 300), new FakeKv(20));
      // 6,000 bytes > 5,000 (60 positions > 50): the entry used least recently (200…) goes.
      assert.equal(cache.lookup([...range(15, 200), 1]).reused, 0);
      assert.equal(cache.lookup([...range(15, 100), 1]).reused, 15);
    }
  });

  it('replaces an entry that the new prompt extends, instead of evicting another for it', () => {
    const cache = new PrefixKvCache(fakeModel, 4_500, 1_000, 4);
    cache.store(range(10), new FakeKv(10));
    cache.store(range(20, 100), new FakeKv(20));
    assert.equal(cache.lookup([...range(9), 1]).reused, 9); // the 10-token entry is now the most recent
    cache.store(range(25), new FakeKv(25));
    // With the 10-token entry kept, 5,500 bytes would exceed the bound and evict the unrelated entry.
    assert.equal(cache.lookup([...range(15, 100), 1]).reused, 15);
    assert.equal(cache.lookup([...range(24), 5]).reused, 24);
  });

  it('keeps the newest entry even when it alone is over the bound', () => {
    const cache = new PrefixKvCache(fakeModel, 1_000, 1_000, 4);
    cache.store(range(5), new FakeKv(5));
    cache.store(range(30, 100), new FakeKv(30));
    assert.equal(cache.lookup([...range(5), 1]).reused, 0);
    assert.equal(cache.lookup([...range(29, 100), 1]).reused, 29);
  });
});

describe('prefix reuse in generation', () => {
  const tokenizer = TextTokenizer.fromDirectory(TARGET_DIR);
  let target: OrtDecoderModel;
  let draft: OrtDecoderModel;
  let config: ModelConfig;
  before(async () => {
    // The plain graphs, whose cache states are the tensors each pass returns: their bytes are what the bound counts.
    ({ target, draft, config } = await loadFixtureDecoders({ fuseAttention: false }));
  });
  after(async () => {
    await target.dispose();
    await draft.dispose();
  });

  it('counts a cache state\'s bytes from its tensors, and the cache keeps no more bytes than its bound', async () => {
    const ids = tokenizer.encode('def total(values):\n    result = 0\n    for value in values:\n        result += value\n');
    assert.ok(ids.length >= 18);
    const first = await target.forward(ids.slice(0, 10), target.emptyKv(), 1);
    const element = target.kvType === 'float16' ? 2 : 4;
    const perPosition = config.numLayers * 2 * config.numKeyValueHeads * config.headDim * element;
    assert.equal(first.kv.bytes, 10 * perPosition);
    assert.equal(target.truncate(first.kv, 4).bytes, 4 * perPosition);
    assert.equal(target.emptyKv().bytes, 0);

    const cache = new PrefixKvCache(target, 15 * perPosition, 1_000, 4);
    cache.store(ids.slice(0, 10), first.kv);
    assert.equal(cache.cachedLength(ids.slice(0, 11)), 10);
    const other = await target.forward(ids.slice(10, 18), target.emptyKv(), 1);
    cache.store(ids.slice(10, 18), other.kv);
    assert.equal(cache.cachedLength(ids.slice(0, 11)), 0, '10 + 8 positions are over the 15-position bound: the older state goes');
    assert.equal(cache.cachedLength(ids.slice(10, 19)), 8);
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
  it('answers a prompt asked again as it answered it, with no pass, greedy, speculative and with beams', async () => {
    const text = 'def total(values):\n    result = 0\n    for value in values:\n        result += value\n    return res';
    const promptIds = tokenizer.encode(text);
    for (const [speculation, beamWidth] of [['off', 1], ['auto', 1], ['off', 3]] as const) {
      let forwards = 0;
      const counted: DecoderModel = { ...target, emptyKv: () => target.emptyKv(), truncate: (kv, n) => target.truncate(kv, n), rollback: (kv, n) => target.rollback(kv, n), dispose: async () => undefined, forward: (ids, kv, keep) => (forwards++, target.forward(ids, kv, keep)), ...(target.batch && { batch: target.batch.bind(target) }) };
      const generator = new Generator({ model: counted, draft, tokenizer, eosTokenIds: config.eosTokenIds, maxContext: config.maxPositionEmbeddings });
      const request = { promptIds, maxNewTokens: 1, sampling: GREEDY, stopStrings: [], speculation, beamWidth };
      const first = await generator.generate(request);
      forwards = 0;
      const again = await generator.generate(request);
      assert.deepEqual(again.tokenIds, first.tokenIds, `${speculation}, width ${beamWidth}`);
      assert.equal(again.timings.cachedPromptTokens, promptIds.length, 'the whole prompt from the cache');
      assert.equal(forwards, 0, 'no pass for its first token');
    }
    const cache = new PrefixKvCache(fakeModel, 100_000, 1_000, 4);
    cache.store(range(20), new FakeKv(20), new Float32Array([1, 2]));
    const repeat = cache.repeat(range(20))!;
    repeat.logits[0] = 9;
    assert.deepEqual([...cache.repeat(range(20))!.logits], [1, 2], 'a copy: a constraint masks the row it is given');
    assert.equal(cache.repeat(range(19)), undefined, 'only the prompt stored exactly');
  });
});
