// Tokenizing is most of a prompt's assembly: with retrieval and compression a 512-token prompt takes ~190 encode
// calls (~11 ms on 2 cores), one per line or snippet piece, and the next keystroke encodes nearly all of the same
// lines and snippets again. The server's tokenizer remembers recent encodings of short texts (tokenizing is
// deterministic, so a remembered encoding is the encoding).
import type { ContextTokenizer } from './context/promptAssembler';

/** Longer texts (a whole prefix) differ on every keystroke: not worth a slot. */
const MAX_CACHED_CHARS = 4096;
/** Encodings kept (least recently used first out): a few thousand lines and snippet pieces. */
const MAX_ENTRIES = 8192;
/** And at most this many characters of keys over all entries (~4 MB of strings). */
const MAX_TOTAL_CHARS = 2_000_000;

export class CachingTokenizer implements ContextTokenizer {
  /** Keyed by the text; the entry keeps its own copy of the key, which re-inserting on a hit must reuse. */
  private readonly encodings = new Map<string, { key: string; ids: readonly number[] }>();
  private totalChars = 0;

  constructor(
    private readonly inner: ContextTokenizer,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  encode(text: string): number[] {
    if (text.length > MAX_CACHED_CHARS) return this.inner.encode(text);
    const cached = this.encodings.get(text);
    if (cached !== undefined) {
      // Most recently used last, so the oldest entry is the first one the map iterates.
      this.encodings.delete(text);
      this.encodings.set(cached.key, cached);
      return [...cached.ids];
    }
    const ids = this.inner.encode(text);
    // A copy of the key: V8 keeps a string sliced from a document attached to the whole document text.
    const key = Buffer.from(text, 'utf16le').toString('utf16le');
    this.encodings.set(key, { key, ids: ids.slice() });
    this.totalChars += text.length;
    while (this.encodings.size > this.maxEntries || this.totalChars > MAX_TOTAL_CHARS) {
      const oldest = this.encodings.keys().next().value!;
      this.encodings.delete(oldest);
      this.totalChars -= oldest.length;
    }
    return ids;
  }

  decode(ids: readonly number[]): string {
    return this.inner.decode(ids);
  }

  specialTokenId(content: string): number | undefined {
    return this.inner.specialTokenId(content);
  }

  encodeMarkup(text: string): number[] {
    return this.inner.encodeMarkup(text);
  }

  /** Encodings currently remembered (for tests). */
  get size(): number {
    return this.encodings.size;
  }
}
