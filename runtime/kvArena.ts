// A KV cache that grows in place. Each layer's key and value live in one buffer of [heads, capacity, head dim];
// a pass reads the whole buffer as its past (the attention reads the valid length from the attention mask), and the
// rows it adds land after the valid ones: written here from the pass's rows outputs, or in place by onnxruntime
// where the buffer is also the pass's preallocated present (ortBackend.ts, KvCacheMode). So a decode step no longer
// gets the whole cache back as new JS buffers (that copy, its allocation and the garbage collections it caused made
// the default model's steps at 512-768 positions 1.08-1.20x slower, bench/results/kv-cache-2026-12-05.md).
//
// States share buffers: a state is (arena, length), and only the state at the arena's frontier may append in place.
// Appending from an earlier state copies its rows into a new arena first (copy on write), so every state handed out
// stays valid, as DecoderModel promises, except that `rewind` gives up the rows after its length. Pure logic: the
// backend wraps the buffers in tensors.
import type { KvState } from './decoderModel';

export type KvBuffer = Float32Array | Uint16Array;

/** Capacity is a multiple of this many positions; growing by it copies the cache once per that many steps. */
export const KV_ARENA_CHUNK = 64;

export interface KvLayout {
  /** Buffers per pass: two per layer (key, value). */
  buffers: number;
  heads: number;
  headDim: number;
  /** Bytes per element (2 for float16, 4 for float32). */
  elementBytes: number;
}

export class KvArena {
  /** Positions written so far; only a state of exactly this length appends in place. */
  frontier = 0;

  constructor(
    readonly layout: KvLayout,
    readonly capacity: number,
    readonly data: KvBuffer[],
  ) {}

  static empty(layout: KvLayout, capacity: number): KvArena {
    return KvArena.holding(undefined, layout, capacity, 0);
  }

  /**
   * A new arena of `capacity` holding the first `positions` rows of `from`. Its memory is not zeroed first (that
   * would write every page the copy then writes again): only the rows past `positions` are zeroed, because a pass
   * reads them as masked keys and values, and a masked value still counts as 0 × value (NaN there would spread).
   */
  static holding(from: KvArena | undefined, layout: KvLayout, capacity: number, positions: number): KvArena {
    const { heads, headDim, elementBytes } = layout;
    const size = heads * capacity * headDim;
    const data = Array.from({ length: layout.buffers }, (): KvBuffer => {
      const bytes = Buffer.allocUnsafeSlow(size * elementBytes);
      return elementBytes === 2 ? new Uint16Array(bytes.buffer, bytes.byteOffset, size) : new Float32Array(bytes.buffer, bytes.byteOffset, size);
    });
    data.forEach((dst, b) => {
      for (let h = 0; h < heads; h++) {
        const start = h * capacity * headDim;
        if (from) dst.set(from.data[b]!.subarray(h * from.capacity * headDim, (h * from.capacity + positions) * headDim), start);
        dst.fill(0, start + positions * headDim, start + capacity * headDim);
      }
    });
    return new KvArena(layout, capacity, data);
  }
}

export class ArenaKv implements KvState {
  /** The whole arena's: a state keeps all of it alive (states sharing one count it each, erring high). */
  readonly bytes: number;

  constructor(
    readonly arena: KvArena,
    readonly length: number,
  ) {
    const { buffers, heads, headDim, elementBytes } = arena.layout;
    this.bytes = arena.capacity * buffers * heads * headDim * elementBytes;
  }
}

/** Capacity for `positions`: the smallest multiple of the chunk with at least one row free after them. */
export function capacityFor(positions: number): number {
  return Math.ceil((positions + 1) / KV_ARENA_CHUNK) * KV_ARENA_CHUNK;
}

/**
 * Reserves the rows a pass of `count` positions after `kv` writes: in kv's own arena when kv is its frontier and the
 * rows fit, else in a new one holding a copy of kv's rows (kv and every other state stay as they were). The frontier
 * moves at once, so a pass started from the same state before this one returns copies instead of sharing rows.
 */
export function reserveRows(kv: ArenaKv, count: number): KvArena {
  const { arena, length } = kv;
  const needed = length + count;
  let target = arena;
  if (length !== arena.frontier || needed > arena.capacity) {
    target = KvArena.holding(arena, arena.layout, capacityFor(needed), length);
  }
  target.frontier = needed;
  return target;
}

/** Writes a pass's rows ([heads, count, head dim] per buffer, as reserved) at positions start .. start + count - 1. */
export function writeRows(arena: KvArena, start: number, count: number, rows: readonly KvBuffer[]): ArenaKv {
  const { heads, headDim } = arena.layout;
  rows.forEach((src, b) => {
    const dst = arena.data[b]!;
    for (let h = 0; h < heads; h++) dst.set(src.subarray(h * count * headDim, (h + 1) * count * headDim), (h * arena.capacity + start) * headDim);
  });
  return new ArenaKv(arena, start + count);
}

/** Undoes reserveRows for a pass that failed, so later passes from `kv` append in place again. */
export function releaseRows(kv: ArenaKv, arena: KvArena, count: number): void {
  if (arena === kv.arena && arena.frontier === kv.length + count) arena.frontier = kv.length;
}

/**
 * A pass's rows as the arena's element type. A float16 tensor's data may come as a Float16Array (onnxruntime-common
 * uses one where the runtime has it: Node 24, recent Electron); copying that into a Uint16Array would convert the
 * values instead of keeping their bits.
 */
export function rowBits(data: ArrayBufferView, elementBytes: number): KvBuffer {
  if (elementBytes === 2) return data instanceof Uint16Array ? data : new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
  return data instanceof Float32Array ? data : new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4);
}

/**
 * The first `length` positions of `kv`, for a caller that gives `kv` up (rejected speculative tokens): the arena's
 * frontier moves back, so the next pass overwrites the dropped rows in place. States longer than `length` on this
 * arena become invalid; a caller holds none (the prefix cache keeps prompts, which rewinds never cut into).
 */
export function rewind(kv: ArenaKv, length: number): ArenaKv {
  if (length >= kv.length) return kv;
  if (kv.length === kv.arena.frontier) kv.arena.frontier = length;
  return new ArenaKv(kv.arena, length);
}
