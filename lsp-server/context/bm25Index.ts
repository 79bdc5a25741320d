// An incremental BM25 index over chunks. Postings are append-only with tombstones, compacted when a third of the
// entries are dead, so an edit costs the size of the changed file, not of the workspace. The index hands out
// document ids and reuses them, and the ids of terms no document has, once a compaction has cleared their
// tombstones: re-indexing an open file at every pause in typing would otherwise grow its id-sized arrays and its
// term table for as long as the server runs.
// Postings live in pages of typed arrays, not in two JavaScript arrays per term: a large workspace has hundreds of
// thousands of terms, most in a few chunks, and such arrays cost several times the entries they hold. The index
// keeps no list of a document's terms; whoever removes a document gives them again.
// Queries keep only their most selective terms and score into a reused typed array, so a query over a large
// workspace touches a few thousand postings, not every chunk that shares a common word.

const K1 = 1.2;
const B = 0.75;
/** In a large index, terms in more than this share of the documents carry almost no idf and cost the longest postings. */
const MAX_DF_SHARE = 0.05;
const LARGE_INDEX = 1000;
/** Query terms kept, most selective (idf × weight) first. */
const MAX_QUERY_TERMS = 32;
/** Term counts are kept in 16 bits; BM25's term-frequency factor is flat long before this. */
const MAX_TF = 0xffff;

export interface Bm25Hit {
  doc: number;
  score: number;
}

function grownU32(array: Uint32Array<ArrayBuffer>, size: number, fill = 0): Uint32Array<ArrayBuffer> {
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
class PostingsPool {
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

export class Bm25Index {
  private readonly termIds = new Map<string, number>();
  private readonly postings = new PostingsPool();
  /** Live documents' df per term id. */
  private df = new Uint32Array(1024);
  private nextTerm = 0;
  private nextDoc = 0;
  /** Per document id: 1 while it is indexed. */
  private alive = new Uint8Array(1024);
  private docLength = new Float64Array(1024);
  /** Per document id: its distinct terms, to check that a removal names the terms it was added with. */
  private docTermCount = new Uint32Array(1024);
  private scratch = new Float64Array(1024);
  /** Ids a new document may take: removed before the last compaction, so no posting names them any more. */
  private readonly freeDocs: number[] = [];
  /** Ids removed since the last compaction: tombstones may still name them. */
  private releasedDocs: number[] = [];
  /** Term ids whose term no document had at the last compaction (their postings empty). */
  private readonly freeTerms: number[] = [];
  private liveDocs = 0;
  private totalLength = 0;
  private deadEntries = 0;
  private liveEntries = 0;

  get documentCount(): number {
    return this.liveDocs;
  }

  /** Documents containing `term` (0 for unknown terms). */
  documentFrequency(term: string): number {
    const id = this.termIds.get(term);
    return id === undefined ? 0 : this.df[id]!;
  }

  /** Ids handed out so far, the size of the id-indexed arrays (for tests of their bound). */
  get allocatedIds(): number {
    return this.nextDoc;
  }

  /** Terms in the term table, those of no live document until the next compaction included. */
  get termCount(): number {
    return this.termIds.size;
  }

  /** Indexes a document and answers its id: a small non-negative integer, possibly one a removed document had. */
  add(counts: ReadonlyMap<string, number>): number {
    const doc = this.freeDocs.pop() ?? this.nextDoc++;
    this.ensureDocCapacity(doc + 1);
    let length = 0;
    for (const [term, tf] of counts) {
      let id = this.termIds.get(term);
      if (id === undefined) {
        id = this.freeTerms.pop() ?? this.nextTerm++;
        this.termIds.set(term, id);
        this.postings.ensureTerms(id + 1);
        this.df = grownU32(this.df, id + 1);
      }
      this.postings.append(id, doc, tf);
      this.df[id]!++;
      length += tf;
    }
    this.alive[doc] = 1;
    this.docLength[doc] = length;
    this.docTermCount[doc] = counts.size;
    this.totalLength += length;
    this.liveEntries += counts.size;
    this.liveDocs++;
    return doc;
  }

  /**
   * Removes document `doc`, given the term counts it was added with (the index keeps no copy of them: its caller
   * keeps the chunk they come from).
   */
  remove(doc: number, counts: ReadonlyMap<string, number>): void {
    if (doc >= this.nextDoc || this.alive[doc] === 0) return;
    let length = 0;
    for (const tf of counts.values()) length += tf;
    if (counts.size !== this.docTermCount[doc] || length !== this.docLength[doc]) throw new Error(`BM25 document ${doc} was added with other terms than those given to remove it`);
    this.alive[doc] = 0;
    this.releasedDocs.push(doc);
    this.totalLength -= length;
    for (const term of counts.keys()) this.df[this.termIds.get(term)!]!--;
    this.liveEntries -= counts.size;
    this.deadEntries += counts.size;
    this.liveDocs--;
    if (this.deadEntries > 1000 && this.deadEntries > this.liveEntries / 2) this.compact();
  }

  /** Top `limit` documents for a bag of query terms (term → weight, e.g. its count in the query). */
  search(query: ReadonlyMap<string, number>, limit: number, accept?: (doc: number) => boolean): Bm25Hit[] {
    const n = this.liveDocs;
    if (n === 0) return [];
    const avgLength = this.totalLength / n;
    const terms: { id: number; idf: number; weight: number }[] = [];
    for (const [term, weight] of query) {
      const id = this.termIds.get(term);
      if (id === undefined) continue;
      const df = this.df[id]!;
      if (df === 0 || (n > LARGE_INDEX && df > n * MAX_DF_SHARE)) continue;
      terms.push({ id, idf: Math.log(1 + (n - df + 0.5) / (df + 0.5)), weight });
    }
    terms.sort((a, b) => b.idf * b.weight - a.idf * a.weight);
    const { scratch: scores, alive, docLength } = this;
    const touched: number[] = [];
    for (const { id, idf, weight } of terms.slice(0, MAX_QUERY_TERMS)) {
      this.postings.forEach(id, (doc, tf) => {
        if (alive[doc] === 0) return; // tombstone
        if (scores[doc] === 0) touched.push(doc);
        scores[doc] += (idf * weight * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * docLength[doc]!) / avgLength));
      });
    }
    const hits: Bm25Hit[] = [];
    for (const doc of touched) {
      if (accept === undefined || accept(doc)) hits.push({ doc, score: scores[doc]! });
      scores[doc] = 0;
    }
    hits.sort((a, b) => b.score - a.score || a.doc - b.doc);
    return hits.slice(0, limit);
  }

  private ensureDocCapacity(size: number): void {
    if (size <= this.docLength.length) return;
    const capacity = Math.max(size, this.docLength.length * 2);
    const lengths = new Float64Array(capacity);
    lengths.set(this.docLength);
    this.docLength = lengths;
    const alive = new Uint8Array(capacity);
    alive.set(this.alive);
    this.alive = alive;
    this.docTermCount = grownU32(this.docTermCount, capacity);
    this.scratch = new Float64Array(capacity);
  }

  private compact(): void {
    this.postings.removeDead(this.alive, this.nextTerm);
    this.deadEntries = 0;
    for (const [term, id] of this.termIds) {
      if (this.df[id] !== 0) continue;
      this.termIds.delete(term);
      this.freeTerms.push(id);
    }
    this.freeDocs.push(...this.releasedDocs);
    this.releasedDocs = [];
  }
}
