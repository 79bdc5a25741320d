// The model's tokenizer (tokenizer.json via @huggingface/tokenizers, pure JS) and an incremental decoder that
// never emits half a UTF-8 character.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelFileCorruptError, ModelNotFoundError } from './errors';
import { assertNotLfsPointer, tokenizerDirectory } from './modelFiles';

function readJsonFile(path: string, required: boolean): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    if (required) throw new ModelNotFoundError(`Tokenizer file ${path} does not exist.`);
    return undefined;
  }
  assertNotLfsPointer(path);
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ModelFileCorruptError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Highest token id in tokenizer.json (model vocab and added tokens) plus one. */
function countVocab(json: Record<string, unknown>): number {
  let max = -1;
  const model = json.model as { vocab?: unknown } | undefined;
  const vocab = model?.vocab;
  if (Array.isArray(vocab)) max = vocab.length - 1; // Unigram: [piece, score] pairs indexed by id
  else if (vocab && typeof vocab === 'object') for (const id of Object.values(vocab)) if (typeof id === 'number' && id > max) max = id;
  for (const t of (json.added_tokens as { id: number }[] | undefined) ?? []) if (t.id > max) max = t.id;
  return max + 1;
}

export class TextTokenizer {
  /** Number of token ids the tokenizer can produce (max id + 1, added tokens included). */
  readonly vocabSize: number;
  private readonly tokenizer: Tokenizer;
  private readonly specialIds = new Map<string, number>();

  constructor(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown> = {}) {
    try {
      this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (e) {
      throw new ModelFileCorruptError(`tokenizer.json could not be loaded: ${(e as Error).message}`);
    }
    this.vocabSize = countVocab(tokenizerJson);
    for (const t of (tokenizerJson.added_tokens as { id: number; content: string }[] | undefined) ?? []) {
      this.specialIds.set(t.content, t.id);
    }
  }

  /**
   * Loads `tokenizer.json` and, when present, `tokenizer_config.json` from the model directory (or from its parent,
   * where a model pair shares one tokenizer).
   */
  static fromDirectory(modelDir: string): TextTokenizer {
    const dir = tokenizerDirectory(modelDir);
    const json = readJsonFile(join(dir, 'tokenizer.json'), true)!;
    return new TextTokenizer(json, readJsonFile(join(dir, 'tokenizer_config.json'), false));
  }

  /**
   * Token ids for `text` as plain text: no BOS/EOS, and a special token's spelling in the text (a file that
   * mentions `<|fim_middle|>`) is encoded as ordinary characters, never as the control token, so a document
   * cannot inject prompt structure.
   */
  encode(text: string): number[] {
    if (text === '') return [];
    const ids: number[] = [];
    let from = 0;
    for (const at of this.specialSpellings(text)) {
      // Cutting the spelling after its first character keeps the tokenizer from matching the added token.
      ids.push(...this.plain(text.slice(from, at + 1)));
      from = at + 1;
    }
    ids.push(...this.plain(text.slice(from)));
    return ids;
  }

  /** Offsets where a special token's spelling starts in `text`, in order. */
  private specialSpellings(text: string): number[] {
    const starts: number[] = [];
    for (const content of this.specialIds.keys()) {
      for (let at = text.indexOf(content); at >= 0; at = text.indexOf(content, at + 1)) starts.push(at);
    }
    return starts.sort((a, b) => a - b);
  }

  private plain(text: string): number[] {
    return text === '' ? [] : this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** Exact text of `ids` (special tokens included, no clean-up of spaces). */
  decode(ids: readonly number[]): string {
    if (ids.length === 0) return '';
    return this.tokenizer.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /** Id of an added token such as `<|fim_prefix|>`, or undefined when the tokenizer lacks it. */
  specialTokenId(content: string): number | undefined {
    return this.specialIds.get(content) ?? this.tokenizer.token_to_id(content);
  }

  streamingDecoder(): StreamingDecoder {
    return new StreamingDecoder((ids) => this.decode(ids));
  }
}

/**
 * Turns a stream of token ids into text deltas. A byte-level token can end inside a multi-byte character, which
 * decodes to U+FFFD; such text is held back until a later token completes it (Text Generation Inference's
 * prefix/read offsets, so each step decodes only a few tokens).
 */
export class StreamingDecoder {
  private readonly ids: number[] = [];
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(private readonly decodeIds: (ids: number[]) => string) {}

  /** Adds one token; returns the newly completed text (possibly ''). */
  push(id: number): string {
    this.ids.push(id);
    const prefix = this.decodeIds(this.ids.slice(this.prefixOffset, this.readOffset));
    const text = this.decodeIds(this.ids.slice(this.prefixOffset));
    if (text.length > prefix.length && !text.endsWith('\uFFFD')) {
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      return text.slice(prefix.length);
    }
    return '';
  }

  /**
   * Whatever is still held back. A character the generation stopped in the middle of (it would decode as
   * U+FFFD) is dropped: ghost text must not end in a replacement character.
   */
  flush(): string {
    const prefix = this.decodeIds(this.ids.slice(this.prefixOffset, this.readOffset));
    const text = this.decodeIds(this.ids.slice(this.prefixOffset));
    this.prefixOffset = this.readOffset = this.ids.length;
    return text.slice(prefix.length).replace(/\uFFFD+$/, '');
  }
}
