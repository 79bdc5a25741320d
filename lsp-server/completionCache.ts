// Recent completions, so that typing the characters of a suggestion that is showing keeps the rest of it showing
// without a new model run. Keyed by document, the text before the cursor (its last `prefixChars`) and the start
// of the text after it (where the editor may have put the closers of openers typed from the completion); least
// recently used entries go first.

export interface CompletionCacheOptions {
  /** Most completions kept. */
  maxEntries: number;
  /** Characters before the cursor that must match (the key's bounded prefix). */
  prefixChars: number;
  /** Characters after the cursor that must match; any other change there invalidates the entry. */
  suffixChars: number;
}

export const DEFAULT_CACHE_OPTIONS: CompletionCacheOptions = { maxEntries: 32, prefixChars: 2000, suffixChars: 200 };

/** The rest of a cached completion, and what the editor put after the cursor while its start was typed. */
export interface CachedRest {
  text: string;
  /**
   * Closers between the cursor and the text that followed it when the completion was made: the editor's auto-closing
   * (VS Code's `editor.autoClosingBrackets` / `autoClosingQuotes`) closed openers typed from the completion. `text`
   * may still have its own copy of them; '' when the text after the cursor is unchanged.
   */
  autoClosed: string;
  /** What {@link CompletionCache.store} was given to name the completion's origin (its request's telemetry id). */
  origin?: string;
  /** The completion's place among those offered with it ({@link CompletionCache.storeOffered}): 0 the answer. */
  rank: number;
}

interface Entry {
  uri: string;
  /** The last `prefixChars` characters before the cursor when the completion was made. */
  prefix: string;
  suffix: string;
  completion: string;
  origin: string | undefined;
  rank: number;
  /** Only part of what the model would write (cut where it grew unsure, or at the time limit). */
  partial: boolean;
}

export class CompletionCache {
  /** Insertion order is recency order: the first entry is the least recently used. */
  private entries: Entry[] = [];

  constructor(private readonly options: CompletionCacheOptions = DEFAULT_CACHE_OPTIONS) {}

  get size(): number {
    return this.entries.length;
  }

  /**
   * Remembers the completion shown for the cursor between `prefix` and `suffix` (empty ones are not kept); `origin`
   * names where it came from, and is given back with each rest of it.
   */
  store(uri: string, prefix: string, suffix: string, completion: string, origin?: string): void {
    this.storeOffered(uri, prefix, suffix, [completion], { origin });
  }

  /**
   * {@link store} for every suggestion offered at one cursor, the first being the answer (the others come after it,
   * VS Code's Alt+]): typing the start of any keeps its rest showing. They replace what was kept for that cursor.
   * `partial`: the answer is only part of what the model would write ({@link partialAt}).
   */
  storeOffered(uri: string, prefix: string, suffix: string, completions: readonly string[], { origin, partial = false }: { origin?: string | undefined; partial?: boolean } = {}): void {
    const key = { uri, prefix: this.boundPrefix(prefix), suffix: this.boundSuffix(suffix) };
    this.entries = this.entries.filter((e) => !(e.uri === uri && e.prefix === key.prefix && e.suffix === key.suffix));
    // The answer last: entries are searched newest first.
    for (let rank = completions.length - 1; rank >= 0; rank--) {
      const completion = completions[rank]!;
      if (completion !== '') this.entries.push({ ...key, completion, origin, rank, partial: partial && rank === 0 });
    }
    while (this.entries.length > this.options.maxEntries) this.entries.shift();
  }

  /**
   * The rest of a cached completion when the text before the cursor is a cached prefix followed by one or more
   * of the first characters of its completion, and the text after the cursor is unchanged. A request at the
   * cached cursor itself misses (it is a retrigger or a retry, which asks the model again), and so does a
   * completion typed to its end (what follows needs the model), and one typed more than `maxTyped` characters into.
   * Entries whose prefix matches but whose suffix changed are dropped. `atCachedCursor`: a request at the cached
   * cursor itself hits too (with the suggest widget open, keystrokes that keep its selected item give the same text).
   * The rest is given whole, also where the editor auto-closed openers typed from it ({@link lookupRest} says so).
   */
  lookup(uri: string, prefix: string, suffix: string, maxTyped = Infinity, atCachedCursor = false): string | undefined {
    return this.lookupRest(uri, prefix, suffix, maxTyped, atCachedCursor)?.text;
  }

  /**
   * {@link lookup}, with the closers the editor auto-inserted after the cursor for openers typed from the completion:
   * a suffix that differs from the cached one only by such closers in front of it is not a change.
   */
  lookupRest(uri: string, prefix: string, suffix: string, maxTyped = Infinity, atCachedCursor = false): CachedRest | undefined {
    return this.lookupRests(uri, prefix, suffix, maxTyped, atCachedCursor)[0];
  }

  /**
   * {@link lookupRest} for every cached completion the typed text continues, most recently used first: the suggestions
   * offered at one cursor (`storeOffered`) that still match stay on offer, the answer first until the user has typed
   * into another alone (then that one, as the user's choice).
   */
  lookupRests(uri: string, prefix: string, suffix: string, maxTyped = Infinity, atCachedCursor = false): CachedRest[] {
    const hits: { entry: Entry; rest: CachedRest }[] = [];
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!;
      if (entry.uri !== uri) continue;
      const typed = typedLength(entry, prefix, this.options.prefixChars, atCachedCursor ? 0 : 1);
      if (typed === undefined || typed > maxTyped) continue;
      const autoClosed = autoClosedSuffix(entry.completion.slice(0, typed), entry.suffix, suffix, this.options.suffixChars);
      this.entries.splice(i, 1);
      if (autoClosed === undefined) continue;
      hits.push({ entry, rest: { text: entry.completion.slice(typed), autoClosed, rank: entry.rank, ...(entry.origin !== undefined && { origin: entry.origin }) } });
    }
    // Used now: the most recent again, in the order they had.
    for (const { entry } of [...hits].reverse()) this.entries.push(entry);
    return hits.map((hit) => hit.rest);
  }

  /**
   * The cached completions typed out to their end after their prefix, with the text after the cursor unchanged but for
   * closers the editor still holds for openers typed from them; they are forgotten (what follows needs the model).
   */
  takeTypedOut(uri: string, prefix: string, suffix: string): { origin: string | undefined; rank: number }[] {
    const typedOut = this.entries.filter(
      (entry) =>
        entry.uri === uri &&
        prefix.endsWith(entry.completion) &&
        windowBefore(prefix, entry.completion.length, this.options.prefixChars) === entry.prefix &&
        autoClosedSuffix(entry.completion, entry.suffix, suffix, this.options.suffixChars) !== undefined,
    );
    this.entries = this.entries.filter((entry) => !typedOut.includes(entry));
    return typedOut.map(({ origin, rank }) => ({ origin, rank }));
  }

  /**
   * Where the cursor is in a cached answer that was only part of what the model would write (stored `partial`): its
   * characters typed so far (none at its own cursor), the text after the cursor unchanged. The user's ask there wants
   * the rest. Undefined where the answer the cursor is in was whole, or none is.
   */
  partialAt(uri: string, prefix: string, suffix: string): { typed: string } | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!;
      if (entry.uri !== uri || entry.rank !== 0 || entry.suffix !== this.boundSuffix(suffix)) continue;
      const typed = typedLength(entry, prefix, this.options.prefixChars, 0);
      if (typed !== undefined) return entry.partial ? { typed: entry.completion.slice(0, typed) } : undefined;
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
    if (windowBefore(prefix, typed, prefixChars) === entry.prefix) return typed;
  }
  return undefined;
}

/** The last `prefixChars` characters before the `typed` last ones of `prefix`: the window an entry's prefix kept. */
function windowBefore(prefix: string, typed: number, prefixChars: number): string {
  const before = prefix.slice(0, prefix.length - typed);
  return before.length > prefixChars ? before.slice(-prefixChars) : before;
}

const CLOSER_OF: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}', '"': '"', "'": "'", '`': '`' };
/** Most ways of auto-closing the openers of one typed text that are followed (each opener doubles them). */
const MAX_CLOSER_STATES = 64;

/**
 * The closers in front of `suffix` that the editor auto-inserted while `typed` was typed, when `suffix` is the cached
 * one behind them (compared over the first `suffixChars` characters); '' when it is the cached one itself, undefined
 * when it changed otherwise.
 */
function autoClosedSuffix(typed: string, cachedSuffix: string, suffix: string, suffixChars: number): string | undefined {
  for (const closers of closersAfterTyping(typed)) {
    if (suffix.startsWith(closers) && suffix.slice(closers.length, suffixChars) === cachedSuffix.slice(0, suffixChars - closers.length)) return closers;
  }
  return undefined;
}

/**
 * What may stand between the cursor and the text that followed it once `typed` is typed there, '' first: each opener
 * may have gained its closer behind the cursor (whether it does depends on the language and on what follows), and a
 * typed character that is the next such closer types over it (VS Code's `editor.autoClosingOvertype`).
 */
function closersAfterTyping(typed: string): string[] {
  let states = [''];
  for (const ch of typed) {
    const next = new Set<string>();
    for (const closers of states) {
      if (closers.startsWith(ch)) {
        next.add(closers.slice(1));
        continue;
      }
      next.add(closers);
      const closer = CLOSER_OF[ch];
      if (closer !== undefined && next.size < MAX_CLOSER_STATES) next.add(closer + closers);
    }
    states = [...next];
  }
  return states.includes('') ? ['', ...states.filter((s) => s !== '')] : states;
}
