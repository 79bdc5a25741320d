// An incremental BM25 index over chunks. Postings are append-only arrays with tombstones, compacted when a
// third of the entries are dead, so an edit costs the size of the changed file, not of the workspace. The index
// hands out document ids and reuses them, and the ids of terms no document has, once a compaction has cleared their
// tombstones: re-indexing an open file at every pause in typing would otherwise grow its id-sized arrays and its
// term table for as long as the server runs.
// Queries keep only their most selective terms and score into a reused typed array, so a query over a large
// workspace touches a few thousand postings, not every chunk that shares a common word.

const K1 = 1.2;
const B = 0.75;
/** In a large index, terms in more than this share of the documents carry almost no idf and cost the longest postings. */
const MAX_DF_SHARE = 0.05;
const LARGE_INDEX = 1000;
/** Query terms kept, most selective (idf × weight) first. */
const MAX_QUERY_TERMS = 32;

interface Postings {
  docs: number[];
  tfs: number[];
}

export interface Bm25Hit {
  doc: number;
  score: number;
}

export class Bm25Index {
  private readonly termIds = new Map<string, number>();
  private readonly postings: Postings[] = [];
  /** Live documents' df per term id. */
  private readonly df: number[] = [];
  /** Per document id: its term ids (undefined once removed). */
  private readonly docTerms: (Uint32Array | undefined)[] = [];
  private docLength = new Float64Array(1024);
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
    return this.docTerms.length;
  }

  /** Terms in the term table, those of no live document until the next compaction included. */
  get termCount(): number {
    return this.termIds.size;
  }

  /** Indexes a document and answers its id: a small non-negative integer, possibly one a removed document had. */
  add(counts: ReadonlyMap<string, number>): number {
    const doc = this.freeDocs.pop() ?? this.docTerms.length;
    this.ensureCapacity(doc + 1);
    const ids = new Uint32Array(counts.size);
    let length = 0;
    let i = 0;
    for (const [term, tf] of counts) {
      let id = this.termIds.get(term);
      if (id === undefined) {
        id = this.freeTerms.pop() ?? this.postings.length;
        this.termIds.set(term, id);
        this.postings[id] = { docs: [], tfs: [] };
        this.df[id] = 0;
      }
      this.postings[id]!.docs.push(doc);
      this.postings[id]!.tfs.push(tf);
      this.df[id]!++;
      ids[i++] = id;
      length += tf;
    }
    this.docTerms[doc] = ids;
    this.docLength[doc] = length;
    this.totalLength += length;
    this.liveEntries += ids.length;
    this.liveDocs++;
    return doc;
  }

  remove(doc: number): void {
    const ids = this.docTerms[doc];
    if (ids === undefined) return;
    this.docTerms[doc] = undefined;
    this.releasedDocs.push(doc);
    this.totalLength -= this.docLength[doc]!;
    for (const id of ids) this.df[id]!--;
    this.liveEntries -= ids.length;
    this.deadEntries += ids.length;
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
    const scores = this.scratch;
    const touched: number[] = [];
    for (const { id, idf, weight } of terms.slice(0, MAX_QUERY_TERMS)) {
      const { docs, tfs } = this.postings[id]!;
      for (let i = 0; i < docs.length; i++) {
        const doc = docs[i]!;
        if (this.docTerms[doc] === undefined) continue; // tombstone
        const tf = tfs[i]!;
        if (scores[doc] === 0) touched.push(doc);
        scores[doc] += (idf * weight * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * this.docLength[doc]!) / avgLength));
      }
    }
    const hits: Bm25Hit[] = [];
    for (const doc of touched) {
      if (accept === undefined || accept(doc)) hits.push({ doc, score: scores[doc]! });
      scores[doc] = 0;
    }
    hits.sort((a, b) => b.score - a.score || a.doc - b.doc);
    return hits.slice(0, limit);
  }

  private ensureCapacity(size: number): void {
    if (size <= this.docLength.length) return;
    const capacity = Math.max(size, this.docLength.length * 2);
    const lengths = new Float64Array(capacity);
    lengths.set(this.docLength);
    this.docLength = lengths;
    this.scratch = new Float64Array(capacity);
  }

  private compact(): void {
    for (const p of this.postings) {
      let w = 0;
      for (let r = 0; r < p.docs.length; r++) {
        if (this.docTerms[p.docs[r]!] === undefined) continue;
        p.docs[w] = p.docs[r]!;
        p.tfs[w] = p.tfs[r]!;
        w++;
      }
      p.docs.length = w;
      p.tfs.length = w;
    }
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
