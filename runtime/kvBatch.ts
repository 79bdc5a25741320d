// Beam search's caches side by side, so that one pass advances every live continuation by a token: each of the
// 2 x layers buffers is [rows, heads, capacity, head dim], row r being continuation r's cache. Before a pass, rows
// are rearranged to follow their parents (a continuation may fork into two rows, or be dropped); only the valid
// positions are copied. The first `n` rows are a contiguous prefix of every buffer, so a pass of n rows reads them
// as [n, heads, capacity, head dim] views without a copy. Pure logic: the backend wraps the buffers in tensors.
import { capacityFor, type ArenaKv, type KvBuffer, type KvLayout } from './kvArena';

export class KvRowsBatch {
  /** Valid positions, the same in every row. */
  length: number;
  capacity: number;
  data: KvBuffer[];
  /** Rows holding a continuation (rows past it are free). */
  live = 1;

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
   * Makes row r hold what row parents[r] held, for every r < parents.length (parents index the rows as they were
   * before this call, and must be live); the rows after them become free.
   */
  follow(parents: readonly number[]): void {
    if (parents.length > this.rows) throw new RangeError(`${parents.length} continuations for a batch of ${this.rows} rows`);
    for (const p of parents) if (!(p >= 0 && p < this.live)) throw new RangeError(`row ${p} is not live`);
    // A row that is overwritten while a later row still reads it is read from a copy taken first.
    const overwritten = new Set(parents.flatMap((p, r) => (p !== r ? [r] : [])));
    const saved = new Map<number, KvBuffer[]>();
    parents.forEach((p, r) => {
      if (p !== r && overwritten.has(p) && !saved.has(p)) saved.set(p, this.data.map((d) => d.slice(this.rowStart(p), this.rowStart(p + 1))));
    });
    parents.forEach((p, r) => {
      if (p === r) return;
      const source = saved.get(p);
      this.data.forEach((d, b) => this.copyRow(source ? source[b]! : d.subarray(this.rowStart(p), this.rowStart(p + 1)), d, r));
    });
    this.live = parents.length;
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

  /** Copies a row's valid positions, head by head, from `source` (one row) into row `row` of `dst`. */
  private copyRow(source: KvBuffer, dst: KvBuffer, row: number): void {
    const { heads, headDim } = this.layout;
    for (let h = 0; h < heads; h++) {
      const at = h * this.capacity * headDim;
      dst.set(source.subarray(at, at + this.length * headDim), this.rowStart(row) + at);
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
