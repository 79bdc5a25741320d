// Speculative decoding on the fixtures: greedy output identical to target-only decoding for every drafter,
// KV rollback exercised by real rejections, the sampled output distributed as the target's, and aborts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DecoderModel } from '../../runtime/decoderModel';
import type { GenerateRequest, SamplingOptions, SpeculationMode } from '../../runtime/engine';
import { Generator } from '../../runtime/generator';
import { readModelConfig } from '../../runtime/modelConfig';
import type { OrtDecoderModel } from '../../runtime/ortBackend';
import { Sampler } from '../../runtime/sampler';
import { tokenLogProbs } from '../../runtime/tokenLogProbs';
import { TextTokenizer } from '../../runtime/tokenizer';
import { GREEDY, TARGET_DIR, loadFixtureDecoders } from './runtimeFixtures';

const tokenizer = TextTokenizer.fromDirectory(TARGET_DIR);
const config = readModelConfig(TARGET_DIR);
let target: OrtDecoderModel;
let draft: OrtDecoderModel;

/** Counts forward passes, so tests can see how much work a run did. */
class CountingModel implements DecoderModel {
  calls = 0;
  constructor(private readonly inner: DecoderModel) {}
  emptyKv() {
    return this.inner.emptyKv();
  }
  forward(...args: Parameters<DecoderModel['forward']>) {
    this.calls++;
    return this.inner.forward(...args);
  }
  truncate(...args: Parameters<DecoderModel['truncate']>) {
    return this.inner.truncate(...args);
  }
  rollback(...args: Parameters<DecoderModel['rollback']>) {
    return this.inner.rollback(...args);
  }
  dispose() {
    return Promise.resolve();
  }
}

const PROMPTS = [
  'def add(a, b):\n    return a + b\n\ndef sub(a, b):\n    return',
  'for (let i = 0; i < n; i++) {\n  total += values[i];\n}\nfor (let i = 0; i < n; i++) {\n',
  'import os\nimport sys\nimport json\n',
  'class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n',
  'export function clamp(value: number, min: number, max: number): number {\n  return',
  'x = [1, 2, 3, 1, 2, 3, 1, 2',
  'const a = 1;\nconst b = 2;\nconst c = 3;\nconst',
  'if __name__ == "__main__":\n    main()\n',
  '# utilities\n\n\ndef read(path):\n    with open(path) as f:\n        return f.read()\n\n\ndef write(path, text):\n',
  'SELECT id, name FROM users WHERE id = 1;\nSELECT id, name FROM users WHERE',
  'aaaa bbbb aaaa bbbb aaaa',
  'function f(x) { return x * x; }\nfunction g(x) { return',
];

const generator = (withDraft: DecoderModel | undefined, model: DecoderModel = target) =>
  new Generator({ model, draft: withDraft, tokenizer, eosTokenIds: config.eosTokenIds, maxContext: config.maxPositionEmbeddings });

const request = (prompt: string, speculation: SpeculationMode, sampling: SamplingOptions = GREEDY, maxNewTokens = 40): GenerateRequest => ({
  promptIds: tokenizer.encode(prompt),
  maxNewTokens,
  sampling,
  stopStrings: [],
  speculation,
});

before(async () => {
  ({ target, draft } = await loadFixtureDecoders());
});
after(async () => {
  await target.dispose();
  await draft.dispose();
});

describe('speculative decoding, greedy', () => {
  it('gives token-for-token the same output as target-only decoding, for every drafter', async () => {
    const totals = { lookup: 0, draft: 0, rejected: 0 };
    for (const prompt of PROMPTS) {
      const plain = await generator(undefined).generate(request(prompt, 'off'));
      for (const mode of ['lookup', 'draft', 'auto'] as const) {
        const r = await generator(draft).generate(request(prompt, mode));
        assert.deepEqual(r.tokenIds, plain.tokenIds, `${mode} differs on ${JSON.stringify(prompt)}`);
        assert.equal(r.text, plain.text);
        assert.equal(r.speculation?.mode, mode);
        totals.lookup += r.speculation!.byDrafter.lookup.drafted;
        totals.draft += r.speculation!.byDrafter.draft.drafted;
        totals.rejected += r.speculation!.drafted - r.speculation!.accepted;
      }
    }
    // The comparison means something only if both drafters drafted and rollbacks happened.
    assert.ok(totals.lookup > 20, `lookup drafted ${totals.lookup}`);
    assert.ok(totals.draft > 50, `draft drafted ${totals.draft}`);
    assert.ok(totals.rejected > 20, `rejected ${totals.rejected}`);
  });

  it('scores each token as the target scores the text, in plain and speculative decoding', async () => {
    for (const prompt of PROMPTS.slice(0, 6)) {
      const ids = tokenizer.encode(prompt);
      const plain = await generator(undefined).generate({ ...request(prompt, 'off'), scoreTokens: true });
      // The target reading prompt and answer in one pass: each answer token's log-probability given what precedes it.
      const reference = (await tokenLogProbs(target, config.maxPositionEmbeddings, [...ids, ...plain.tokenIds])).slice(ids.length);
      for (const mode of ['off', 'lookup', 'draft'] as const) {
        const r = mode === 'off' ? plain : await generator(draft).generate({ ...request(prompt, mode), scoreTokens: true });
        const scores = r.tokenScores!;
        assert.equal(scores.length, r.tokenIds.length, mode);
        scores.forEach((score, i) => {
          assert.ok(Math.abs(score.logProb - reference[i]!) < 0.05, `${mode} token ${i}: ${score.logProb} vs ${reference[i]}`);
          // A token ending inside a character (these random weights write byte pieces) ends with the character's last.
          const decoded = tokenizer.decode(r.tokenIds.slice(0, i + 1));
          if (!decoded.includes('\uFFFD')) assert.equal(score.textEnd, decoded.length, `${mode} token ${i}'s text end`);
        });
        assert.equal(scores.at(-1)?.textEnd, r.text.length, mode);
      }
    }
    assert.equal((await generator(draft).generate(request(PROMPTS[0], 'auto'))).tokenScores, undefined, 'only asked for');
  });

  it('accepts every draft when the draft model is the target itself, in fewer target passes', async () => {
    const counting = new CountingModel(target);
    const plainCounting = new CountingModel(target);
    for (const prompt of PROMPTS.slice(0, 4)) {
      const plain = await generator(undefined, plainCounting).generate(request(prompt, 'off'));
      const r = await generator(target, counting).generate(request(prompt, 'draft'));
      assert.deepEqual(r.tokenIds, plain.tokenIds);
      assert.ok(r.speculation!.drafted > 0);
      assert.equal(r.speculation!.accepted, r.speculation!.drafted, 'a draft identical to the target is always right');
    }
    assert.ok(counting.calls < plainCounting.calls / 2, `${counting.calls} target passes vs ${plainCounting.calls}`);
  });

  it('drafts as a new generator does once its speculation tuning is reset (after the warm-up)', async () => {
    // A draft model identical to the target is always right, so the tuned generator drafts longer than a new one.
    const trained = generator(target);
    for (const prompt of PROMPTS.slice(0, 3)) await trained.generate(request(prompt, 'draft'));
    const probe = request(PROMPTS[4], 'draft', GREEDY, 12);
    const fresh = (await generator(target).generate(probe)).speculation!;
    const tuned = (await trained.generate(probe)).speculation!;
    assert.ok(tuned.rounds < fresh.rounds, `tuned ${tuned.rounds} rounds, new ${fresh.rounds}: the tuning carried over`);
    trained.resetSpeculationTuning();
    const reset = (await trained.generate(probe)).speculation!;
    assert.deepEqual({ rounds: reset.rounds, drafted: reset.drafted }, { rounds: fresh.rounds, drafted: fresh.drafted });
  });

  it('stops within one step when aborted mid-generation', async () => {
    const counting = new CountingModel(target);
    const controller = new AbortController();
    let callsAtAbort = -1;
    const r = await generator(draft, counting).generate(request(PROMPTS[5], 'auto', GREEDY, 200), {
      signal: controller.signal,
      onText: () => {
        if (callsAtAbort < 0) {
          controller.abort();
          callsAtAbort = counting.calls;
        }
      },
    });
    assert.equal(r.stopReason, 'aborted');
    assert.ok(counting.calls - callsAtAbort <= 1, `${counting.calls - callsAtAbort} target passes after the abort`);
  });
});

describe('speculative decoding, sampled', () => {
  it('draws the first two tokens from the target distribution (chi-square against the exact joint)', async () => {
    const sampling: SamplingOptions = { temperature: 0.8, topK: 4, topP: 1, seed: 0 };
    const prompt = PROMPTS[0];
    const ids = tokenizer.encode(prompt);
    // Exact joint distribution of (x1, x2) under the target with the same processing as sampling.
    const processing = new Sampler(sampling);
    const first = await target.forward(ids, target.emptyKv(), 1);
    const p1 = processing.distribution(first.logits[0]);
    const joint = new Map<string, number>();
    for (let a = 0; a < p1.length; a++) {
      if (p1[a] === 0) continue;
      const second = await target.forward([a], first.kv, 1);
      const p2 = processing.distribution(second.logits[0]);
      for (let b = 0; b < p2.length; b++) if (p2[b] > 0) joint.set(`${a},${b}`, p1[a] * p2[b]);
    }
    const trials = 1500;
    const counts = new Map<string, number>();
    let drafted = 0;
    for (let seed = 1; seed <= trials; seed++) {
      // Three tokens, so the advance after the first one has room to draft the second.
      const r = await generator(draft).generate(request(prompt, 'draft', { ...sampling, seed }, 3));
      drafted += r.speculation!.drafted;
      const key = r.tokenIds.slice(0, 2).join(',');
      assert.ok(joint.has(key), `sampled ${key}, which the target never produces`);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    assert.ok(drafted > trials / 2, 'the second token must go through speculative verification');
    // Pool cells with small expected counts so the chi-square approximation holds.
    let chi = 0;
    let cells = 0;
    let pooledObserved = 0;
    let pooledExpected = 0;
    for (const [key, p] of joint) {
      const expected = p * trials;
      const observed = counts.get(key) ?? 0;
      if (expected < 5) {
        pooledObserved += observed;
        pooledExpected += expected;
        continue;
      }
      chi += (observed - expected) ** 2 / expected;
      cells++;
    }
    if (pooledExpected > 0) {
      chi += (pooledObserved - pooledExpected) ** 2 / pooledExpected;
      cells++;
    }
    // 0.999 quantile of chi-square: df + 3.1 * sqrt(2 df) + 3 bounds it for df up to 16 (the cells here).
    const bound = cells - 1 + 3.1 * Math.sqrt(2 * (cells - 1)) + 3;
    assert.ok(chi < bound, `chi-square ${chi.toFixed(1)} over ${cells} cells exceeds ${bound.toFixed(1)}`);
  });
});
