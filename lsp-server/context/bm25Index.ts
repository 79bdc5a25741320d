// An incremental BM25 index over chunks. Postings are append-only with tombstones, compacted when a third of the
// entries are dead, so an edit costs the size of the changed file, not of the workspace. The index hands out
// document ids and reuses them, and the ids of terms no document has, once a compaction has cleared their
// tombstones: re-indexing an open file at every pause in typing would otherwise grow its id-sized arrays and its
// term table for as long as the server runs.
// Postings live in pages of typed arrays (postingsPool.ts). The index keeps no list of a document's terms; whoever
// removes a document gives them again.
// Queries keep only their most selective terms and score into a reused typed array, so a query over a large
// workspace touches a few thousand postings, not every chunk that shares a common word.

import { grownU32, PostingsPool } from './postingsPool';
import { ShardedMap } from './shardedMap';

const K1 = 1.2;
const B = 0.75;
/** In a large index, terms in more than this share of the documents carry almost no idf and cost the longest postings. */
const MAX_DF_SHARE = 0.05;
const LARGE_INDEX = 1000;
/** Query terms kept, most selective (idf × weight) first. */
const MAX_QUERY_TERMS = 32;

export interface Bm25Hit {
  doc: number;
  score: number;
}

/** Whether `a` ranks below `b`: a lower score, or the same score and a higher id. */
function ranksBelow(scores: Float64Array, a: number, b: number): boolean {
  return scores[a]! < scores[b]! || (scores[a] === scores[b] && a > b);
}

/**
 * The best `limit` documents of `touched` that `accept` takes, best first: through a heap of `limit` entries, not a
 * sort of every document the query touched (12,000 on average for a query on an 80,000-chunk index).
 */
function bestHits(touched: readonly number[], scores: Float64Array, limit: number, accept?: (doc: number) => boolean): Bm25Hit[] {
  // A min-heap by rank: its root is the worst document kept.
  const heap: number[] = [];
  const siftDown = (from: number): void => {
    for (let i = from; ; ) {
      const left = 2 * i + 1;
      if (left >= heap.length) return;
      const worse = left + 1 < heap.length && ranksBelow(scores, heap[left + 1]!, heap[left]!) ? left + 1 : left;
      if (!ranksBelow(scores, heap[worse]!, heap[i]!)) return;
      [heap[i], heap[worse]] = [heap[worse]!, heap[i]!];
      i = worse;
    }
  };
  if (limit <= 0) return [];
  for (const doc of touched) {
    // Asked only of documents that would be kept: the filter may cost more than the comparison.
    if (heap.length === limit && !ranksBelow(scores, heap[0]!, doc)) continue;
    if (accept !== undefined && !accept(doc)) continue;
    if (heap.length < limit) {
      heap.push(doc);
      for (let i = heap.length - 1; i > 0 && ranksBelow(scores, heap[i]!, heap[(i - 1) >> 1]!); i = (i - 1) >> 1) {
        [heap[i], heap[(i - 1) >> 1]] = [heap[(i - 1) >> 1]!, heap[i]!];
      }
    } else if (ranksBelow(scores, heap[0]!, doc)) {
      heap[0] = doc;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (ranksBelow(scores, a, b) ? 1 : ranksBelow(scores, b, a) ? -1 : 0)).map((doc) => ({ doc, score: scores[doc]! }));
}

export class Bm25Index {
  private readonly termIds = new ShardedMap<number>();
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
    const hits = bestHits(touched, scores, limit, accept);
    for (const doc of touched) scores[doc] = 0;
    return hits;
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
