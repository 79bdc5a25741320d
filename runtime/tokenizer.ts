// The model's tokenizer (tokenizer.json via @huggingface/tokenizers, pure JS) and an incremental decoder that
// never emits half a UTF-8 character.
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { installBpeTables } from './bpeTables';
import { withoutBrokenCharacters } from './brokenCharacter';
import { ModelFileCorruptError } from './errors';
import { readTokenizerFilesOffThread } from './tokenizerFileThread';
import { readTokenizerFiles, type TokenizerFiles } from './tokenizerFiles';

/**
 * Highest token id (model vocabulary and added tokens) plus one, from the id-to-token table the library built (reading
 * the file's vocabulary object again took ~135 ms for Qwen2.5's 151,665 entries).
 */
function idCount(tokenizer: Tokenizer): number {
  const table = tokenizer.model?.vocab ?? [];
  let count = table.length;
  while (count > 0 && table[count - 1] === undefined) count--;
  return count;
}

/** The library's tokenizer, or the error a user can act on. */
function libraryTokenizer({ json, config }: TokenizerFiles): Tokenizer {
  try {
    return new Tokenizer(json, config ?? {});
  } catch (e) {
    throw new ModelFileCorruptError(`tokenizer.json could not be loaded: ${(e as Error).message}`);
  }
}

/**
 * The decoding half of a tokenizer: token ids to text, special-token ids and the vocabulary size. The inference
 * worker needs no more, so it builds this one without the BPE merges, which only encoding reads (for a
 * Qwen-sized vocabulary they and their rank table are ~43 MiB of heap and half the construction time).
 */
export class TokenDecoder {
  /** Number of token ids the tokenizer can produce (max id + 1, added tokens included). */
  readonly vocabSize: number;
  protected readonly tokenizer: Tokenizer;
  protected readonly specialIds = new Map<string, number>();
  /** Ids of the added tokens marked `special` (FIM markers, file separators, chat turns, EOS). */
  readonly controlTokenIds: readonly number[];

  /** Takes `tokenizerJson` (the file `tokenizer` was built from) over: it drops the vocabulary, which the library has read. */
  protected constructor(tokenizer: Tokenizer, tokenizerJson: Record<string, unknown>) {
    this.tokenizer = tokenizer;
    this.vocabSize = idCount(this.tokenizer);
    const control: number[] = [];
    for (const t of (tokenizerJson.added_tokens as { id: number; content: string; special?: boolean }[] | undefined) ?? []) {
      this.specialIds.set(t.content, t.id);
      if (t.special === true) control.push(t.id);
    }
    this.controlTokenIds = control;
    // The library keeps the whole parsed file but reads the vocabulary only here, into maps of its own.
    const model = tokenizerJson.model as { vocab?: unknown } | undefined;
    if (model) delete model.vocab;
  }

  static fromDirectory(modelDir: string): TokenDecoder {
    const files = readTokenizerFiles(modelDir);
    const model = files.json.model as { merges?: unknown } | undefined;
    if (model && Array.isArray(model.merges)) model.merges = [];
    return new TokenDecoder(libraryTokenizer(files), files.json);
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

/** The whole tokenizer: encoding as well as decoding. */
export class TextTokenizer extends TokenDecoder {
  static override fromDirectory(modelDir: string): TextTokenizer {
    const files = readTokenizerFiles(modelDir);
    return new TextTokenizer(libraryTokenizer(files), files.json);
  }

  /**
   * The same tokenizer, built without holding the calling thread: the files are read and parsed on a worker thread
   * (`workerScript`, the bundled tokenizerFileWorker.js; the default is right from the dist/ bundle), and a BPE
   * model's tables are filled in slices between turns of the event loop (bpeTables.ts says why).
   */
  static async load(modelDir: string, workerScript = join(__dirname, 'tokenizerFileWorker.js')): Promise<TextTokenizer> {
    const { files, tables } = await readTokenizerFilesOffThread(modelDir, workerScript);
    const tokenizer = libraryTokenizer(files);
    if (tables) await installBpeTables(tokenizer, tables, () => nextTurn());
    return new TextTokenizer(tokenizer, files.json);
  }

  /**
   * Token ids for `text` as plain text: no BOS/EOS, and a special token's spelling in the text (a file that
   * mentions `<|fim_middle|>`) is encoded as ordinary characters, never as the control token, so a document
   * cannot inject prompt structure.
   */
  encode(text: string): number[] {
    if (text === '') return [];
    const parts: number[][] = [];
    let from = 0;
    for (const at of this.specialSpellings(text)) {
      // Cutting the spelling after its first character keeps the tokenizer from matching the added token.
      parts.push(this.plain(text.slice(from, at + 1)));
      from = at + 1;
    }
    parts.push(this.plain(text.slice(from)));
    // Concatenated, not spread into push: a long text's ids would overflow the call stack as arguments.
    return parts.length === 1 ? parts[0]! : parts.flat();
  }

  /**
   * Token ids for text a prompt template wrote (a chat template's turns): a special token's spelling there is the
   * control token. Never for the user's text, which `encode` takes.
   */
  encodeMarkup(text: string): number[] {
    return this.plain(text);
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

  /** Adds one token; returns the newly completed text (possibly ''), without bytes that are no character. */
  push(id: number): string {
    this.ids.push(id);
    const prefix = this.decodeIds(this.ids.slice(this.prefixOffset, this.readOffset));
    const text = this.decodeIds(this.ids.slice(this.prefixOffset));
    if (text.length > prefix.length && !text.endsWith('\uFFFD')) {
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      return withoutBrokenCharacters(text.slice(prefix.length));
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
    return withoutBrokenCharacters(text.slice(prefix.length)).replace(/\uFFFD+$/, '');
  }
}
