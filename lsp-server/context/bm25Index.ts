// An incremental BM25 index over chunks. Postings are append-only arrays with tombstones, compacted when a
// third of the entries are dead, so an edit costs the size of the changed file, not of the workspace.

const K1 = 1.2;
const B = 0.75;
/** Terms in more than this share of the documents carry almost no idf and cost the longest postings. */
const MAX_DF_SHARE = 0.25;

interface Postings {
  docs: number[];
  tfs: number[];
}

interface DocEntry {
  length: number;
  termIds: Uint32Array;
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
  private readonly docs = new Map<number, DocEntry>();
  private totalLength = 0;
  private deadEntries = 0;
  private liveEntries = 0;

  get documentCount(): number {
    return this.docs.size;
  }

  has(doc: number): boolean {
    return this.docs.has(doc);
  }

  /** Documents containing `term` (0 for unknown terms). */
  documentFrequency(term: string): number {
    const id = this.termIds.get(term);
    return id === undefined ? 0 : this.df[id]!;
  }

  /** `doc` must be a fresh id: removed ids linger in postings as tombstones until compaction. */
  add(doc: number, counts: ReadonlyMap<string, number>): void {
    if (this.docs.has(doc)) throw new Error(`document ${doc} is already indexed`);
    const ids = new Uint32Array(counts.size);
    let length = 0;
    let i = 0;
    for (const [term, tf] of counts) {
      let id = this.termIds.get(term);
      if (id === undefined) {
        id = this.postings.length;
        this.termIds.set(term, id);
        this.postings.push({ docs: [], tfs: [] });
        this.df.push(0);
      }
      this.postings[id]!.docs.push(doc);
      this.postings[id]!.tfs.push(tf);
      this.df[id]!++;
      ids[i++] = id;
      length += tf;
    }
    this.docs.set(doc, { length, termIds: ids });
    this.totalLength += length;
    this.liveEntries += ids.length;
  }

  remove(doc: number): void {
    const entry = this.docs.get(doc);
    if (entry === undefined) return;
    this.docs.delete(doc);
    this.totalLength -= entry.length;
    for (const id of entry.termIds) this.df[id]!--;
    this.liveEntries -= entry.termIds.length;
    this.deadEntries += entry.termIds.length;
    if (this.deadEntries > 1000 && this.deadEntries > this.liveEntries / 2) this.compact();
  }

  /** Top `limit` documents for a bag of query terms (term → weight, e.g. its count in the query). */
  search(query: ReadonlyMap<string, number>, limit: number, accept?: (doc: number) => boolean): Bm25Hit[] {
    const n = this.docs.size;
    if (n === 0) return [];
    const avgLength = this.totalLength / n;
    const scores = new Map<number, number>();
    for (const [term, weight] of query) {
      const id = this.termIds.get(term);
      if (id === undefined) continue;
      const df = this.df[id]!;
      if (df === 0 || (n > 20 && df > n * MAX_DF_SHARE)) continue;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      const { docs, tfs } = this.postings[id]!;
      for (let i = 0; i < docs.length; i++) {
        const doc = docs[i]!;
        const entry = this.docs.get(doc);
        if (entry === undefined) continue; // tombstone
        const tf = tfs[i]!;
        const part = (idf * weight * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * entry.length) / avgLength));
        scores.set(doc, (scores.get(doc) ?? 0) + part);
      }
    }
    const hits: Bm25Hit[] = [];
    for (const [doc, score] of scores) if (accept === undefined || accept(doc)) hits.push({ doc, score });
    hits.sort((a, b) => b.score - a.score || a.doc - b.doc);
    return hits.slice(0, limit);
  }

  private compact(): void {
    for (const p of this.postings) {
      let w = 0;
      for (let r = 0; r < p.docs.length; r++) {
        if (!this.docs.has(p.docs[r]!)) continue;
        p.docs[w] = p.docs[r]!;
        p.tfs[w] = p.tfs[r]!;
        w++;
      }
      p.docs.length = w;
      p.tfs.length = w;
    }
    this.deadEntries = 0;
  }
}
