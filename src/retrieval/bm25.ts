// BM25 (Okapi, k1 = 1.2, b = 0.75) over a list of passages per document, kept per document so that adding
// or removing a document touches only its own postings and the global statistics (document frequency,
// passage count, lengths). The library keeps three of these: chunks, whole pages, and each chunk's context
// (heading, captions, footnotes); see lexical-ranker.ts. Queries are weighted term maps, so that
// conversation history and feedback terms can count less than the question's own words.

import { lexicalTerms } from './lexical-terms';

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

interface DocSegment {
  /** term → postings as parallel arrays: passage index within the document, term frequency. */
  postings: Map<string, { item: number[]; tf: number[] }>;
  /** Number of terms in each passage. */
  lengths: Uint32Array;
}

export interface LexicalHit {
  docId: string;
  /** Index of the passage (chunk) within its document. */
  chunk: number;
  score: number;
}

/** Query term → weight (1 for the question's own words). */
export type WeightedTerms = ReadonlyMap<string, number>;

export class Bm25Index {
  private readonly docs = new Map<string, DocSegment>();
  private readonly df = new Map<string, number>();
  private itemCount = 0;
  private totalLength = 0;

  constructor(
    readonly terms: (text: string) => string[] = lexicalTerms,
    private readonly params: { k1: number; b: number } = { k1: BM25_K1, b: BM25_B },
  ) {}

  get size(): number {
    return this.itemCount;
  }

  has(docId: string): boolean {
    return this.docs.has(docId);
  }

  /** Number of passages indexed for a document (0 when absent). */
  count(docId: string): number {
    return this.docs.get(docId)?.lengths.length ?? 0;
  }

  /** Indexes the passage texts of one document (replacing it if already present). */
  addDocument(docId: string, texts: readonly string[]): void {
    if (this.docs.has(docId)) this.removeDocument(docId);
    const postings: DocSegment['postings'] = new Map();
    const lengths = new Uint32Array(texts.length);
    texts.forEach((text, c) => {
      const terms = this.terms(text);
      lengths[c] = terms.length;
      const tf = new Map<string, number>();
      for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const [t, n] of tf) {
        let p = postings.get(t);
        if (!p) postings.set(t, (p = { item: [], tf: [] }));
        p.item.push(c);
        p.tf.push(n);
      }
    });
    for (const [t, p] of postings) this.df.set(t, (this.df.get(t) ?? 0) + p.item.length);
    this.docs.set(docId, { postings, lengths });
    this.itemCount += lengths.length;
    for (const l of lengths) this.totalLength += l;
  }

  removeDocument(docId: string): void {
    const seg = this.docs.get(docId);
    if (!seg) return;
    for (const [t, p] of seg.postings) {
      const left = (this.df.get(t) ?? 0) - p.item.length;
      if (left > 0) this.df.set(t, left);
      else this.df.delete(t);
    }
    this.itemCount -= seg.lengths.length;
    for (const l of seg.lengths) this.totalLength -= l;
    this.docs.delete(docId);
  }

  /** BM25 inverse document frequency (the +1 form, never negative). Unknown terms get the largest value. */
  idf(term: string): number {
    const n = this.df.get(term) ?? 0;
    return Math.log(1 + (this.itemCount - n + 0.5) / (n + 0.5));
  }

  /** Share of passages that contain the term (0..1). */
  documentFrequency(term: string): number {
    return this.itemCount === 0 ? 0 : (this.df.get(term) ?? 0) / this.itemCount;
  }

  /** The query's terms, each with weight 1. */
  queryTerms(query: string): Map<string, number> {
    return new Map(this.terms(query).map((t) => [t, 1]));
  }

  /**
   * BM25 score of every passage of every document in scope (Σ weight · idf · saturated tf), as one array
   * per document, indexed by passage. Documents with no matching term are left out.
   */
  scoreAll(query: WeightedTerms, docIds?: ReadonlySet<string>): Map<string, Float64Array> {
    const out = new Map<string, Float64Array>();
    if (query.size === 0 || this.itemCount === 0) return out;
    const avgLen = this.totalLength / this.itemCount || 1;
    const idf = new Map([...query.keys()].map((t) => [t, this.idf(t)]));
    const { k1, b } = this.params;
    for (const [docId, seg] of this.docs) {
      if (docIds && !docIds.has(docId)) continue;
      let scores: Float64Array | undefined;
      for (const [t, w] of query) {
        const p = seg.postings.get(t);
        if (!p || w === 0) continue;
        scores ??= new Float64Array(seg.lengths.length);
        const wi = w * idf.get(t)!;
        for (let i = 0; i < p.item.length; i++) {
          const c = p.item[i];
          const tf = p.tf[i];
          const norm = tf + k1 * (1 - b + (b * seg.lengths[c]) / avgLen);
          scores[c] += (wi * tf * (k1 + 1)) / norm;
        }
      }
      if (scores) out.set(docId, scores);
    }
    return out;
  }

  /** Best passages for a query, highest score first. `docIds` restricts the search to those documents. */
  search(query: string | WeightedTerms, topK: number, docIds?: ReadonlySet<string>): LexicalHit[] {
    const weighted = typeof query === 'string' ? this.queryTerms(query) : query;
    const hits: LexicalHit[] = [];
    for (const [docId, scores] of this.scoreAll(weighted, docIds)) {
      scores.forEach((score, chunk) => {
        if (score > 0) hits.push({ docId, chunk, score });
      });
    }
    hits.sort(byScore);
    return hits.slice(0, topK);
  }

  /** Whether the passage contains the term. */
  contains(docId: string, item: number, term: string): boolean {
    const p = this.docs.get(docId)?.postings.get(term);
    return p !== undefined && p.item.includes(item);
  }

  /**
   * Share of the query's (weighted) IDF mass whose terms occur in the given passage (0..1). Query terms the
   * corpus has never seen count with the largest IDF, so a question about something absent scores low.
   */
  queryCoverage(query: string | WeightedTerms, docId: string, item: number): number {
    const weighted = typeof query === 'string' ? this.queryTerms(query) : query;
    if (!this.docs.has(docId) || weighted.size === 0) return 0;
    let total = 0;
    let found = 0;
    for (const [t, w] of weighted) {
      const mass = w * this.idf(t);
      total += mass;
      if (this.contains(docId, item, t)) found += mass;
    }
    return total === 0 ? 0 : found / total;
  }
}

/** Highest score first; ties by document id, then passage index (a stable order for tests and the CLI). */
export function byScore(a: LexicalHit, b: LexicalHit): number {
  return b.score - a.score || (a.docId < b.docId ? -1 : a.docId > b.docId ? 1 : a.chunk - b.chunk);
}
