// A Map of hundreds of thousands of keys rehashes all of them at once when it grows: 50 ms at 262,144 keys and 100 ms
// at 524,288 on this machine, on the server's thread, while a large workspace's terms are indexed. Split into 64
// Maps by a cheap hash of the key, each grows a share at a time (336,007 terms: 3.8 against 48.9 ms at most). A
// lookup costs more (~110 against ~60-90 ns), so this is for tables that grow that large, not for hot caches.

const SHARDS = 64;

/** Length and three characters: spreads a large workspace's 336,007 terms at 4,565-6,097 a shard. */
function shardOf(key: string): number {
  const n = key.length;
  if (n === 0) return 0;
  return (n + key.charCodeAt(0) * 7 + key.charCodeAt(n - 1) * 31 + key.charCodeAt(n >> 1) * 131) & (SHARDS - 1);
}

/** A string-keyed Map in shards; iteration goes shard by shard (not in insertion order). */
export class ShardedMap<V> {
  private readonly shards = Array.from({ length: SHARDS }, () => new Map<string, V>());
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.shards[shardOf(key)]!.get(key);
  }

  set(key: string, value: V): void {
    const shard = this.shards[shardOf(key)]!;
    const before = shard.size;
    shard.set(key, value);
    this.count += shard.size - before;
  }

  delete(key: string): boolean {
    const deleted = this.shards[shardOf(key)]!.delete(key);
    if (deleted) this.count--;
    return deleted;
  }

  clear(): void {
    for (const shard of this.shards) shard.clear();
    this.count = 0;
  }

  /** Deleting the entry just visited is allowed, as with a Map. */
  *[Symbol.iterator](): IterableIterator<[string, V]> {
    for (const shard of this.shards) yield* shard;
  }
}
