// Pure runtime logic: sampler, stop rules, config parsing, signature checks, error mapping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  asSentence,
  fromSerializedError,
  InferenceFailedError,
  LocusError,
  ModelConfigError,
  ModelFileCorruptError,
  ModelLoadFailedError,
  ModelNotFoundError,
  ModelSignatureError,
  OutOfMemoryError,
  TokenizerMismatchError,
  toLocusError,
} from '../../runtime/errors';
import { sameTokenizer } from '../../runtime/localEngine';
import { parseModelConfig, type ModelConfig } from '../../runtime/modelConfig';
import { externalDataLocations } from '../../runtime/modelFiles';
import { logitsAsFloat32 } from '../../runtime/ortBackend';
import { argmax, Sampler } from '../../runtime/sampler';
import { checkConfigVocab, checkLogitsWidth, checkSignature, checkVocabSize, type DeclaredSignature } from '../../runtime/signature';
import { StopStringFilter } from '../../runtime/stopRules';

function randomLogits(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 4);
}

describe('Sampler', () => {
  const logits = randomLogits(500, 7);
  const draw = (opts: Partial<{ temperature: number; topK: number; topP: number; seed: number }>, n = 50) => {
    const s = new Sampler({ temperature: 1, topK: 0, topP: 1, seed: 1, ...opts });
    return Array.from({ length: n }, () => s.sample(logits));
  };

  it('is greedy at temperature 0', () => {
    assert.deepEqual(draw({ temperature: 0 }, 3), [argmax(logits), argmax(logits), argmax(logits)]);
  });

  it('is deterministic for a seed, and different seeds differ', () => {
    assert.deepEqual(draw({ seed: 42 }), draw({ seed: 42 }));
    assert.notDeepEqual(draw({ seed: 42 }), draw({ seed: 43 }));
  });

  it('top-k 1 equals greedy; top-k k stays inside the k best', () => {
    assert.ok(draw({ topK: 1, temperature: 2 }).every((id) => id === argmax(logits)));
    const best5 = new Set([...logits.keys()].sort((a, b) => logits[b] - logits[a]).slice(0, 5));
    const ids = draw({ topK: 5 }, 200);
    assert.ok(ids.every((id) => best5.has(id)));
    assert.ok(new Set(ids).size > 1);
  });

  it('top-p keeps only the nucleus', () => {
    const peaked = new Float32Array(100);
    peaked[3] = 10; // ~99.5% of the mass
    peaked[9] = 5;
    const s = new Sampler({ temperature: 1, topK: 0, topP: 0.9, seed: 3 });
    assert.ok(Array.from({ length: 100 }, () => s.sample(peaked)).every((id) => id === 3));
  });
});

describe('StopStringFilter', () => {
  it('trims the stop string and everything after it', () => {
    const f = new StopStringFilter(['\n\n', 'END']);
    assert.deepEqual(f.push('abc'), { text: 'abc', stopped: false });
    assert.deepEqual(f.push('de\n\nfg'), { text: 'de', stopped: true });
  });

  it('holds back text that may become a stop string, across deltas', () => {
    const f = new StopStringFilter(['</end>']);
    assert.deepEqual(f.push('x </e'), { text: 'x ', stopped: false });
    assert.deepEqual(f.push('nd'), { text: '', stopped: false });
    assert.deepEqual(f.push('>tail'), { text: '', stopped: true });
    const g = new StopStringFilter(['</end>']);
    assert.deepEqual(g.push('a </'), { text: 'a ', stopped: false });
    assert.deepEqual(g.push('b>'), { text: '</b>', stopped: false });
    assert.equal(g.push('</en').text, '');
    assert.equal(g.flush(), '</en');
  });
});

const CONFIG = { num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, hidden_size: 64, vocab_size: 100, max_position_embeddings: 512 };

describe('parseModelConfig', () => {
  it('derives head_dim and reads EOS ids as int or list, generation_config first', () => {
    const c = parseModelConfig({ ...CONFIG, eos_token_id: 5, bos_token_id: 1 });
    assert.equal(c.headDim, 16);
    assert.deepEqual(c.eosTokenIds, [5]);
    assert.equal(c.bosTokenId, 1);
    assert.deepEqual(parseModelConfig({ ...CONFIG, eos_token_id: 5 }, { eos_token_id: [7, 8, 7] }).eosTokenIds, [7, 8]);
    assert.equal(parseModelConfig({ ...CONFIG, head_dim: 32 }).headDim, 32);
    assert.equal(parseModelConfig({ ...CONFIG, num_key_value_heads: undefined }).numKeyValueHeads, 4);
  });

  it('rejects missing or inconsistent fields', () => {
    assert.throws(() => parseModelConfig({ ...CONFIG, num_hidden_layers: undefined }), ModelConfigError);
    assert.throws(() => parseModelConfig({ ...CONFIG, num_key_value_heads: 3 }), ModelConfigError);
    assert.throws(() => parseModelConfig({ ...CONFIG, eos_token_id: 'x' }), ModelConfigError);
    // The fix names the file that holds the bad value.
    assert.throws(() => parseModelConfig({ ...CONFIG }, { eos_token_id: -1 }), (e: unknown) => e instanceof ModelConfigError && /generation_config\.json/.test(e.fix) && !/config\.json with/.test(e.fix.replace('generation_config.json', '')));
    assert.throws(() => parseModelConfig([]), ModelConfigError);
  });

  it('ends an error message as a sentence before its fix', () => {
    assert.equal(asSentence('Unexpected token } in JSON at position 2'), 'Unexpected token } in JSON at position 2.');
    assert.equal(asSentence('The file is missing.  '), 'The file is missing.');
    assert.equal(asSentence('Out of memory!'), 'Out of memory!');
  });

  it('rejects a BOS or EOS id outside the vocabulary, naming the field, with a fix', () => {
    assert.throws(() => parseModelConfig({ ...CONFIG, bos_token_id: 99_999 }), (e: Error) => e instanceof ModelConfigError && /bos_token_id 99999 is outside its vocabulary of 100 ids/.test(e.message) && /tokenizer\.json/.test((e as ModelConfigError).fix));
    assert.throws(() => parseModelConfig({ ...CONFIG, eos_token_id: 5 }, { eos_token_id: [5, 100] }), /eos_token_id 100/);
    assert.equal(parseModelConfig({ ...CONFIG, bos_token_id: 99, eos_token_id: [0, 99] }).bosTokenId, 99);
  });
});

describe('sameTokenizer', () => {
  it('takes a tokenizer.json saved again with other whitespace as the same, and other content as different', () => {
    const a = Buffer.from('{"model":{"type":"BPE","vocab":{"a":0}},"added_tokens":[]}');
    assert.ok(sameTokenizer(a, Buffer.from(JSON.stringify(JSON.parse(a.toString()), null, 2))));
    assert.equal(sameTokenizer(a, Buffer.from('{"model":{"type":"BPE","vocab":{"b":0}},"added_tokens":[]}')), false);
    assert.equal(sameTokenizer(a, Buffer.from('not json')), false);
  });
});

describe('checkSignature', () => {
  const config: ModelConfig = parseModelConfig(CONFIG);
  const kv = (name: string, heads: number | string = 2, dim: number | string = 16) => ({ name, type: 'float32', shape: ['batch_size', heads, 'past_sequence_length', dim] });
  const sig = (layers = 2, heads: number = 2, dim: number = 16, extra: string[] = []): DeclaredSignature => ({
    inputs: [
      { name: 'input_ids', type: 'int64', shape: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', type: 'int64', shape: [] },
      ...Array.from({ length: layers }, (_, i) => [kv(`past_key_values.${i}.key`, heads, dim), kv(`past_key_values.${i}.value`, heads, dim)]).flat(),
      ...extra.map((name) => ({ name, shape: [] })),
    ],
    outputs: [{ name: 'logits', shape: [] }, ...Array.from({ length: layers }, (_, i) => [{ name: `present.${i}.key`, shape: [] }, { name: `present.${i}.value`, shape: [] }]).flat()],
  });

  it('accepts a matching signature and reports the KV type', () => {
    assert.equal(checkSignature(sig(), config), 'float32');
  });

  it('names what does not match', () => {
    assert.throws(() => checkSignature(sig(3), config), /KV inputs for 3 layers.*num_hidden_layers is 2/);
    assert.throws(() => checkSignature(sig(2, 4), config), /4 KV heads.*num_key_value_heads is 2/);
    assert.throws(() => checkSignature(sig(2, 2, 32), config), /head size 32.*head_dim 16/);
    assert.throws(() => checkSignature(sig(2, 2, 16, ['token_type_ids']), config), ModelSignatureError);
    assert.throws(() => checkSignature(sig(0), config), /without its KV cache/);
    const int32Mask = sig();
    int32Mask.inputs[1] = { ...int32Mask.inputs[1]!, type: 'int32' };
    assert.throws(() => checkSignature(int32Mask, config), /"attention_mask" is int32; the runtime feeds int64/);
  });

  it('requires logits to cover the tokenizer', () => {
    assert.doesNotThrow(() => checkLogitsWidth(151936, 151665));
    assert.throws(() => checkLogitsWidth(100, 101), TokenizerMismatchError);
    // Padded vocabularies load (Qwen2.5's 151,936 logits for 151,665 tokens); another model's smaller tokenizer does not.
    assert.doesNotThrow(() => checkLogitsWidth(32256, 32022));
    assert.doesNotThrow(() => checkLogitsWidth(102400, 100015), "DeepSeek's padded row");
    assert.throws(() => checkLogitsWidth(16384, 662), TokenizerMismatchError);
    assert.doesNotThrow(() => checkConfigVocab(151936, 151665));
    assert.throws(() => checkConfigVocab(16384, 662), /only 662 tokens but config\.json of the model gives vocab_size 16384/);
    assert.throws(() => checkConfigVocab(662, 16384), /has 16384 tokens but config\.json of the model gives vocab_size only 662/);
    assert.doesNotThrow(() => checkVocabSize(151936, 151936));
    assert.throws(() => checkVocabSize(16384, 100000), ModelConfigError);
  });
});

describe('errors', () => {
  it('names a load failure by its cause, and one no pattern knows as a load failure where asked', () => {
    const denied = toLocusError(new Error("EACCES: permission denied, open '/m/config.json'"));
    assert.ok(denied instanceof ModelNotFoundError);
    assert.match(denied.fix, /readable/);
    assert.ok(toLocusError(new Error("EISDIR: illegal operation on a directory, read")) instanceof ModelNotFoundError);
    const op = toLocusError(new Error('Could not find an implementation for FancyOp(99) node with name x'));
    assert.ok(op instanceof ModelSignatureError);
    assert.match(op.fix, /opset this onnxruntime supports/);
    assert.ok(toLocusError(new TypeError("Cannot read properties of null (reading 'model')"), ModelLoadFailedError) instanceof ModelLoadFailedError);
    assert.ok(toLocusError(new TypeError('odd')) instanceof InferenceFailedError, 'elsewhere the fallback is an inference failure');
    assert.equal(fromSerializedError(new ModelLoadFailedError('x').toJSON()).constructor, ModelLoadFailedError);
  });

  it('maps ORT messages to named errors', () => {
    assert.ok(toLocusError(new Error('Load model from x failed:Protobuf parsing failed.')) instanceof ModelFileCorruptError);
    assert.ok(toLocusError(new Error('std::bad_alloc')) instanceof OutOfMemoryError);
    assert.ok(toLocusError(new Error('Failed to allocate memory for requested buffer of size 123')) instanceof OutOfMemoryError);
    assert.ok(toLocusError(new Error('something else')) instanceof InferenceFailedError);
    const named = new ModelNotFoundError('gone');
    assert.equal(toLocusError(named), named);
  });

  it('round-trips through {code, message, fix} as the same class', () => {
    const e = new TokenizerMismatchError('vocab 10 > logits 5');
    const back = fromSerializedError(JSON.parse(JSON.stringify(e.toJSON())));
    assert.ok(back instanceof TokenizerMismatchError && back instanceof LocusError);
    assert.equal(back.name, 'TokenizerMismatchError');
    assert.deepEqual(back.toJSON(), e.toJSON());
    assert.equal(e.code, 'TOKENIZER_MISMATCH');
    assert.ok(e.fix.length > 10 && e.fix.endsWith('.'));
  });
});

describe('externalDataLocations', () => {
  it('finds the location entries of external tensors', () => {
    const entry = (v: string) => Buffer.concat([Buffer.from([0x0a, 0x08]), Buffer.from('location'), Buffer.from([0x12, v.length]), Buffer.from(v)]);
    const bytes = Buffer.concat([Buffer.from('junk'), entry('model.onnx_data'), Buffer.from('more'), entry('model.onnx_data'), entry('w2.bin')]);
    assert.deepEqual(externalDataLocations(bytes), ['model.onnx_data', 'w2.bin']);
  });
});

describe('logitsAsFloat32', () => {
  it('takes float32 as it is, float16 bits as halves, a Float16Array (Node 24, recent Electron) by value, and refuses the rest', () => {
    const f32 = Float32Array.of(1.5, -2);
    assert.equal(logitsAsFloat32(f32), f32);
    // 0x3e00 = 1.5, 0xc000 = -2, 0x7c00 = +infinity in IEEE half precision.
    assert.deepEqual([...logitsAsFloat32(Uint16Array.of(0x3e00, 0xc000, 0x7c00))], [1.5, -2, Infinity]);
    // Node 20 has no Float16Array: a typed array of that name stands in for one (its elements read as numbers).
    class Float16Array extends Float64Array {}
    const halves = Float16Array.of(0.25, 3);
    const read = logitsAsFloat32(halves);
    assert.ok(read instanceof Float32Array && !(read instanceof Float16Array));
    assert.deepEqual([...read], [0.25, 3]);
    assert.throws(() => logitsAsFloat32(Int32Array.of(1)), (e: Error) => e instanceof ModelSignatureError && /neither float32 nor float16/.test(e.message));
  });
});
