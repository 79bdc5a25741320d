// runtime/kvArena.ts without a model: rows land per head at their positions, the state at the frontier appends in
// place, any other state copies first (so every state handed out keeps its rows), a full arena grows into a copy,
// and a rollback lets the next pass overwrite the dropped rows in place.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArenaKv, capacityFor, KV_ARENA_CHUNK, KvArena, releaseRows, reserveRows, rewind, rowBits, writeRows, type KvLayout } from '../../runtime/kvArena';

const layout: KvLayout = { buffers: 2, heads: 2, headDim: 3, elementBytes: 4 };
const empty = () => new ArenaKv(KvArena.empty(layout, 0), 0);

/** Rows a pass returns: [heads, count, head dim] per buffer, valued buffer*1000 + head*100 + position (+ tag). */
function passRows(start: number, count: number, tag = 0): Float32Array[] {
  return [0, 1].map((b) =>
    Float32Array.from({ length: layout.heads * count * layout.headDim }, (_, i) => {
      const h = Math.floor(i / (count * layout.headDim));
      const p = start + (Math.floor(i / layout.headDim) % count);
      return b * 1000 + h * 100 + p + tag;
    }),
  );
}

function pass(kv: ArenaKv, count: number, tag = 0): ArenaKv {
  const arena = reserveRows(kv, count);
  return writeRows(arena, kv.length, count, passRows(kv.length, count, tag));
}

/** The value at (buffer, head, position, first element) of a state's arena. */
const at = (kv: ArenaKv, b: number, h: number, p: number) => kv.arena.data[b]![(h * kv.arena.capacity + p) * layout.headDim]!;

function assertRows(kv: ArenaKv, tags: number[]) {
  for (let p = 0; p < kv.length; p++) {
    for (const b of [0, 1]) for (const h of [0, 1]) assert.equal(at(kv, b, h, p), b * 1000 + h * 100 + p + tags[p]!, `buffer ${b}, head ${h}, position ${p}`);
  }
}

describe('KvArena', () => {
  it('writes each head\'s rows at their positions and appends in place at the frontier', () => {
    const prompt = pass(empty(), 5);
    assert.equal(prompt.length, 5);
    assert.equal(prompt.arena.capacity, KV_ARENA_CHUNK);
    const step = pass(prompt, 1);
    assert.equal(step.arena, prompt.arena, 'the frontier state appends in place');
    assertRows(step, [0, 0, 0, 0, 0, 0]);
    assertRows(prompt, [0, 0, 0, 0, 0]);
    // A state holds its whole arena.
    assert.equal(step.bytes, KV_ARENA_CHUNK * layout.buffers * layout.heads * layout.headDim * layout.elementBytes);
  });

  it('copies a state that is not the frontier before a pass, so both continuations keep their rows', () => {
    const prompt = pass(empty(), 4);
    const first = pass(prompt, 2, 10);
    const second = pass(prompt, 2, 20);
    assert.notEqual(second.arena, prompt.arena, 'a second continuation of one state gets its own arena');
    assertRows(first, [0, 0, 0, 0, 10, 10]);
    assertRows(second, [0, 0, 0, 0, 20, 20]);
    const shorter = new ArenaKv(first.arena, 3);
    const third = pass(shorter, 1, 30);
    assertRows(third, [0, 0, 0, 30]);
    assertRows(first, [0, 0, 0, 0, 10, 10]);
  });

  it('grows a full arena into a larger copy, leaving the old states valid', () => {
    let kv = pass(empty(), KV_ARENA_CHUNK - 1);
    const before = kv;
    kv = pass(kv, 2);
    assert.notEqual(kv.arena, before.arena);
    assert.equal(kv.arena.capacity, capacityFor(KV_ARENA_CHUNK + 1));
    assert.equal(kv.arena.capacity % KV_ARENA_CHUNK, 0);
    assertRows(kv, new Array(KV_ARENA_CHUNK + 1).fill(0));
    assertRows(before, new Array(KV_ARENA_CHUNK - 1).fill(0));
  });

  it('rolls back in place: the next pass overwrites the dropped rows without a copy', () => {
    const prompt = pass(empty(), 4);
    const verified = pass(prompt, 3, 10);
    const kept = rewind(verified, 5);
    assert.equal(kept.length, 5);
    assert.equal(kept.arena.frontier, 5);
    const next = pass(kept, 2, 20);
    assert.equal(next.arena, prompt.arena);
    assertRows(next, [0, 0, 0, 0, 10, 20, 20]);
    assertRows(prompt, [0, 0, 0, 0]);
    // A state that is not the frontier only gets shorter: the frontier's rows stay.
    const aside = rewind(new ArenaKv(next.arena, 6), 4);
    assert.equal(aside.length, 4);
    assert.equal(next.arena.frontier, 7);
  });

  it('gives the reserved rows back after a failed pass, so the state appends in place again', () => {
    const prompt = pass(empty(), 4);
    const arena = reserveRows(prompt, 2);
    releaseRows(prompt, arena, 2);
    assert.equal(arena.frontier, 4);
    assert.equal(pass(prompt, 1).arena, prompt.arena);
    // A copy made for the failed pass leaves the original's frontier alone.
    const aside = new ArenaKv(prompt.arena, 3);
    const copy = reserveRows(aside, 1);
    releaseRows(aside, copy, 1);
    assert.equal(prompt.arena.frontier, 5);
  });

  it('keeps a pass\'s float16 rows as bits whatever array type they come in', () => {
    // Where Float16Array exists, onnxruntime hands float16 data in one; Uint16Array.set would convert its values.
    const half = new Int16Array([-1, 0x3c00, -32768]);
    const bits = rowBits(half, 2);
    assert.ok(bits instanceof Uint16Array);
    assert.equal(bits.buffer, half.buffer, 'a view, not a converted copy');
    assert.deepEqual(Array.from(bits), [0xffff, 0x3c00, 0x8000]);
    const floats = new Float32Array([1.5]);
    assert.equal(rowBits(floats, 4), floats);
  });

  it('reserves the rows before the pass returns, so a concurrent pass from the same state copies', () => {
    const prompt = pass(empty(), 4);
    const a = reserveRows(prompt, 1);
    const b = reserveRows(prompt, 1);
    assert.equal(a, prompt.arena);
    assert.notEqual(b, a);
  });
});
