// Reuses the KV state of recent prompts. Consecutive completion requests while typing share most of their
// prompt (suffix-prefix-middle order puts the growing prefix last), so the next keystroke only prefills the
// tokens that changed. Bounded by positions and by the bytes the cached states hold, so a large model keeps
// fewer prompts rather than more memory; least recently used entries go first, and the newest always stays (the
// next keystroke reuses it, and it is the state the request just held anyway).
import type { DecoderModel, KvState } from './decoderModel';

interface Entry {
  ids: readonly number[];
  kv: KvState;
  /** The last position's logits, from the pass that stored the entry (absent where it kept none: the draft's). */
  logits?: Float32Array;
}

export interface PrefixRepeat {
  /** The stored state, covering the whole prompt. */
  kv: KvState;
  /** A copy of the logits the stored prompt's pass gave at its last position. */
  logits: Float32Array;
}

export interface PrefixHit {
  /** A cache covering `reused` leading tokens of the requested ids (empty when nothing matched). */
  kv: KvState;
  reused: number;
}

/** Default position bound per model: eight prompts of the server's 512-token budget. */
export const PREFIX_CACHE_MAX_POSITIONS = 4096;
/**
 * Default byte bound per model, which binds for larger models: the default target's 4,096 positions take 16 MiB
 * (4 KiB each), a Qwen2.5-Coder-0.5B float32 cache reaches 64 MiB at ~2,700 (24 KiB each), a 7B one at ~570.
 */
export const PREFIX_CACHE_MAX_BYTES = 64 * 2 ** 20;

export class PrefixKvCache {
  private entries: Entry[] = [];

  constructor(
    private readonly model: DecoderModel,
    /** Most bytes of cache kept over all entries (but the newest). */
    private readonly maxBytes = PREFIX_CACHE_MAX_BYTES,
    /** Most positions kept over all entries (but the newest). */
    private readonly maxPositions = PREFIX_CACHE_MAX_POSITIONS,
    /** Shorter matches are not worth a cache slice. */
    private readonly minReuse = 8,
  ) {}

  /**
   * The longest cached prefix of `ids`, leaving at least one token to run (the model must produce logits
   * for the last prompt position).
   */
  lookup(ids: readonly number[]): PrefixHit {
    const { entry, length } = this.longestMatch(ids);
    if (!entry) return { kv: this.model.emptyKv(), reused: 0 };
    this.touch(entry);
    return { kv: this.model.truncate(entry.kv, length), reused: length };
  }

  /**
   * The prompt stored exactly as `ids`, with its logits: a request asked again (Alt+\\ where a suggestion shows) answers
   * as the first did, with no pass. A pass over its last token alone ran on the 4-bit decode graph where the first
   * answer's prefill had run the 8-bit one, and the answer changed at 1 place in 8.
   */
  repeat(ids: readonly number[]): PrefixRepeat | undefined {
    const entry = this.entries.find((e) => e.logits !== undefined && e.ids.length === ids.length && e.kv.length === ids.length && commonPrefixLength(e.ids, ids, ids.length) === ids.length);
    if (entry === undefined) return undefined;
    this.touch(entry);
    return { kv: entry.kv, logits: entry.logits!.slice() };
  }

  /** How many leading tokens of `ids` a lookup would reuse, without touching the cache. */
  cachedLength(ids: readonly number[]): number {
    return this.longestMatch(ids).length;
  }

  /** The entry sharing the longest prefix with `ids` (at least minReuse tokens, one left to run), if any. */
  private longestMatch(ids: readonly number[]): { entry?: Entry; length: number } {
    let best: Entry | undefined;
    let bestLength = 0;
    for (const entry of this.entries) {
      const n = commonPrefixLength(entry.ids, ids, Math.min(entry.kv.length, ids.length - 1));
      if (n > bestLength) {
        best = entry;
        bestLength = n;
      }
    }
    return best && bestLength >= this.minReuse ? { entry: best, length: bestLength } : { length: 0 };
  }

  /** Remembers `kv`, which covers exactly `ids`, and a copy of `logits`, its last position's (see `repeat`). */
  store(ids: readonly number[], kv: KvState, logits?: Float32Array): void {
    if (kv.length !== ids.length || kv.length === 0) return;
    // An entry that is a prefix of the new one adds nothing.
    this.entries = this.entries.filter((e) => !(e.ids.length <= ids.length && commonPrefixLength(e.ids, ids, e.ids.length) === e.ids.length));
    this.entries.push({ ids: [...ids], kv, ...(logits !== undefined && { logits: logits.slice() }) });
    let bytes = this.entries.reduce((s, e) => s + entryBytes(e), 0);
    let positions = this.entries.reduce((s, e) => s + e.kv.length, 0);
    while ((bytes > this.maxBytes || positions > this.maxPositions) && this.entries.length > 1) {
      const evicted = this.entries.shift()!;
      bytes -= entryBytes(evicted);
      positions -= evicted.kv.length;
    }
  }

  clear(): void {
    this.entries = [];
  }

  private touch(entry: Entry): void {
    this.entries = [...this.entries.filter((e) => e !== entry), entry];
  }
}

function entryBytes(entry: Entry): number {
  return entry.kv.bytes + (entry.logits?.byteLength ?? 0);
}

function commonPrefixLength(a: readonly number[], b: readonly number[], limit: number): number {
  let i = 0;
  while (i < limit && a[i] === b[i]) i++;
  return i;
}
