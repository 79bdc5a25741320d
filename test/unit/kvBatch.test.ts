// runtime/kvBatch.ts without a model: the prefix lands in row 0, continuations follow their parents (forks, drops and
// swaps; a swap copies nothing, and no copy lands on a row another continuation still reads), a pass's new positions land
// per row and head, a full batch grows keeping every live row's positions, and a pass of n rows sees the first n rows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArenaKv, KV_ARENA_CHUNK, KvArena, reserveRows, writeRows, type KvLayout } from '../../runtime/kvArena';
import { KvRowsBatch } from '../../runtime/kvBatch';
import { mulberry32 } from '../../runtime/sampler';

const layout: KvLayout = { buffers: 2, heads: 2, headDim: 3, elementBytes: 4 };

/** A value that names its buffer, head, position and the continuation (tag) that wrote it. */
const value = (b: number, h: number, p: number, tag: number) => b * 100_000 + tag * 1000 + h * 100 + p;

/** A prefix of `length` positions written with tag 0. */
function prefix(length: number): ArenaKv {
  const kv = new ArenaKv(KvArena.empty(layout, 0), 0);
  const rows = [0, 1].map((b) => Float32Array.from({ length: layout.heads * length * layout.headDim }, (_, i) => value(b, Math.floor(i / (length * 3)), Math.floor(i / 3) % length, 0)));
  return writeRows(reserveRows(kv, length), 0, length, rows);
}

/** One pass's new positions for `tags.length` rows ([rows, heads, 1, head dim] per buffer): row r written by tags[r]. */
function passRows(batch: KvRowsBatch, tags: number[]): Float32Array[] {
  return [0, 1].map((b) => Float32Array.from({ length: tags.length * layout.heads * layout.headDim }, (_, i) => value(b, Math.floor(i / 3) % 2, batch.length, tags[Math.floor(i / 6)]!)));
}

const at = (batch: KvRowsBatch, b: number, row: number, h: number, p: number) => batch.data[b]![((row * layout.heads + h) * batch.capacity + p) * layout.headDim]!;

/** Asserts row `row` holds, at each position, what the continuation tagged tags[p] wrote (0 = the prefix). */
function assertRow(batch: KvRowsBatch, row: number, tags: number[]) {
  assert.equal(tags.length, batch.length);
  for (let p = 0; p < batch.length; p++) {
    for (const b of [0, 1]) for (const h of [0, 1]) assert.equal(at(batch, b, row, h, p), value(b, h, p, tags[p]!), `row ${row}, buffer ${b}, head ${h}, position ${p}`);
  }
}

describe('KvRowsBatch', () => {
  it('holds the prefix in row 0 with room for one more position', () => {
    const batch = new KvRowsBatch(layout, 3, prefix(5));
    assert.equal(batch.length, 5);
    assert.equal(batch.capacity, KV_ARENA_CHUNK);
    assert.equal(batch.data[0]!.length, 3 * layout.heads * KV_ARENA_CHUNK * layout.headDim);
    assertRow(batch, 0, [0, 0, 0, 0, 0]);
  });

  it('forks, drops and swaps continuations by their parents, copying only rows that must move, and appends each row\'s new position', () => {
    const batch = new KvRowsBatch(layout, 3, prefix(2));
    // Three continuations of the prefix: the first stays in row 0, the forks are copied to rows 1 and 2.
    assert.deepEqual(batch.follow([0, 0, 0]), [0, 1, 2]);
    batch.append(passRows(batch, [1, 2, 3]));
    [1, 2, 3].forEach((tag, row) => assertRow(batch, row, [0, 0, tag]));
    // Continuation 0 continues what continuation 2 held (row 2, past the two rows the pass reads: copied to row 1),
    // continuation 1 what continuation 0 held (it stays in row 0); continuation 1 is dropped.
    assert.deepEqual(batch.follow([2, 0]), [1, 0]);
    assert.equal(batch.live, 2);
    batch.append(passRows(batch, [5, 4])); // by row: row 0 is continuation 1, row 1 continuation 0
    assertRow(batch, 1, [0, 0, 3, 4]);
    assertRow(batch, 0, [0, 0, 1, 5]);
    // A swap: each continuation stays in its parent's row, nothing is copied.
    const before = batch.data.map((d) => d.slice());
    assert.deepEqual(batch.follow([1, 0]), [0, 1]);
    assert.deepEqual(batch.data, before);
  });

  it('keeps every continuation\'s positions through random forks and drops, growing on the way', () => {
    for (const seed of [11, 12, 13, 14, 15]) {
      const random = mulberry32(seed);
      const width = 4;
      const start = KV_ARENA_CHUNK - 20;
      const batch = new KvRowsBatch(layout, width, prefix(start));
      let held: number[][] = [new Array<number>(start).fill(0)]; // per continuation, the tag of each position
      for (let step = 1; step <= 40; step++) {
        const n = 1 + Math.floor(random() * width);
        const parents = Array.from({ length: n }, () => Math.floor(random() * held.length));
        const placed = batch.follow(parents);
        assert.deepEqual([...placed].sort((a, b) => a - b), Array.from({ length: n }, (_, r) => r), 'the continuations take rows 0 … n - 1');
        batch.reserveOne();
        const tags = new Array<number>(n);
        placed.forEach((row, r) => (tags[row] = step * 10 + r));
        batch.append(passRows(batch, tags));
        held = parents.map((p, r) => [...held[p]!, step * 10 + r]);
        held.forEach((h, r) => assertRow(batch, placed[r]!, h));
      }
      assert.equal(batch.capacity, 2 * KV_ARENA_CHUNK, `seed ${seed}: grew once`);
    }
  });

  it('grows when full, keeping every live row\'s positions', () => {
    const batch = new KvRowsBatch(layout, 2, prefix(KV_ARENA_CHUNK - 2));
    batch.follow([0, 0]);
    const tags: number[][] = [new Array<number>(KV_ARENA_CHUNK - 2).fill(0), new Array<number>(KV_ARENA_CHUNK - 2).fill(0)];
    for (let step = 1; step <= 4; step++) {
      batch.reserveOne();
      batch.append(passRows(batch, [step, 10 + step]));
      tags[0]!.push(step);
      tags[1]!.push(10 + step);
    }
    assert.equal(batch.capacity, 2 * KV_ARENA_CHUNK);
    assertRow(batch, 0, tags[0]!);
    assertRow(batch, 1, tags[1]!);
  });

  it('gives a pass of n rows the first n rows of every buffer, and refuses parents it does not hold', () => {
    const batch = new KvRowsBatch(layout, 3, prefix(4));
    assert.equal(batch.views(1)[1]!.length, layout.heads * batch.capacity * layout.headDim);
    assert.equal(batch.views(2)[0]!.buffer, batch.data[0]!.buffer);
    assert.throws(() => batch.follow([1]), RangeError, 'only continuation 0 is live at first');
    assert.throws(() => batch.follow([0, 0, 0, 0]), RangeError, 'more continuations than rows');
  });
});
