// LocalEngine and Generator on the fixture: greedy/sampling determinism, stop rules, abort, and every load error.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DecoderModel } from '../../runtime/decoderModel';
import type { EngineLoadOptions, GenerateRequest } from '../../runtime/engine';
import {
  InferenceFailedError,
  ModelFileCorruptError,
  ModelNotFoundError,
  ModelNotReadyError,
  ModelSignatureError,
  PromptTooLongError,
  TokenizerMismatchError,
} from '../../runtime/errors';
import { Generator } from '../../runtime/generator';
import { LocalEngine } from '../../runtime/localEngine';
import { WARM_UP_NEW_TOKENS, warmUpPromptIds, warmUpRequests } from '../../runtime/memoryWarmUp';
import { readModelConfig } from '../../runtime/modelConfig';
import { OrtDecoderModel } from '../../runtime/ortBackend';
import { TextTokenizer } from '../../runtime/tokenizer';
import { copyFixture, DRAFT_DIR, GREEDY, reference, TARGET_DIR } from './runtimeFixtures';

const LOAD: EngineLoadOptions = { modelDir: TARGET_DIR, quantization: 'auto', threads: 2 };
const request = (over: Partial<GenerateRequest> = {}): GenerateRequest => ({
  promptIds: reference.promptIds,
  maxNewTokens: 24,
  sampling: GREEDY,
  stopStrings: [],
  ...over,
});

describe('LocalEngine', () => {
  const engine = new LocalEngine();
  before(() => engine.load({ ...LOAD, draftDir: DRAFT_DIR }));
  after(() => engine.dispose());

  it('reports the model it loaded', async () => {
    const info = await engine.load({ ...LOAD, draftDir: DRAFT_DIR });
    assert.equal(info.name, 'tiny-llama');
    assert.equal(info.onnxFile, 'onnx/model.onnx');
    assert.equal(info.quantization, 'fp32');
    assert.equal(info.vocabSize, 662);
    assert.equal(info.maxContext, 512);
    assert.deepEqual(info.eosTokenIds, [656]);
    assert.deepEqual(info.fim, { prefix: 657, suffix: 659, middle: 658, fileSeparator: 661 });
    assert.deepEqual(info.draft, { name: 'tiny-llama-draft', onnxFile: 'onnx/model.onnx' });
  });

  it('greedy decoding reproduces PyTorch and is deterministic', async () => {
    const deltas: string[] = [];
    const a = await engine.generate(request(), { onText: (d) => deltas.push(d) });
    const b = await engine.generate(request());
    assert.deepEqual(a.tokenIds.slice(0, reference.greedy.length), reference.greedy);
    assert.deepEqual(a.tokenIds, b.tokenIds);
    assert.equal(a.text, b.text);
    assert.equal(deltas.join(''), a.text);
    assert.equal(a.stopReason, 'length');
    assert.equal(a.tokenIds.length, 24);
    const t = a.timings;
    assert.equal(t.promptTokens, reference.promptIds.length);
    assert.equal(t.generatedTokens, 24);
    assert.ok(t.prefillMs > 0 && t.firstTokenMs >= t.prefillMs && t.totalMs >= t.firstTokenMs && t.decodeTokensPerSecond > 0);
  });

  it('sampling is deterministic for a seed; seeds differ; top-k 1 equals greedy', async () => {
    const sampling = { temperature: 1, topK: 0, topP: 1, seed: 11 };
    const a = await engine.generate(request({ sampling }));
    const b = await engine.generate(request({ sampling }));
    const c = await engine.generate(request({ sampling: { ...sampling, seed: 12 } }));
    assert.deepEqual(a.tokenIds, b.tokenIds);
    assert.notDeepEqual(a.tokenIds, c.tokenIds);
    const greedy = await engine.generate(request());
    const topK1 = await engine.generate(request({ sampling: { temperature: 0.8, topK: 1, topP: 1, seed: 5 } }));
    assert.deepEqual(topK1.tokenIds, greedy.tokenIds);
  });

  it('stops before a stop string and trims it from the text and the stream', async () => {
    const free = await engine.generate(request());
    const stop = free.text.slice(10, 14);
    const cut = free.text.indexOf(stop);
    const deltas: string[] = [];
    const r = await engine.generate(request({ stopStrings: ['@@never@@', stop] }), { onText: (d) => deltas.push(d) });
    assert.equal(r.stopReason, 'stop');
    assert.equal(r.text, free.text.slice(0, cut));
    assert.equal(deltas.join(''), r.text);
    assert.ok(r.tokenIds.length < free.tokenIds.length);
  });

  it('aborts: an already-aborted signal runs no step, an abort mid-run stops it', async () => {
    const r0 = await engine.generate(request(), { signal: AbortSignal.abort() });
    assert.equal(r0.stopReason, 'aborted');
    assert.deepEqual(r0.tokenIds, []);
    const controller = new AbortController();
    let seen = 0;
    const r = await engine.generate(request({ maxNewTokens: 200 }), {
      signal: controller.signal,
      onText: () => {
        if (++seen === 3) controller.abort();
      },
    });
    assert.equal(r.stopReason, 'aborted');
    assert.equal(seen, 3);
    assert.ok(r.tokenIds.length < 200);
  });

  it('rejects a prompt longer than the context', async () => {
    await assert.rejects(engine.generate(request({ promptIds: new Array(600).fill(5) })), PromptTooLongError);
  });

  it('rejects ids outside the vocabulary, a budget that is not a number and a beam width that is not whole', async () => {
    const cases: [Partial<GenerateRequest>, RegExp][] = [
      [{ promptIds: [5, -1] }, /-1, which is not a token id/],
      [{ promptIds: [5, 1e9] }, /1000000000, which is not a token id/],
      [{ promptIds: [5, 2.5] }, /2\.5, which is not a token id/],
      [{ maxNewTokens: Number.NaN }, /maxNewTokens must be a number/],
      [{ beamWidth: 1.5 }, /beamWidth must be a whole number/],
    ];
    for (const [over, pattern] of cases) {
      await assert.rejects(engine.generate(request(over)), (e: Error) => e instanceof InferenceFailedError && pattern.test(e.message));
    }
    const result = await engine.generate(request({ maxNewTokens: 2.5 }));
    assert.ok(result.tokenIds.length <= 2, 'a fractional budget rounds down');
  });
});

describe('warm-up after a load', () => {
  const shape = { promptTokens: 300, beamWidth: 3 };

  it('asks for the caller\'s prompt size, cut to the context, from ids the vocabulary has, repeating', () => {
    const ids = warmUpPromptIds(shape, 512, 662);
    assert.equal(ids.length, 300);
    assert.ok(ids.every((id) => Number.isInteger(id) && id >= 0 && id < 662));
    assert.ok(new Set(ids).size < 100, 'a repeating prompt, so prompt lookup drafts');
    assert.equal(warmUpPromptIds({ ...shape, promptTokens: 4096 }, 512, 662).length, 512 - WARM_UP_NEW_TOKENS - 1);
    const [beams, greedy] = warmUpRequests(shape, 512, 662);
    assert.equal(beams!.beamWidth, 3);
    assert.equal(greedy!.speculation, 'auto');
    assert.deepEqual(warmUpRequests({ ...shape, beamWidth: 1 }, 512, 662).map((r) => r.beamWidth), [undefined]);
  });

  it('a request right after the load gets the same tokens as without it', async () => {
    const plain = new LocalEngine();
    const warmed = new LocalEngine();
    try {
      await plain.load({ ...LOAD, draftDir: DRAFT_DIR });
      await warmed.load({ ...LOAD, draftDir: DRAFT_DIR, warmUp: shape });
      const [a, b] = [await plain.generate(request()), await warmed.generate(request())];
      assert.deepEqual(b.tokenIds, a.tokenIds);
      assert.deepEqual(a.tokenIds.slice(0, reference.greedy.length), reference.greedy);
    } finally {
      await Promise.all([plain.dispose(), warmed.dispose()]);
    }
  });

  it('leaves nothing in the prefix cache once it has run', async () => {
    const engine = new LocalEngine();
    try {
      await engine.load({ ...LOAD, draftDir: DRAFT_DIR, warmUp: shape });
      await engine.idle();
      const r = await engine.generate(request({ promptIds: warmUpPromptIds(shape, 512, 662), maxNewTokens: 2 }));
      assert.equal(r.timings.cachedPromptTokens, 0);
    } finally {
      await engine.dispose();
    }
  });
});

describe('Generator', () => {
  let model: OrtDecoderModel;
  const tokenizer = TextTokenizer.fromDirectory(TARGET_DIR);
  before(async () => {
    model = await OrtDecoderModel.create(join(TARGET_DIR, 'onnx', 'model.onnx'), readModelConfig(TARGET_DIR), 2);
  });
  after(() => model.dispose());

  it('an abort stops within one step', async () => {
    const controller = new AbortController();
    let steps = 0;
    let stepsAfterAbort = 0;
    const counting: DecoderModel = {
      emptyKv: () => model.emptyKv(),
      truncate: (kv, n) => model.truncate(kv, n),
      rollback: (kv, n) => model.rollback(kv, n),
      dispose: async () => {},
      forward: async (ids, kv, keep) => {
        if (controller.signal.aborted) stepsAfterAbort++;
        if (++steps === 4) controller.abort();
        return model.forward(ids, kv, keep);
      },
    };
    const generator = new Generator({ model: counting, tokenizer, eosTokenIds: [], maxContext: 512 });
    const r = await generator.generate(request({ maxNewTokens: 100 }), { signal: controller.signal });
    assert.equal(r.stopReason, 'aborted');
    assert.equal(stepsAfterAbort, 0);
    assert.equal(r.tokenIds.length, 4);
  });

  it('stops at EOS without returning it, and at the token budget', async () => {
    const eos = reference.greedy[3];
    const generator = new Generator({ model, tokenizer, eosTokenIds: [eos], maxContext: 512 });
    const r = await generator.generate(request());
    assert.equal(r.stopReason, 'eos');
    assert.deepEqual(r.tokenIds, reference.greedy.slice(0, 3));
    const short = await new Generator({ model, tokenizer, eosTokenIds: [], maxContext: 512 }).generate(request({ maxNewTokens: 2 }));
    assert.equal(short.stopReason, 'length');
    assert.deepEqual(short.tokenIds, reference.greedy.slice(0, 2));
    const capped = await new Generator({ model, tokenizer, eosTokenIds: [], maxContext: reference.promptIds.length + 3 }).generate(request());
    assert.equal(capped.tokenIds.length, 3);
  });
});

describe('load errors', () => {
  const load = (over: Partial<EngineLoadOptions>) => {
    const engine = new LocalEngine();
    return engine.load({ ...LOAD, ...over }).finally(() => engine.dispose());
  };
  const withCopy = async (edit: (dir: string) => void, expected: new (...args: never[]) => Error, over: Partial<EngineLoadOptions> = {}) => {
    const { dir, cleanup } = copyFixture();
    try {
      edit(dir);
      await assert.rejects(load({ modelDir: dir, ...over }), (e: Error) => {
        assert.ok(e instanceof expected, `${e.name}: ${e.message}`);
        return true;
      });
    } finally {
      cleanup();
    }
  };
  const editJson = (path: string, edit: (json: Record<string, unknown>) => void) => {
    const json = JSON.parse(readFileSync(path, 'utf8'));
    edit(json);
    writeFileSync(path, JSON.stringify(json));
  };

  it('generate before load is ModelNotReadyError', async () => {
    await assert.rejects(new LocalEngine().generate(request()), ModelNotReadyError);
  });
  it('generate while a dispose waits for the running generation is ModelNotReadyError, and that generation finishes', async () => {
    const engine = new LocalEngine();
    await engine.load(LOAD);
    const running = engine.generate(request({ maxNewTokens: 16 }));
    const disposed = engine.dispose();
    await new Promise((resolve) => setImmediate(resolve));
    await assert.rejects(engine.generate(request()), ModelNotReadyError);
    assert.equal((await running).tokenIds.length, 16);
    await disposed;
  });
  it('missing directory, or a file given as one: the message names the directory, not a file in it', async () => {
    await assert.rejects(load({ modelDir: join(TARGET_DIR, 'nope') }), (e: Error) => e instanceof ModelNotFoundError && /^The model directory .*nope does not exist\.$/.test(e.message));
    await assert.rejects(load({ modelDir: join(TARGET_DIR, 'config.json') }), (e: Error) => e instanceof ModelNotFoundError && /config\.json is a file, not a model directory/.test(e.message));
  });
  it('missing tokenizer.json', () => withCopy((d) => rmSync(join(d, 'tokenizer.json')), ModelNotFoundError));
  it('missing config.json', () => withCopy((d) => rmSync(join(d, 'config.json')), ModelNotFoundError));
  it('missing ONNX file', () => withCopy((d) => rmSync(join(d, 'onnx'), { recursive: true }), ModelNotFoundError));
  it('requested quantization not present', () => withCopy(() => {}, ModelNotFoundError, { quantization: 'int8' }));
  it('Git LFS pointer instead of the ONNX file', () =>
    withCopy(
      (d) =>
        writeFileSync(
          join(d, 'onnx', 'model.onnx'),
          'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 686352\n',
        ),
      ModelFileCorruptError,
    ));
  it('truncated ONNX file', () =>
    withCopy((d) => {
      const onnx = join(d, 'onnx', 'model.onnx');
      truncateSync(onnx, Math.floor(statSync(onnx).size / 2));
    }, ModelFileCorruptError));
  it('missing external data', () =>
    withCopy((d) => writeFileSync(join(d, 'onnx', 'model.onnx'), Buffer.concat([readFileSync(join(TARGET_DIR, 'onnx', 'model.onnx')), Buffer.from([0x0a, 0x08, ...Buffer.from('location'), 0x12, 4, ...Buffer.from('w.db')])])), ModelFileCorruptError));
  it('config.json with the wrong num_key_value_heads', () =>
    withCopy((d) => editJson(join(d, 'config.json'), (c) => (c.num_key_value_heads = 4)), ModelSignatureError));
  it('config.json with the wrong num_hidden_layers', () =>
    withCopy((d) => editJson(join(d, 'config.json'), (c) => (c.num_hidden_layers = 3)), ModelSignatureError));
  it('tokenizer vocabulary bigger than the logits', () =>
    withCopy(
      (d) =>
        editJson(join(d, 'tokenizer.json'), (t) =>
          (t.added_tokens as object[]).push({ id: 700, content: '<|extra|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }),
        ),
      TokenizerMismatchError,
    ));
  it('draft with a different tokenizer, or missing: the model loads without it and says why, naming the draft', async () => {
    const { dir, cleanup } = copyFixture(DRAFT_DIR);
    try {
      editJson(join(dir, 'tokenizer.json'), (t) => ((t.model as { merges: unknown[] }).merges.length -= 1));
      const info = await load({ draftDir: dir });
      assert.equal(info.draft, undefined);
      assert.match(info.draftProblem ?? '', new RegExp(`^The draft model in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was not loaded.*different tokenizer\\.json`));
      const missing = await load({ draftDir: join(dir, 'nope') });
      assert.equal(missing.draft, undefined);
      assert.match(missing.draftProblem ?? '', /nope was not loaded, so speculation drafts by prompt lookup alone: .+\. \S/);
    } finally {
      cleanup();
    }
  });
});
