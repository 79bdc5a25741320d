// A BPE tokenizer's two large tables (vocabulary and merge ranks) moved out of tokenizer.json, so that a worker
// thread can parse the file and the thread that encodes only fills two Maps, a slice at a time. Built in one go by
// @huggingface/tokenizers, Qwen2.5's 151,643 tokens and 151,387 merges held the server's thread for ~1 s (parse
// 210 ms, construction 680 ms with its garbage collection); the server must keep answering while a model loads.
// Pure logic; tokenizerFileThread.ts runs the worker.

/**
 * Strings as UTF-16 code units in one buffer and the length of each: the buffer moves between threads without a
 * copy. As one string, Qwen2.5's tables took 40-150 ms of the receiving thread to deserialize, in one go.
 */
export interface PackedStrings {
  utf16: ArrayBuffer;
  lengths: Int32Array;
}

export function packStrings(strings: readonly string[]): PackedStrings {
  const text = strings.join('');
  // Buffer.alloc is never a slice of Node's shared pool, so its whole ArrayBuffer can be transferred.
  const bytes = Buffer.alloc(text.length * 2);
  bytes.write(text, 'utf16le');
  return { utf16: bytes.buffer as ArrayBuffer, lengths: Int32Array.from(strings, (s) => s.length) };
}

export interface BpeTables {
  /** The vocabulary's tokens, in the file's order. */
  tokens: PackedStrings;
  /** The id of each token. */
  ids: Int32Array;
  /** Each merge as the library keys its rank table (`JSON.stringify([left, right])`), in rank order. */
  rankKeys: PackedStrings;
}

/** Characters JSON.stringify escapes (quote, backslash, controls, and surrogates, which it escapes when lone). */
const ESCAPED_IN_JSON = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * The library's key for a merge: the pair (the old format splits "left right" at spaces and keeps two parts) in
 * JSON. Spelled out where nothing needs escaping, which halves the time for Qwen2.5's 151,387 merges.
 */
function rankKey(merge: string | [string, string]): string {
  const pair = Array.isArray(merge) ? merge : merge.split(' ', 2);
  return pair.length !== 2 || pair.some((part) => ESCAPED_IN_JSON.test(part)) ? JSON.stringify(pair) : `["${pair[0]}","${pair[1]}"]`;
}

/**
 * Moves the tables out of a parsed tokenizer.json whose model is BPE (by type, or by the library's fallback test),
 * leaving an empty vocabulary and no merges in `json`; undefined, and `json` untouched, for other models.
 */
export function takeBpeTables(json: Record<string, unknown>): BpeTables | undefined {
  const model = json.model as { type?: unknown; vocab?: unknown; merges?: unknown; continuing_subword_prefix?: unknown; unk_token?: unknown } | undefined;
  if (model === undefined || model === null || typeof model.vocab !== 'object' || model.vocab === null || Array.isArray(model.vocab) || !Array.isArray(model.merges)) return undefined;
  const bpe = model.type === 'BPE' || (model.type === undefined && 'continuing_subword_prefix' in model && 'unk_token' in model);
  if (!bpe) return undefined;
  const vocab = model.vocab as Record<string, number>;
  const tokens = Object.keys(vocab);
  const merges = model.merges as (string | [string, string])[];
  const tables: BpeTables = {
    tokens: packStrings(tokens),
    ids: Int32Array.from(tokens, (t) => vocab[t]!),
    rankKeys: packStrings(merges.map(rankKey)),
  };
  model.vocab = {};
  model.merges = [];
  return tables;
}

/** The fields of @huggingface/tokenizers' BPE model (0.2.0) that its constructor fills from the two tables. */
interface BpeModelFields {
  tokens_to_ids: Map<string, number>;
  vocab: (string | undefined)[];
  bpe_ranks: Map<string, number>;
  unk_token_id: number | undefined;
  config: { unk_token?: unknown };
}

/** What the library's Tokenizer keeps of the added tokens, which override the vocabulary. */
interface TokenizerFields {
  model: unknown;
  added_tokens: readonly { id: number; content: string }[];
}

function bpeFields(model: unknown): BpeModelFields {
  const m = model as Partial<BpeModelFields> | undefined;
  if (!(m?.tokens_to_ids instanceof Map) || !(m.bpe_ranks instanceof Map) || !Array.isArray(m.vocab) || typeof m.config !== 'object') {
    // Only a different version of the library gets here; the unit tests pin what this relies on.
    throw new Error('@huggingface/tokenizers\' BPE model does not have the fields Locus fills (tokens_to_ids, vocab, bpe_ranks).');
  }
  return m as BpeModelFields;
}

/** Time on the calling thread between pauses (a request that arrives meanwhile waits at most about this long). */
const SLICE_MS = 8;
/** Strings between looks at the clock. */
const CHUNK = 1024;
const MAX_CODE_UNITS_AS_ARGUMENTS = 4096;

/**
 * Calls `each` on every string of `packed` in order, and awaits `pause` once `sliceMs` of work have passed (looked at
 * every 1,024 strings). Each string is made from its own code units: String.fromCharCode keeps lone surrogates, which
 * a vocabulary may hold, and gives a one-byte string where the text allows, as the parsed file's keys were. Slices
 * of a decoded chunk (two-byte wherever the chunk held a character past U+00FF, and views of it) made the first
 * encodings after a load slower (new text: ~60 against ~35 ms, median of 6 loads of the embedded tokenizer).
 */
async function forEachSliced(packed: PackedStrings, each: (s: string, index: number) => void, pause: () => Promise<void>, sliceMs: number): Promise<void> {
  const { utf16, lengths } = packed;
  const units = new Uint16Array(utf16);
  let at = 0;
  let sliceStart = performance.now();
  for (let first = 0; first < lengths.length; first += CHUNK) {
    const end = Math.min(lengths.length, first + CHUNK);
    for (let i = first; i < end; i++) {
      const length = lengths[i]!;
      // A string of more units than a call takes arguments (none in real vocabularies) is decoded as it is.
      each(length <= MAX_CODE_UNITS_AS_ARGUMENTS ? String.fromCharCode.apply(null, units.subarray(at, at + length) as unknown as number[]) : Buffer.from(utf16, at * 2, length * 2).toString('utf16le'), i);
      at += length;
    }
    if (performance.now() - sliceStart >= sliceMs) {
      await pause();
      sliceStart = performance.now();
    }
  }
}

/**
 * Fills the BPE model of `tokenizer` (built from the json `takeBpeTables` emptied) with the tables, as the library's
 * constructor would have: the vocabulary in file order (the unknown token's id looked up in it alone), then the
 * added tokens over it. Awaits `pause` every `sliceMs` of work.
 */
export async function installBpeTables(tokenizer: unknown, tables: BpeTables, pause: () => Promise<void>, sliceMs = SLICE_MS): Promise<void> {
  const { model, added_tokens: added } = tokenizer as TokenizerFields;
  const fields = bpeFields(model);
  const tokensToIds = new Map<string, number>();
  const vocab = new Array<string | undefined>(tables.ids.length);
  await forEachSliced(
    tables.tokens,
    (token, i) => {
      const id = tables.ids[i]!;
      tokensToIds.set(token, id);
      vocab[id] = token;
    },
    pause,
    sliceMs,
  );
  const unkId = tokensToIds.get(fields.config.unk_token as string);
  for (const token of added) {
    tokensToIds.set(token.content, token.id);
    vocab[token.id] = token.content;
  }
  const ranks = new Map<string, number>();
  await forEachSliced(tables.rankKeys, (key, rank) => ranks.set(key, rank), pause, sliceMs);
  fields.tokens_to_ids = tokensToIds;
  fields.vocab = vocab;
  fields.bpe_ranks = ranks;
  fields.unk_token_id = unkId;
}
