// Beam search on a scripted model (pure, no ONNX): it answers the most likely whole line where greedy decoding
// follows the most likely first token into a less likely line, never answers an empty line while another
// finishes, honours the healed prefix, and stops when aborted; the generator searches beams on cold and cached
// prompts alike, and decodes greedily at width 1. A model that batches continuations gives the same answers in one
// pass per step.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { beamSearch, topK } from '../../runtime/beamSearch';
import { logNormalizer } from '../../runtime/logSumExp';
import type { DecoderModel, ForwardResult, KvBatch, KvState } from '../../runtime/decoderModel';
import { Generator } from '../../runtime/generator';
import { TokenTexts } from '../../runtime/tokenHealing';
import { StreamingDecoder } from '../../runtime/tokenizer';
import { GREEDY_SAMPLING as GREEDY } from '../../runtime/engine';

const VOCAB = ['a', 'b', 'c', '\n', '<eos>', 'x', '\uFFFD'];
const EOS = 4;

class ScriptedKv implements KvState {
  constructor(readonly ids: readonly number[]) {}
  get length(): number {
    return this.ids.length;
  }
  get bytes(): number {
    return this.ids.length;
  }
}

/** Next-token probabilities keyed by the text generated after the prompt (`promptLength` tokens, `x` by default). */
class ScriptedModel implements DecoderModel {
  forwards = 0;
  constructor(
    private readonly next: Record<string, Record<string, number>>,
    private readonly promptLength = 1,
  ) {}
  emptyKv(): KvState {
    return new ScriptedKv([]);
  }
  async forward(ids: readonly number[], kv: KvState, numLogitsToKeep: number): Promise<ForwardResult> {
    this.forwards++;
    const all = [...(kv as ScriptedKv).ids, ...ids];
    const generated = all.slice(this.promptLength).map((id) => VOCAB[id]).join('');
    const probs = this.next[generated] ?? { '\n': 1 };
    const row = new Float32Array(VOCAB.length).fill(-Infinity);
    for (const [token, p] of Object.entries(probs)) row[VOCAB.indexOf(token)] = Math.log(p);
    assert.ok(numLogitsToKeep === 1 || ids.length === 1);
    return { logits: [row], kv: new ScriptedKv(all) };
  }
  truncate(kv: KvState, length: number): KvState {
    return new ScriptedKv((kv as ScriptedKv).ids.slice(0, length));
  }
  rollback(kv: KvState, length: number): KvState {
    return this.truncate(kv, length);
  }
  async dispose(): Promise<void> {}
}

/** The scripted model with a batch: a row's cache is the ids it has continued; one pass per step for every row. */
class BatchingScriptedModel extends ScriptedModel {
  batchPasses = 0;
  passRows: number[] = [];
  batch(kv: KvState, rows: number): KvBatch {
    let held: (readonly number[])[] = [(kv as ScriptedKv).ids];
    return {
      step: async (parents, ids) => {
        assert.ok(ids.length <= rows && parents.every((p) => p < held.length));
        this.batchPasses++;
        this.passRows.push(ids.length);
        held = parents.map((p, r) => [...held[p]!, ids[r]!]);
        const logits: Float32Array[] = [];
        for (const all of held) logits.push((await this.forward(all.slice(-1), new ScriptedKv(all.slice(0, -1)), 1)).logits[0]!);
        return logits;
      },
    };
  }
}

function deps(model: DecoderModel) {
  return {
    model,
    texts: new TokenTexts(VOCAB),
    decode: (ids: readonly number[]) => ids.map((id) => (id === EOS ? '' : VOCAB[id])).join(''),
    eosTokenIds: [EOS],
    now: () => 0,
  };
}

// Greedy takes `a` (0.5), then `b` or `c` (0.5 each): the line `ab` has probability 0.25. The line `b` has 0.4.
const FORK = { '': { a: 0.5, b: 0.4, c: 0.1 }, a: { b: 0.5, c: 0.5 }, b: { '\n': 1 }, ab: { '\n': 1 }, ac: { '\n': 1 } };
const LINE = { promptIds: [VOCAB.indexOf('x')], maxNewTokens: 8, stopStrings: ['\n'] };

describe('beamSearch', () => {
  it('answers the most likely whole line, where width 1 is greedy', async () => {
    const greedy = await beamSearch(deps(new ScriptedModel(FORK)), { ...LINE, width: 1 });
    assert.equal(greedy.text, 'ab');
    const beams = await beamSearch(deps(new ScriptedModel(FORK)), { ...LINE, width: 3 });
    assert.equal(beams.text, 'b');
    assert.equal(beams.stopReason, 'stop');
    assert.deepEqual(beams.tokenIds, [VOCAB.indexOf('b'), VOCAB.indexOf('\n')]);
  });

  it('keeps the other finished lines as runners-up, likeliest first, never the answer or an empty line', async () => {
    const three = { '': { a: 0.4, b: 0.25, c: 0.2, '\n': 0.15 }, a: { '\n': 1 }, b: { '\n': 1 }, c: { '\n': 1 } };
    const beams = await beamSearch(deps(new ScriptedModel(three)), { ...LINE, width: 3 });
    assert.equal(beams.text, 'a');
    assert.deepEqual(beams.alternatives, ['b', 'c']);
    // Lines still being written when the answer won are no runners-up.
    assert.deepEqual((await beamSearch(deps(new ScriptedModel(FORK)), { ...LINE, width: 3 })).alternatives, []);
    assert.deepEqual((await beamSearch(deps(new ScriptedModel(three)), { ...LINE, width: 1 })).alternatives, []);
    // A line the token cap cut before its end (`bc`, 2 tokens of `bcc`) is no runner-up.
    const capped = { '': { a: 0.4, b: 0.35, c: 0.25 }, a: { '\n': 1 }, b: { c: 1 }, bc: { c: 1 }, c: { '\n': 1 } };
    const cut = await beamSearch(deps(new ScriptedModel(capped)), { ...LINE, maxNewTokens: 2, width: 3 });
    assert.equal(cut.text, 'a');
    assert.deepEqual(cut.alternatives, ['c']);
  });

  it('does not expand continuations far below the best, so a confident line costs what greedy costs', async () => {
    const confident = { '': { a: 0.98, b: 0.01, c: 0.01 }, a: { b: 0.99, c: 0.01 }, ab: { '\n': 1 } };
    const greedyModel = new ScriptedModel(confident);
    await beamSearch(deps(greedyModel), { ...LINE, width: 1 });
    const beamModel = new ScriptedModel(confident);
    assert.equal((await beamSearch(deps(beamModel), { ...LINE, width: 3 })).text, 'ab');
    assert.equal(beamModel.forwards, greedyModel.forwards);
  });

  it('never answers an empty line while another line finishes, however likely the empty one is', async () => {
    const model = new ScriptedModel({ '': { '<eos>': 0.6, c: 0.4 }, c: { '\n': 1 } });
    assert.equal((await beamSearch(deps(model), { ...LINE, width: 2 })).text, 'c');
    // Ending at once is 2.2 nats above `c`: it must not set the pruning floor either.
    const unlikely = new ScriptedModel({ '': { '<eos>': 0.9, c: 0.1 }, c: { '\n': 1 } });
    assert.equal((await beamSearch(deps(unlikely), { ...LINE, width: 2 })).text, 'c');
  });

  it('does not show the replacement character of a character cut by the token budget', async () => {
    const model = new ScriptedModel({ '': { a: 1 }, a: { '\uFFFD': 1 } });
    const out = await beamSearch(deps(model), { ...LINE, maxNewTokens: 2, width: 2 });
    assert.equal(out.stopReason, 'length');
    assert.equal(out.text, 'a');
  });

  it('leaves out bytes that are no character when later text follows them, and goes on', async () => {
    const model = new ScriptedModel({ '': { a: 1 }, a: { '\uFFFD': 1 }, 'a\uFFFD': { b: 1 }, 'a\uFFFDb': { '\n': 1 } });
    const out = await beamSearch(deps(model), { ...LINE, width: 2 });
    assert.equal(out.stopReason, 'stop');
    assert.equal(out.text, 'ab');
    const decode = (ids: readonly number[]) => ids.map((id) => (id === EOS ? '' : VOCAB[id])).join('');
    const greedy = new Generator({ model, tokenizer: { streamingDecoder: () => new StreamingDecoder(decode), decode, vocabSize: VOCAB.length }, eosTokenIds: [EOS], maxContext: 64 });
    const chunks: string[] = [];
    const plain = await greedy.generate({ promptIds: [VOCAB.indexOf('x')], maxNewTokens: 8, sampling: GREEDY, stopStrings: ['\n'], speculation: 'off' }, { onText: (t) => chunks.push(t) });
    assert.equal(plain.stopReason, 'stop');
    assert.equal(plain.text, 'ab');
    assert.equal(chunks.join(''), 'ab');
  });

  it('ignores empty stop strings and rounds a fractional width down', async () => {
    const out = await beamSearch(deps(new ScriptedModel(FORK)), { ...LINE, stopStrings: ['', '\n'], width: 3.7 });
    assert.equal(out.text, 'b');
  });

  it('writes the healed prefix first and returns only what follows it', async () => {
    // Without the constraint `a` would win; the healed text is `b`.
    const model = new ScriptedModel({ '': { a: 0.9, b: 0.1 }, b: { c: 0.7, a: 0.3 }, bc: { '\n': 1 }, ba: { '\n': 1 } });
    const out = await beamSearch(deps(model), { ...LINE, width: 2, requiredPrefix: 'b' });
    assert.equal(out.text, 'c');
  });

  it('stops with what it has when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const model = new ScriptedModel(FORK);
    const out = await beamSearch(deps(model), { ...LINE, width: 3 }, controller.signal);
    assert.equal(out.stopReason, 'aborted');
    assert.equal(model.forwards, 0, 'a request aborted while it waited does not pay for its prompt');
  });

  it('gives the same answers in one batched pass per step where the model batches continuations', async () => {
    const scripts = [
      FORK,
      { '': { a: 0.4, b: 0.35, c: 0.25 }, a: { b: 0.6, '\n': 0.4 }, b: { c: 0.5, a: 0.5 }, c: { a: 1 }, ab: { '\n': 1 }, ba: { c: 1 }, bc: { '\n': 1 }, ca: { '\n': 1 }, bac: { '\n': 1 } },
    ];
    for (const script of scripts) {
      for (const width of [2, 3]) {
        const plain = await beamSearch(deps(new ScriptedModel(script)), { ...LINE, width });
        const model = new BatchingScriptedModel(script);
        const batched = await beamSearch(deps(model), { ...LINE, width });
        assert.deepEqual({ text: batched.text, ids: batched.tokenIds, stop: batched.stopReason }, { text: plain.text, ids: plain.tokenIds, stop: plain.stopReason });
        assert.ok(model.passRows.some((n) => n > 1), 'some step ran several continuations in its one pass');
        assert.equal(model.forwards, 1 + model.passRows.reduce((a, b) => a + b, 0), 'the prompt, then only batched passes');
      }
    }
    // A line pruned to one continuation at every step never needs the batch (nor its memory).
    const confident = new BatchingScriptedModel({ '': { a: 0.98, b: 0.01, c: 0.01 }, a: { b: 0.99, c: 0.01 }, ab: { '\n': 1 } });
    assert.equal((await beamSearch(deps(confident), { ...LINE, width: 3 })).text, 'ab');
    assert.equal(confident.batchPasses, 0);
    // One continuation first, then several: the batch starts from the cache the single pass made.
    const late = { '': { a: 1 }, a: { b: 0.5, c: 0.5 }, ab: { '\n': 0.6, c: 0.4 }, ac: { '\n': 1 }, abc: { '\n': 1 } };
    const plain = await beamSearch(deps(new ScriptedModel(late)), { ...LINE, width: 2 });
    const lateModel = new BatchingScriptedModel(late);
    const batched = await beamSearch(deps(lateModel), { ...LINE, width: 2 });
    assert.deepEqual(batched.tokenIds, plain.tokenIds);
    assert.ok(lateModel.batchPasses > 0 && lateModel.forwards === 2 + lateModel.passRows.reduce((a, b) => a + b, 0), 'the prompt and one single pass, then batched passes');
  });

  it('logNormalizer turns logits into log-probabilities and topK returns a row\'s k best entries', () => {
    const row = Float32Array.from([-Infinity, Math.log(2), Math.log(5), -Infinity, Math.log(3)]);
    const logZ = logNormalizer(row);
    assert.ok(Math.abs(logZ - Math.log(10)) < 1e-6);
    const top = topK(row, 2);
    assert.deepEqual(top.map((t) => t.id), [2, 4]);
    assert.ok(Math.abs(top[0]!.value - logZ - Math.log(0.5)) < 1e-6);
    // A row with nothing possible has no entries (logSumExp.test.ts checks the normaliser's edge cases).
    assert.deepEqual(topK(new Float32Array(3).fill(-Infinity), 2), []);
    // Ties keep the lower id first; fewer possible entries than k gives those; k of 0 gives none.
    assert.deepEqual(topK(Float32Array.from([1, 3, 3, 2]), 2).map((t) => t.id), [1, 2]);
    assert.deepEqual(topK(Float32Array.from([-Infinity, 4, -Infinity]), 3).map((t) => t.id), [1]);
    assert.deepEqual(topK(Float32Array.from([1, 2]), 0), []);
  });
});

describe('decoding time limit', () => {
  // `a` is likelier at every step and never ends; `b` ends at once. Each pass takes 10 ms on the clock.
  const ENDLESS = { '': { a: 0.6, b: 0.4 }, b: { '\n': 1 }, ...Object.fromEntries(Array.from({ length: 8 }, (_, n) => ['a'.repeat(n + 1), { a: 1 }])) };
  class TimedModel extends ScriptedModel {
    clock = 0;
    override async forward(ids: readonly number[], kv: KvState, numLogitsToKeep: number): Promise<ForwardResult> {
      this.clock += 10;
      return super.forward(ids, kv, numLogitsToKeep);
    }
  }
  const timed = (model: TimedModel) => ({ ...deps(model), now: () => model.clock });

  it('answers the likeliest finished line when beam search runs out of time', async () => {
    const unlimited = await beamSearch(timed(new TimedModel(ENDLESS)), { ...LINE, width: 2 });
    assert.equal(unlimited.text, 'aaaaaaaa');
    const model = new TimedModel(ENDLESS);
    const limited = await beamSearch(timed(model), { ...LINE, width: 2, maxDecodeMs: 35 });
    assert.equal(limited.text, 'b');
    assert.equal(limited.stopReason, 'stop', 'a whole line, not a cut one');
    assert.equal(limited.timeLimited, true, 'still reported as ended by the limit');
    assert.equal(unlimited.timeLimited, false);
    assert.ok(model.clock < 80, `stopped after ${model.clock / 10} passes`);
  });

  it('answers its leading line so far when no line has finished', async () => {
    const model = new TimedModel({ ...ENDLESS, '': { a: 1 } });
    const limited = await beamSearch(timed(model), { ...LINE, width: 2, maxDecodeMs: 25 });
    assert.equal(limited.stopReason, 'time');
    assert.equal(limited.timeLimited, true);
    assert.equal(limited.text, 'aaa');
  });

  it('stops greedy decoding once the time after the first token is spent, with what it has', async () => {
    const model = new TimedModel(ENDLESS, 12);
    const decode = (ids: readonly number[]) => ids.map((id) => (id === EOS ? '' : VOCAB[id])).join('');
    const gen = new Generator({ model, tokenizer: { streamingDecoder: () => new StreamingDecoder(decode), decode, vocabSize: VOCAB.length }, eosTokenIds: [EOS], maxContext: 64, now: () => model.clock });
    const request = { promptIds: new Array<number>(12).fill(VOCAB.indexOf('x')), maxNewTokens: 8, sampling: GREEDY, stopStrings: ['\n'], speculation: 'off' as const };
    assert.equal((await gen.generate(request)).stopReason, 'length');
    gen.clearPrefixCache();
    const limited = await gen.generate({ ...request, maxDecodeMs: 30 });
    assert.equal(limited.stopReason, 'time');
    assert.equal(limited.timeLimited, true);
    // The first token comes with the prompt's pass; three more passes fit in 30 ms.
    assert.equal(limited.text, 'aaaa');
    await assert.rejects(gen.generate({ ...request, maxDecodeMs: 0 }), /maxDecodeMs must be a positive number/);
  });
});

describe('Generator with beams', () => {
  const PROMPT = new Array<number>(12).fill(VOCAB.indexOf('x'));
  const generator = (model: DecoderModel) => {
    const decode = (ids: readonly number[]) => ids.map((id) => (id === EOS ? '' : VOCAB[id])).join('');
    const tokenizer = { streamingDecoder: () => new StreamingDecoder(decode), decode, vocabSize: VOCAB.length };
    return new Generator({ model, tokenizer, eosTokenIds: [EOS], maxContext: 64 });
  };
  const request = { promptIds: PROMPT, maxNewTokens: 8, sampling: GREEDY, stopStrings: ['\n'], beamWidth: 3 };

  it('searches beams on a cold prompt and again on the same prompt from the prefix cache', async () => {
    const gen = generator(new ScriptedModel(FORK, PROMPT.length));
    assert.equal((await gen.generate(request)).text, 'b', 'all 12 prompt tokens need a pass');
    const warm = await gen.generate(request);
    assert.ok((warm.timings.cachedPromptTokens ?? 0) >= 8);
    assert.equal(warm.text, 'b');
  });

  it('decodes greedily with a width of 1', async () => {
    assert.equal((await generator(new ScriptedModel(FORK, PROMPT.length)).generate({ ...request, beamWidth: 1 })).text, 'ab');
  });
});
