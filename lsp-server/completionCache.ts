// Recent completions, so that typing the characters of a suggestion that is showing keeps the rest of it showing
// without a new model run. Keyed by document, the text before the cursor (its last `prefixChars`) and the start
// of the text after it; least recently used entries go first.

export interface CompletionCacheOptions {
  /** Most completions kept. */
  maxEntries: number;
  /** Characters before the cursor that must match (the key's bounded prefix). */
  prefixChars: number;
  /** Characters after the cursor that must match; any other change there invalidates the entry. */
  suffixChars: number;
}

export const DEFAULT_CACHE_OPTIONS: CompletionCacheOptions = { maxEntries: 32, prefixChars: 2000, suffixChars: 200 };

interface Entry {
  uri: string;
  /** The last `prefixChars` characters before the cursor when the completion was made. */
  prefix: string;
  suffix: string;
  completion: string;
}

export class CompletionCache {
  /** Insertion order is recency order: the first entry is the least recently used. */
  private entries: Entry[] = [];

  constructor(private readonly options: CompletionCacheOptions = DEFAULT_CACHE_OPTIONS) {}

  get size(): number {
    return this.entries.length;
  }

  /** Remembers the completion shown for the cursor between `prefix` and `suffix` (empty ones are not kept). */
  store(uri: string, prefix: string, suffix: string, completion: string): void {
    if (completion === '') return;
    const entry: Entry = { uri, prefix: this.boundPrefix(prefix), suffix: this.boundSuffix(suffix), completion };
    this.entries = this.entries.filter((e) => !(e.uri === uri && e.prefix === entry.prefix && e.suffix === entry.suffix));
    this.entries.push(entry);
    if (this.entries.length > this.options.maxEntries) this.entries.shift();
  }

  /**
   * The rest of a cached completion when the text before the cursor is a cached prefix followed by one or more
   * of the first characters of its completion, and the text after the cursor is unchanged. A request at the
   * cached cursor itself misses (it is a retrigger or a retry, which asks the model again), and so does a
   * completion typed to its end (what follows needs the model), and one typed more than `maxTyped` characters into.
   * Entries whose prefix matches but whose suffix changed are dropped. `atCachedCursor`: a request at the cached
   * cursor itself hits too (with the suggest widget open, keystrokes that keep its selected item give the same text).
   */
  lookup(uri: string, prefix: string, suffix: string, maxTyped = Infinity, atCachedCursor = false): string | undefined {
    const boundedSuffix = this.boundSuffix(suffix);
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!;
      if (entry.uri !== uri) continue;
      const typed = typedLength(entry, prefix, this.options.prefixChars, atCachedCursor ? 0 : 1);
      if (typed === undefined || typed > maxTyped) continue;
      if (entry.suffix !== boundedSuffix) {
        this.entries.splice(i, 1);
        continue;
      }
      this.entries.splice(i, 1);
      this.entries.push(entry);
      return entry.completion.slice(typed);
    }
    return undefined;
  }

  /** Forgets every completion of one document, or all of them (the model changed). */
  clear(uri?: string): void {
    this.entries = uri === undefined ? [] : this.entries.filter((e) => e.uri !== uri);
  }

  private boundPrefix(prefix: string): string {
    return prefix.length > this.options.prefixChars ? prefix.slice(-this.options.prefixChars) : prefix;
  }

  private boundSuffix(suffix: string): string {
    return suffix.slice(0, this.options.suffixChars);
  }
}

/**
 * How many characters of `entry.completion` were typed after its prefix to make `prefix`, or `undefined` when
 * `prefix` is not the entry's prefix plus a proper start of its completion.
 */
function typedLength(entry: Entry, prefix: string, prefixChars: number, fewest: number): number | undefined {
  const { completion } = entry;
  for (let typed = fewest; typed < completion.length; typed++) {
    // Cheap test first: the character before the cursor must be the last one typed.
    if (typed > 0 && prefix[prefix.length - 1] !== completion[typed - 1]) continue;
    if (!prefix.endsWith(completion.slice(0, typed))) continue;
    const before = prefix.slice(0, prefix.length - typed);
    // The entry kept only the last `prefixChars` characters; compare the same window of the request.
    const window = before.length > prefixChars ? before.slice(-prefixChars) : before;
    if (window === entry.prefix) return typed;
  }
  return undefined;
}
