// Beam search's caches side by side, so that one pass advances every live continuation by a token: each of the
// 2 x layers buffers is [rows, heads, capacity, head dim], each live continuation holding a row. Before a pass, the
// continuations are placed to follow their parents (a continuation may fork into two, or be dropped): a continuation
// stays in its parent's row where it can, and only a fork or a continuation whose parent's row lies past the rows the
// pass reads is copied, into a row no continuation still reads (only the valid positions); a swap copies
// nothing. The pass's token ids and logits are ordered by row. The first `n` rows are a contiguous prefix of
// every buffer, so a pass of n rows reads them as [n, heads, capacity, head dim] views without a copy. Pure logic:
// the backend wraps the buffers in tensors.
import { capacityFor, type ArenaKv, type KvBuffer, type KvLayout } from './kvArena';

export class KvRowsBatch {
  /** Valid positions, the same in every row. */
  length: number;
  capacity: number;
  data: KvBuffer[];
  /** The row of each live continuation, in the order the last `follow` placed them. */
  private placed: readonly number[] = [0];

  /** A batch of `rows` rows whose row 0 holds `prefix`'s positions. */
  constructor(
    readonly layout: KvLayout,
    readonly rows: number,
    prefix: ArenaKv,
  ) {
    this.length = prefix.length;
    this.capacity = capacityFor(prefix.length);
    this.data = this.allocate(this.capacity);
    const { heads, headDim } = layout;
    const from = prefix.arena;
    this.data.forEach((dst, b) => {
      for (let h = 0; h < heads; h++) {
        dst.set(from.data[b]!.subarray(h * from.capacity * headDim, (h * from.capacity + prefix.length) * headDim), h * this.capacity * headDim);
      }
    });
  }

  /**
   * Places continuation r (r < parents.length) in a row holding what continuation parents[r] held, parents indexing
   * the continuations as they were placed by the last call (at first, the prefix alone, in row 0); answers each
   * continuation's row, a permutation of 0 … parents.length - 1. Rows after those are free.
   */
  follow(parents: readonly number[]): readonly number[] {
    const n = parents.length;
    if (n > this.rows) throw new RangeError(`${n} continuations for a batch of ${this.rows} rows`);
    for (const p of parents) if (!(p >= 0 && p < this.placed.length)) throw new RangeError(`continuation ${p} is not live`);
    const sources = parents.map((p) => this.placed[p]!);
    const placed = new Array<number>(n).fill(-1);
    const taken = new Array<boolean>(n).fill(false);
    // The first child of a parent in a row the pass reads stays there: no copy.
    sources.forEach((source, r) => {
      if (source < n && !taken[source]) {
        placed[r] = source;
        taken[source] = true;
      }
    });
    // Every other one is copied into a row no continuation stays in: no parent of this step lies there (the first
    // child of a parent below n stayed in its row), so no copy overwrites a row another copy reads.
    let free = 0;
    sources.forEach((source, r) => {
      if (placed[r] !== -1) return;
      while (taken[free]) free++;
      placed[r] = free;
      taken[free] = true;
      this.data.forEach((d) => this.copyRow(d, source, free));
    });
    this.placed = placed;
    return placed;
  }

  /** Rows holding a continuation (the first `live` rows). */
  get live(): number {
    return this.placed.length;
  }

  /** Room for one more position in every row: a larger batch, copying the valid positions, when it is full. */
  reserveOne(): void {
    if (this.length < this.capacity) return;
    const capacity = capacityFor(this.length);
    const old = { data: this.data, capacity: this.capacity };
    this.data = this.allocate(capacity);
    this.capacity = capacity;
    const { heads, headDim } = this.layout;
    this.data.forEach((dst, b) => {
      for (let row = 0; row < this.live; row++) {
        for (let h = 0; h < heads; h++) {
          const at = (row * heads + h) * headDim;
          dst.set(old.data[b]!.subarray(at * old.capacity, at * old.capacity + this.length * headDim), at * capacity);
        }
      }
    });
  }

  /** The first `n` rows of every buffer, [n, heads, capacity, head dim]. */
  views(n: number): KvBuffer[] {
    return this.data.map((d) => d.subarray(0, this.rowStart(n)));
  }

  /** Writes a pass's new positions ([n, heads, 1, head dim] per buffer, n = live rows) and advances. */
  append(rows: readonly KvBuffer[]): void {
    const { heads, headDim } = this.layout;
    rows.forEach((src, b) => {
      const dst = this.data[b]!;
      for (let row = 0; row < this.live; row++) {
        for (let h = 0; h < heads; h++) {
          const from = (row * heads + h) * headDim;
          dst.set(src.subarray(from, from + headDim), ((row * heads + h) * this.capacity + this.length) * headDim);
        }
      }
    });
    this.length++;
  }

  /** Advances after a pass that wrote its positions into the buffers itself (preallocated presents). */
  advance(): void {
    this.length++;
  }

  private rowStart(row: number): number {
    return row * this.layout.heads * this.capacity * this.layout.headDim;
  }

  /** Copies row `from`'s valid positions, head by head, into row `to` of the same buffer. */
  private copyRow(buffer: KvBuffer, from: number, to: number): void {
    const { heads, headDim } = this.layout;
    for (let h = 0; h < heads; h++) {
      const at = h * this.capacity * headDim;
      buffer.copyWithin(this.rowStart(to) + at, this.rowStart(from) + at, this.rowStart(from) + at + this.length * headDim);
    }
  }

  /**
   * Buffers for `capacity` positions per row, zeroed: a pass reads the positions past the valid ones as masked keys
   * and values, and a masked value still counts as 0 x value (NaN there would spread).
   */
  private allocate(capacity: number): KvBuffer[] {
    const size = this.rows * this.layout.heads * capacity * this.layout.headDim;
    return Array.from({ length: this.layout.buffers }, (): KvBuffer => (this.layout.elementBytes === 2 ? new Uint16Array(size) : new Float32Array(size)));
  }
}
