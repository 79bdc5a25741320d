// Every term's postings (document id, term count) in pages of typed arrays, not in two JavaScript arrays per term: a
// large workspace has hundreds of thousands of terms, most in one or two chunks, and such arrays cost several times
// the entries they hold (158 MB for 3.6 M entries on a 6,078-file folder; the pages take 44 MB).

/** Term counts are kept in 16 bits; BM25's term-frequency factor is flat long before this. */
const MAX_TF = 0xffff;

/** `array`, or a copy of it at least `size` long (twice as long at least), its new slots set to `fill`. */
export function grownU32(array: Uint32Array<ArrayBuffer>, size: number, fill = 0): Uint32Array<ArrayBuffer> {
  if (size <= array.length) return array;
  const grown = new Uint32Array(Math.max(size, array.length * 2)).fill(fill, array.length);
  grown.set(array);
  return grown;
}

/** Slots per page: pages are allocated one at a time, so the pool never copies or zero-fills more than one page at once. */
const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;
const FIRST_BLOCK = 4;
const MAX_BLOCK = 512;
const NONE = 0xffffffff;

/**
 * Every term's postings in pages of typed arrays, as a chain of blocks each twice the size of the one before (up to
 * MAX_BLOCK). A block's first slot holds the address of the next block (in `docs`) and its own size (in `tfs`).
 * Entries never move, so there is nothing to repack; a chain emptied by a compaction is refilled from its head.
 */
export class PostingsPool {
  private readonly docPages: Uint32Array[] = [];
  private readonly tfPages: Uint16Array[] = [];
  /** Next free address: the current page is full when it reaches the page's end. */
  private top = 0;
  private head = new Uint32Array(1024).fill(NONE);
  private tail = new Uint32Array(1024);
  /** Entries in each term's tail block. */
  private tailFill = new Uint32Array(1024);
  private length = new Uint32Array(1024);

  /** Makes room for term ids below `size` (a new id starts with no block). */
  ensureTerms(size: number): void {
    if (size <= this.head.length) return;
    this.head = grownU32(this.head, size, NONE);
    this.tail = grownU32(this.tail, size);
    this.tailFill = grownU32(this.tailFill, size);
    this.length = grownU32(this.length, size);
  }

  append(term: number, doc: number, tf: number): void {
    let block = this.tail[term]!;
    if (this.head[term] === NONE) {
      block = this.allocate(FIRST_BLOCK);
      this.head[term] = block;
      this.tail[term] = block;
      this.tailFill[term] = 0;
    } else if (this.tailFill[term] === this.sizeOf(block) - 1) {
      let next = this.docPages[block >>> PAGE_BITS]![block & (PAGE - 1)]!;
      if (next === NONE) {
        next = this.allocate(Math.min(this.sizeOf(block) * 2, MAX_BLOCK));
        this.docPages[block >>> PAGE_BITS]![block & (PAGE - 1)] = next;
      }
      block = next;
      this.tail[term] = block;
      this.tailFill[term] = 0;
    }
    const at = (block & (PAGE - 1)) + 1 + this.tailFill[term]!++;
    this.docPages[block >>> PAGE_BITS]![at] = doc;
    this.tfPages[block >>> PAGE_BITS]![at] = Math.min(tf, MAX_TF);
    this.length[term]!++;
  }

  /** Calls `visit` with each of `term`'s entries, oldest first. */
  forEach(term: number, visit: (doc: number, tf: number) => void): void {
    let block = this.head[term]!;
    for (let left = this.length[term]!; left > 0; ) {
      const docs = this.docPages[block >>> PAGE_BITS]!;
      const tfs = this.tfPages[block >>> PAGE_BITS]!;
      const first = (block & (PAGE - 1)) + 1;
      const end = first + Math.min(tfs[first - 1]! - 1, left);
      for (let i = first; i < end; i++) visit(docs[i]!, tfs[i]!);
      left -= end - first;
      block = docs[first - 1]!;
    }
  }

  /** Drops the entries of documents `alive` rejects, keeping each term's order and its blocks. */
  removeDead(alive: Uint8Array, terms: number): void {
    for (let t = 0; t < terms; t++) {
      if (this.length[t] === 0) continue;
      let writeBlock = this.head[t]!;
      let written = 0;
      let writeFill = 0;
      let readBlock = writeBlock;
      for (let left = this.length[t]!; left > 0; ) {
        const readDocs = this.docPages[readBlock >>> PAGE_BITS]!;
        const readTfs = this.tfPages[readBlock >>> PAGE_BITS]!;
        const first = (readBlock & (PAGE - 1)) + 1;
        const end = first + Math.min(readTfs[first - 1]! - 1, left);
        for (let i = first; i < end; i++) {
          if (alive[readDocs[i]!] === 0) continue;
          if (writeFill === this.sizeOf(writeBlock) - 1) {
            writeBlock = this.docPages[writeBlock >>> PAGE_BITS]![writeBlock & (PAGE - 1)]!;
            writeFill = 0;
          }
          const at = (writeBlock & (PAGE - 1)) + 1 + writeFill++;
          this.docPages[writeBlock >>> PAGE_BITS]![at] = readDocs[i]!;
          this.tfPages[writeBlock >>> PAGE_BITS]![at] = readTfs[i]!;
          written++;
        }
        left -= end - first;
        readBlock = readDocs[first - 1]!;
      }
      this.length[t] = written;
      this.tail[t] = writeBlock;
      this.tailFill[t] = writeFill;
    }
  }

  private sizeOf(block: number): number {
    return this.tfPages[block >>> PAGE_BITS]![block & (PAGE - 1)]!;
  }

  private allocate(size: number): number {
    if (this.top + size > this.docPages.length * PAGE) {
      this.top = this.docPages.length * PAGE;
      this.docPages.push(new Uint32Array(PAGE));
      this.tfPages.push(new Uint16Array(PAGE));
    }
    const block = this.top;
    this.top += size;
    this.docPages[block >>> PAGE_BITS]![block & (PAGE - 1)] = NONE;
    this.tfPages[block >>> PAGE_BITS]![block & (PAGE - 1)] = size;
    return block;
  }
}
