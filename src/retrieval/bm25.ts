// BM25 (Okapi, k1 = 1.2, b = 0.75) over chunks, kept per document so that adding or removing a document
// touches only its own postings and the global statistics (document frequency, chunk count, lengths).

import { lexicalTerms } from './lexical-terms';

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

interface DocSegment {
  /** term → postings as parallel arrays: chunk index within the document, term frequency. */
  postings: Map<string, { chunk: number[]; tf: number[] }>;
  /** Number of terms in each chunk. */
  lengths: Uint32Array;
}

export interface LexicalHit {
  docId: string;
  /** Index of the chunk within its document. */
  chunk: number;
  score: number;
}

export class Bm25Index {
  private readonly docs = new Map<string, DocSegment>();
  private readonly df = new Map<string, number>();
  private chunkCount = 0;
  private totalLength = 0;

  get size(): number {
    return this.chunkCount;
  }

  has(docId: string): boolean {
    return this.docs.has(docId);
  }

  /** Indexes the chunk texts of one document (replacing it if already present). */
  addDocument(docId: string, chunkTexts: readonly string[]): void {
    if (this.docs.has(docId)) this.removeDocument(docId);
    const postings: DocSegment['postings'] = new Map();
    const lengths = new Uint32Array(chunkTexts.length);
    chunkTexts.forEach((text, c) => {
      const terms = lexicalTerms(text);
      lengths[c] = terms.length;
      const tf = new Map<string, number>();
      for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const [t, n] of tf) {
        let p = postings.get(t);
        if (!p) postings.set(t, (p = { chunk: [], tf: [] }));
        p.chunk.push(c);
        p.tf.push(n);
      }
    });
    for (const [t, p] of postings) this.df.set(t, (this.df.get(t) ?? 0) + p.chunk.length);
    this.docs.set(docId, { postings, lengths });
    this.chunkCount += lengths.length;
    for (const l of lengths) this.totalLength += l;
  }

  removeDocument(docId: string): void {
    const seg = this.docs.get(docId);
    if (!seg) return;
    for (const [t, p] of seg.postings) {
      const left = (this.df.get(t) ?? 0) - p.chunk.length;
      if (left > 0) this.df.set(t, left);
      else this.df.delete(t);
    }
    this.chunkCount -= seg.lengths.length;
    for (const l of seg.lengths) this.totalLength -= l;
    this.docs.delete(docId);
  }

  /** BM25 inverse document frequency (the +1 form, never negative). Unknown terms get the largest value. */
  idf(term: string): number {
    const n = this.df.get(term) ?? 0;
    return Math.log(1 + (this.chunkCount - n + 0.5) / (n + 0.5));
  }

  /** Best chunks for a query, highest score first. `docIds` restricts the search to those documents. */
  search(query: string, topK: number, docIds?: ReadonlySet<string>): LexicalHit[] {
    const terms = [...new Set(lexicalTerms(query))];
    if (terms.length === 0 || this.chunkCount === 0) return [];
    const avgLen = this.totalLength / this.chunkCount || 1;
    const hits: LexicalHit[] = [];
    for (const [docId, seg] of this.docs) {
      if (docIds && !docIds.has(docId)) continue;
      const scores = new Map<number, number>();
      for (const t of terms) {
        const p = seg.postings.get(t);
        if (!p) continue;
        const idf = this.idf(t);
        for (let i = 0; i < p.chunk.length; i++) {
          const c = p.chunk[i];
          const tf = p.tf[i];
          const norm = tf + BM25_K1 * (1 - BM25_B + (BM25_B * seg.lengths[c]) / avgLen);
          scores.set(c, (scores.get(c) ?? 0) + (idf * tf * (BM25_K1 + 1)) / norm);
        }
      }
      for (const [chunk, score] of scores) hits.push({ docId, chunk, score });
    }
    hits.sort((a, b) => b.score - a.score || (a.docId < b.docId ? -1 : a.docId > b.docId ? 1 : a.chunk - b.chunk));
    return hits.slice(0, topK);
  }

  /**
   * Share of the query's IDF mass whose terms occur in the given chunk (0..1). Query terms the corpus has
   * never seen count with the largest IDF, so a question about something absent scores low.
   */
  queryCoverage(query: string, docId: string, chunk: number): number {
    const terms = [...new Set(lexicalTerms(query))];
    const seg = this.docs.get(docId);
    if (!seg || terms.length === 0) return 0;
    let total = 0;
    let found = 0;
    for (const t of terms) {
      const idf = this.idf(t);
      total += idf;
      const p = seg.postings.get(t);
      if (p && p.chunk.includes(chunk)) found += idf;
    }
    return total === 0 ? 0 : found / total;
  }
}
