// TextTokenizer.load: the tokenizer built without holding the calling thread (tokenizer.json parsed on a worker
// thread built here from runtime/tokenizerFileWorker.ts, a BPE model's tables filled in slices, runtime/bpeTables.ts)
// is the tokenizer TextTokenizer.fromDirectory builds, down to the library's tables; bad files fail with the same
// named errors.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { installBpeTables, takeBpeTables } from '../../runtime/bpeTables';
import { ModelFileCorruptError, ModelNotFoundError, WorkerCrashedError } from '../../runtime/errors';
import { TextTokenizer } from '../../runtime/tokenizer';
import { ROOT, TARGET_DIR } from './runtimeFixtures';
import { bundleWorker } from './workerThreadFixtures';

const OUT_DIR = join(ROOT, 'dist', 'test-tokenizer');
const WORKER = join(OUT_DIR, 'tokenizerFileWorker.js');
const DEFAULT_MODEL_DIR = join(ROOT, 'models', 'default');
const scratch = mkdtempSync(join(tmpdir(), 'locus-tokenizer-load-'));

const TEXTS = [
  readFileSync(join(ROOT, 'runtime', 'ortBackend.ts'), 'utf8'),
  readFileSync(join(ROOT, 'training', 'llama.py'), 'utf8'),
  'def f(x):\r\n\tif x:  # tabs, CRLF and  double  spaces\r\n\t\treturn x ** 2\n',
  'const s = "héllo wörld — 世界 🎉"; // 👩‍💻 <|fim_middle|> <|endoftext|>\n',
  'a"b\\c "quoted" \\\\ back\\slash',
];

interface LibraryTables {
  tokens_to_ids: Map<string, number>;
  vocab: (string | undefined)[];
  bpe_ranks: Map<string, number>;
  unk_token_id: number | undefined;
}

/** The library's BPE tables inside a TextTokenizer. */
const tablesOf = (t: TextTokenizer) => (t as unknown as { tokenizer: { model: LibraryTables } }).tokenizer.model;

function assertSameTokenizer(loaded: TextTokenizer, built: TextTokenizer): void {
  const a = tablesOf(loaded);
  const b = tablesOf(built);
  assert.deepEqual([...a.tokens_to_ids], [...b.tokens_to_ids]);
  assert.deepEqual([...a.bpe_ranks], [...b.bpe_ranks]);
  assert.deepEqual(a.vocab, b.vocab);
  assert.equal(a.unk_token_id, b.unk_token_id);
  assert.equal(loaded.vocabSize, built.vocabSize);
  assert.deepEqual(loaded.controlTokenIds, built.controlTokenIds);
  for (const text of TEXTS) {
    const ids = built.encode(text);
    assert.deepEqual(loaded.encode(text), ids);
    assert.equal(loaded.decode(ids), built.decode(ids));
  }
}

/** A model folder holding `json` as its tokenizer.json. */
function folderWith(name: string, json: unknown): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tokenizer.json'), typeof json === 'string' ? json : JSON.stringify(json));
  return dir;
}

describe('TextTokenizer.load', () => {
  before(async () => {
    await bundleWorker(join(ROOT, 'runtime', 'tokenizerFileWorker.ts'), WORKER);
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('builds the tokenizer fromDirectory builds, for the default model pair and the test fixture', async () => {
    for (const dir of [DEFAULT_MODEL_DIR, TARGET_DIR]) assertSameTokenizer(await TextTokenizer.load(dir, WORKER), TextTokenizer.fromDirectory(dir));
  });

  it('matches the library on merges written as "left right" strings, odd spellings and added tokens over the vocabulary', async () => {
    const json = JSON.parse(readFileSync(join(TARGET_DIR, 'tokenizer.json'), 'utf8')) as {
      model: { vocab: Record<string, number>; merges: (string | [string, string])[]; unk_token: string | null };
      added_tokens: { id: number; content: string; special: boolean; normalized: boolean }[];
    };
    const size = Object.keys(json.model.vocab).length + json.added_tokens.length;
    // Quotes, backslashes and a lone surrogate survive the trip and JSON keys; the unknown token is in the
    // vocabulary; one added token shadows a vocabulary token under another id, one takes a vocabulary token's id; one
    // token is longer than a call's arguments could carry.
    const odd = ['a"b', 'back\\slash', '\ud83d', 'Ġ"', '\\', 'Ġ'.repeat(5000)];
    odd.forEach((t, i) => (json.model.vocab[t] = size + i));
    json.model.merges = [...json.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m)), 'a"b back\\slash', '\\ Ġ"'];
    json.model.unk_token = 'Ġ"';
    json.added_tokens.push({ id: size + odd.length, content: 'back\\slash', special: false, normalized: false });
    json.added_tokens.push({ id: json.model.vocab['Ġ"']! - 1, content: '<|shadow|>', special: true, normalized: false });
    const dir = folderWith('odd-bpe', json);
    const built = TextTokenizer.fromDirectory(dir);
    assert.equal(tablesOf(built).bpe_ranks.get(JSON.stringify(['a"b', 'back\\slash'])), json.model.merges.length - 2);
    assert.equal(tablesOf(built).unk_token_id, size + 3);
    assertSameTokenizer(await TextTokenizer.load(dir, WORKER), built);
  });

  it('builds a tokenizer that is not BPE whole, from the file the worker parsed', async () => {
    const vocab = Object.fromEntries(['[UNK]', 'def', 'return', 'x', '##s', '(', ')', ':', 'f'].map((t, i) => [t, i]));
    const dir = folderWith('wordpiece', {
      version: '1.0',
      added_tokens: [{ id: 0, content: '[UNK]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
      normalizer: null,
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
    });
    const loaded = await TextTokenizer.load(dir, WORKER);
    const built = TextTokenizer.fromDirectory(dir);
    for (const text of ['def f(x): return xs', 'unknown words']) assert.deepEqual(loaded.encode(text), built.encode(text));
    assert.deepEqual(loaded.encode('def f(x)'), [1, 8, 5, 3, 6]);
  });

  it('fails with the named errors fromDirectory gives: no file, not JSON, a Git LFS pointer, no worker, a file it cannot read', async () => {
    await assert.rejects(TextTokenizer.load(join(scratch, 'absent'), WORKER), ModelNotFoundError);
    mkdirSync(join(scratch, 'empty'), { recursive: true });
    await assert.rejects(TextTokenizer.load(join(scratch, 'empty'), WORKER), (e: unknown) => e instanceof ModelNotFoundError && /holds no model files: no config\.json, tokenizer\.json or onnx folder/.test(e.message));
    await assert.rejects(TextTokenizer.load(folderWith('not-json', '{"model": '), WORKER), (e: unknown) => e instanceof ModelFileCorruptError && /not valid JSON/.test(e.message));
    for (const [name, text] of [['null-json', 'null'], ['list-json', '[1]']]) {
      await assert.rejects(TextTokenizer.load(folderWith(name, text), WORKER), (e: unknown) => e instanceof ModelFileCorruptError && /not an object/.test(e.message));
      assert.throws(() => TextTokenizer.fromDirectory(join(scratch, name)), (e: unknown) => e instanceof ModelFileCorruptError && /not an object/.test(e.message));
    }
    const pointer = 'version https://git-lfs.github.com/spec/v1\noid sha256:' + 'a'.repeat(64) + '\nsize 7031645\n';
    await assert.rejects(TextTokenizer.load(folderWith('lfs', pointer), WORKER), ModelFileCorruptError);
    await assert.rejects(TextTokenizer.load(DEFAULT_MODEL_DIR, join(scratch, 'missing-worker.js')), WorkerCrashedError);
    const unreadable = join(scratch, 'unreadable');
    mkdirSync(join(unreadable, 'tokenizer.json'), { recursive: true });
    for (const failing of [() => TextTokenizer.load(unreadable, WORKER), async () => TextTokenizer.fromDirectory(unreadable)]) {
      await assert.rejects(failing(), (e: unknown) => e instanceof ModelFileCorruptError && /could not be read: EISDIR/.test(e.message));
    }
  });
});

describe('installBpeTables', () => {
  it('pauses between slices of 1,024 entries when the slice time is spent', async () => {
    const json = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
    const tables = takeBpeTables(json)!;
    const reference = TextTokenizer.fromDirectory(DEFAULT_MODEL_DIR);
    const tokenizer = (reference as unknown as { tokenizer: unknown }).tokenizer;
    const before = { ...tablesOf(reference) };
    let pauses = 0;
    await installBpeTables(tokenizer, tables, async () => void pauses++, 0);
    const chunks = (n: number) => Math.ceil(n / 1024);
    assert.equal(pauses, chunks(tables.ids.length) + chunks(tables.rankKeys.lengths.length));
    assert.deepEqual([...tablesOf(reference).tokens_to_ids], [...before.tokens_to_ids]);
    assert.deepEqual([...tablesOf(reference).bpe_ranks], [...before.bpe_ranks]);
  });

  it('leaves a file whose model is not BPE untouched', () => {
    const json = { model: { type: 'Unigram', vocab: [['a', -1]] } };
    assert.equal(takeBpeTables(json), undefined);
    assert.deepEqual(json.model.vocab, [['a', -1]]);
  });
});
