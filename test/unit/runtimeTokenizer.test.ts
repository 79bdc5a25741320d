import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelNotFoundError } from '../../runtime/errors';
import { TextTokenizer, TokenDecoder } from '../../runtime/tokenizer';
import { copyFixture, reference, ROOT, TARGET_DIR } from './runtimeFixtures';

const DEFAULT_MODEL_DIR = join(ROOT, 'models', 'default');

const tokenizer = TextTokenizer.fromDirectory(TARGET_DIR);

const SAMPLES = [
  'export function add(a: number, b: number): number {\n  return a + b;\n}\n',
  'def f(x):\r\n\tif x:  # tabs, CRLF and  double  spaces\r\n\t\treturn x ** 2\n',
  'const s = "héllo wörld — 世界 🎉";\n// emoji: 👩‍💻, combining: é\n',
  '    \n\n   trailing whitespace   \n',
  '<div class="a">&amp;</div>\n{"json": [1, 2.5e-3, null]}',
];

describe('TextTokenizer', () => {
  it('round-trips code text exactly', () => {
    for (const text of SAMPLES) assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
  });

  it('encodes a text of hundreds of thousands of tokens, a special token\'s spelling in it as plain text', () => {
    // Once spread into push() as arguments, ~360,000 ids overflowed the call stack (a minified bundle's line).
    const text = '(a, b) => [a]; '.repeat(30_000) + '<|fim_middle|>' + '{x}; '.repeat(30_000);
    const ids = tokenizer.encode(text);
    assert.ok(ids.length > 300_000, `${ids.length} ids`);
    assert.equal(tokenizer.decode(ids), text);
    assert.ok(!ids.includes(tokenizer.specialTokenId('<|fim_middle|>')!));
  });

  it('encodes like the BPE that wrote reference.json, with merges applied', () => {
    assert.deepEqual(tokenizer.encode(reference.prompt), reference.promptIds);
    assert.ok(reference.promptIds.length < Buffer.byteLength(reference.prompt) / 1.5);
  });

  it('knows its vocabulary size and the Qwen2.5-Coder special tokens', () => {
    assert.equal(tokenizer.vocabSize, 662);
    const ids = ['<|endoftext|>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|fim_pad|>', '<|file_sep|>'].map((t) =>
      tokenizer.specialTokenId(t),
    );
    assert.deepEqual(ids, [656, 657, 658, 659, 660, 661]);
    assert.equal(tokenizer.specialTokenId('<|nope|>'), undefined);
    assert.equal(tokenizer.decode([657]), '<|fim_prefix|>');
  });

  it('streams text without ever emitting half a UTF-8 character', () => {
    for (const text of SAMPLES) {
      const decoder = tokenizer.streamingDecoder();
      const deltas = tokenizer.encode(text).map((id) => decoder.push(id));
      deltas.push(decoder.flush());
      assert.equal(deltas.join(''), text);
      assert.ok(deltas.every((d) => !d.includes('\uFFFD')), `a delta held U+FFFD: ${JSON.stringify(deltas)}`);
    }
  });

  it('drops a character the generation stopped in the middle of', () => {
    const decoder = tokenizer.streamingDecoder();
    const ids = tokenizer.encode('ok é');
    assert.equal(tokenizer.encode('é').length, 2, 'the fixture spells é as two byte tokens');
    // Feed every token but the last byte of the accented character: the text ends in half a character.
    const pushed = ids.slice(0, -1);
    const text = pushed.map((id) => decoder.push(id)).join('') + decoder.flush();
    assert.ok(!text.includes('\uFFFD'), JSON.stringify(text));
    assert.ok(text.startsWith('ok'));
  });

  it('leaves out a character that other text cut (bytes that are no character), and goes on', () => {
    const decoder = tokenizer.streamingDecoder();
    const [firstByte] = tokenizer.encode('é');
    const ids = [...tokenizer.encode('ok '), firstByte!, ...tokenizer.encode('a = 1\n'), firstByte!];
    const deltas = ids.map((id) => decoder.push(id));
    deltas.push(decoder.flush());
    assert.equal(deltas.join(''), 'ok a = 1\n');
  });

  it('reports a missing tokenizer.json as ModelNotFoundError', () => {
    const { dir, cleanup } = copyFixture();
    try {
      rmSync(join(dir, 'tokenizer.json'));
      assert.throws(() => TextTokenizer.fromDirectory(dir), ModelNotFoundError);
    } finally {
      cleanup();
    }
  });
});

describe('TokenDecoder (the inference worker\'s decode-only tokenizer)', () => {
  it('decodes every id, alone and in runs, exactly as the whole tokenizer does, on the shipped tokenizer', () => {
    const whole = TextTokenizer.fromDirectory(DEFAULT_MODEL_DIR);
    const decoder = TokenDecoder.fromDirectory(DEFAULT_MODEL_DIR);
    assert.equal(decoder.vocabSize, whole.vocabSize);
    for (let id = 0; id < whole.vocabSize; id++) assert.equal(decoder.decode([id]), whole.decode([id]), `id ${id}`);
    for (const text of SAMPLES) {
      const ids = whole.encode(text);
      assert.equal(decoder.decode(ids), text);
      const stream = decoder.streamingDecoder();
      assert.equal(ids.map((id) => stream.push(id)).join('') + stream.flush(), text);
    }
    for (const t of ['<|endoftext|>', '<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', '<|file_sep|>', 'def', '<|nope|>']) {
      assert.equal(decoder.specialTokenId(t), whole.specialTokenId(t), t);
    }
  });

  it('counts the highest id of the file plus one, added tokens included, as the whole tokenizer does', () => {
    const json = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> }; added_tokens: { id: number }[] };
    const highest = Math.max(...Object.values(json.model.vocab), ...json.added_tokens.map((t) => t.id));
    assert.equal(TokenDecoder.fromDirectory(DEFAULT_MODEL_DIR).vocabSize, highest + 1);
    assert.equal(TextTokenizer.fromDirectory(DEFAULT_MODEL_DIR).vocabSize, highest + 1);
  });

  it('lists the control tokens, the added tokens marked special, at which generation ends', () => {
    assert.deepEqual(TokenDecoder.fromDirectory(DEFAULT_MODEL_DIR).controlTokenIds, [0, 1, 2, 3, 4, 5, 6]);
    // An added token that is not special (Qwen2.5's `<tool_call>`, say) is text a model may write.
    const dir = mkdtempSync(join(tmpdir(), 'locus-tokenizer-'));
    try {
      const json = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'tokenizer.json'), 'utf8')) as { added_tokens: { id: number; special: boolean }[] };
      json.added_tokens[1]!.special = false;
      writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
      assert.deepEqual(TokenDecoder.fromDirectory(dir).controlTokenIds, [0, 2, 3, 4, 5, 6]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has no encode: without the merges it could only spell text byte by byte', () => {
    assert.equal('encode' in TokenDecoder.fromDirectory(TARGET_DIR), false);
  });
});

describe('special tokens in document text', () => {
  it('encodes the spelling of a special token as plain characters, never as the control token', () => {
    const tokenizer = TextTokenizer.fromDirectory(TARGET_DIR);
    const middle = tokenizer.specialTokenId('<|fim_middle|>')!;
    const text = 'const marker = "<|fim_middle|>"; // and <|endoftext|> too';
    const ids = tokenizer.encode(text);
    assert.ok(!ids.includes(middle) && !ids.includes(tokenizer.specialTokenId('<|endoftext|>')!));
    assert.equal(tokenizer.decode(ids), text, 'the text still round-trips exactly');
  });
});
