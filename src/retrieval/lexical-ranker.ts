// Lexical retrieval that uses more of the evidence than a chunk's own words. Three BM25 indexes over the
// same documents: chunks, whole pages, and each chunk's context (its heading, the page's running head,
// captions and footnotes; passage-context.ts). A chunk's score is
//   ( bm25_chunk + pageWeight · bm25_page(its page) + headingWeight · bm25_context(chunk)
//     + neighbourWeight · max(bm25_chunk(previous chunk), bm25_chunk(next chunk)) ) × page prior,
// where the prior is navigationPageWeight for a table of contents or an index (navigation-pages.ts), else 1;
// then pseudo-relevance feedback (RM3): the terms that carry the most probability mass in the best
// passages of that first pass are added to the query at (1 − λ) of its weight, and the search runs again.
// Results keep the best chunk of each page when onePerPage is set, so a top 5 names five pages.
import { Bm25Index, byScore, type LexicalHit, type WeightedTerms } from './bm25';
import { isFunctionTerm, lexicalTerms } from './lexical-terms';
import { CJK_CHAR } from './text-units';
import type { LexicalConfig } from './lexical-config';
import { chunkContexts, pageTextsFromChunks } from './passage-context';
import { isNavigationPage } from './navigation-pages';
import type { Chunk } from './types';

interface DocLayout {
  /** Page index (into the page index's passages) of each chunk. */
  pageOf: Int32Array;
  /** Score multiplier of each chunk's page (navigation pages < 1). */
  prior: Float64Array;
  /** Index terms of each chunk, for feedback (computed once). */
  chunkTerms: string[][];
}

/** Feedback ignores terms found in more than this share of chunks (they say nothing about the topic). */
const FEEDBACK_MAX_DF = 0.1;

export class LexicalRanker {
  readonly chunks: Bm25Index;
  private readonly pages: Bm25Index;
  private readonly context: Bm25Index;
  private readonly layout = new Map<string, DocLayout>();
  readonly terms: (text: string) => string[];

  constructor(private readonly config: LexicalConfig) {
    const opts = { stemming: config.stemming, stopWords: config.stopWords, segmentWords: config.segmentWords, britishSpellings: config.britishSpellings, simplifiedChinese: config.simplifiedChinese, cjkUnigrams: config.cjkUnigramWeight > 0 };
    this.terms = (text: string) => lexicalTerms(text, opts);
    const bm25 = { k1: config.bm25K1, b: config.bm25B };
    this.chunks = new Bm25Index(this.terms, bm25);
    this.pages = new Bm25Index(this.terms, bm25);
    this.context = new Bm25Index(this.terms, bm25);
  }

  addDocument(docId: string, chunks: readonly Chunk[]): void {
    const pageTexts = pageTextsFromChunks(chunks);
    const pageNumbers = [...pageTexts.keys()];
    const index = new Map(pageNumbers.map((p, i) => [p, i]));
    this.chunks.addDocument(docId, chunks.map((c) => c.text));
    this.pages.addDocument(docId, pageNumbers.map((p) => pageTexts.get(p)!));
    this.context.addDocument(docId, this.config.headingWeight > 0 ? chunkContexts(chunks, pageTexts, this.config.contextAttachment) : chunks.map(() => ''));
    this.layout.set(docId, {
      pageOf: Int32Array.from(chunks, (c) => index.get(c.page)!),
      prior: Float64Array.from(chunks, (c) => (isNavigationPage(pageTexts.get(c.page)!) ? this.config.navigationPageWeight : 1)),
      chunkTerms: this.config.feedbackTerms > 0 ? chunks.map((c) => this.terms(c.text)) : [],
    });
  }

  removeDocument(docId: string): void {
    this.chunks.removeDocument(docId);
    this.pages.removeDocument(docId);
    this.context.removeDocument(docId);
    this.layout.delete(docId);
  }

  /** The query's own terms at weight 1. */
  queryTerms(text: string): Map<string, number> {
    return this.chunks.queryTerms(text);
  }

  /** Best chunks for a weighted query (see the file comment), with feedback when configured. */
  search(terms: WeightedTerms, topK: number, scope?: ReadonlySet<string>): LexicalHit[] {
    const query = this.unigramsScaled(terms);
    const first = this.rank(query, scope);
    if (this.config.feedbackTerms <= 0 || first.length === 0) return this.limit(first, topK);
    const expanded = this.expand(query, first.slice(0, this.config.feedbackDocs));
    return this.limit(this.rank(expanded, scope), topK);
  }

  /**
   * Share of the query's weighted IDF mass found in the chunk or its context (confidence.ts). CJK terms
   * with a function character (bigrams straddling 的, 吗, …) are left out: they are not evidence.
   */
  coverage(terms: WeightedTerms, docId: string, chunk: number): number {
    const query = this.unigramsScaled(terms);
    let total = 0;
    let found = 0;
    for (const [t, w] of query) {
      if (this.config.stopWords && isFunctionTerm(t)) continue;
      const mass = w * this.chunks.idf(t);
      total += mass;
      if (this.chunks.contains(docId, chunk, t) || this.context.contains(docId, chunk, t)) found += mass;
    }
    return total === 0 ? 0 : found / total;
  }

  /** Single CJK characters (cjkUnigramWeight) weigh that much of their query weight. */
  private unigramsScaled(query: WeightedTerms): WeightedTerms {
    const w = this.config.cjkUnigramWeight;
    if (w <= 0) return query;
    const out = new Map(query);
    for (const [t, v] of query) if (isSingleCharacter(t) && CJK_CHAR.test(t)) out.set(t, v * w);
    return out;
  }

  private rank(query: WeightedTerms, scope?: ReadonlySet<string>): LexicalHit[] {
    const { pageWeight, neighbourWeight, headingWeight } = this.config;
    const chunkScores = this.chunks.scoreAll(query, scope);
    const pageScores = pageWeight > 0 ? this.pages.scoreAll(query, scope) : new Map<string, Float64Array>();
    const contextScores = headingWeight > 0 ? this.context.scoreAll(query, scope) : new Map<string, Float64Array>();
    const hits: LexicalHit[] = [];
    for (const docId of new Set([...chunkScores.keys(), ...pageScores.keys(), ...contextScores.keys()])) {
      const own = chunkScores.get(docId);
      const page = pageScores.get(docId);
      const ctx = contextScores.get(docId);
      const { pageOf, prior } = this.layout.get(docId)!;
      for (let c = 0; c < pageOf.length; c++) {
        let s = own ? own[c] : 0;
        if (page) s += pageWeight * page[pageOf[c]];
        if (ctx) s += headingWeight * ctx[c];
        if (own && neighbourWeight > 0) s += neighbourWeight * Math.max(c > 0 ? own[c - 1] : 0, c + 1 < own.length ? own[c + 1] : 0);
        s *= prior[c];
        if (s > 0) hits.push({ docId, chunk: c, score: s });
      }
    }
    return hits.sort(byScore);
  }

  private limit(hits: LexicalHit[], topK: number): LexicalHit[] {
    if (!this.config.onePerPage) return hits.slice(0, topK);
    const seen = new Set<string>();
    const out: LexicalHit[] = [];
    for (const h of hits) {
      const key = `${h.docId}\u0000${this.layout.get(h.docId)!.pageOf[h.chunk]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(h);
      if (out.length === topK) break;
    }
    return out;
  }

  /**
   * RM3: p(t | feedback) = Σ_d p(t | d) · p(d | q), with p(t | d) = tf / |d| over the top passages and p(d | q)
   * their first-pass scores normalised to sum 1; the top feedbackTerms terms (not too common, not already
   * in the query) are mixed in as q' = λ · q + (1 − λ) · feedback, each part normalised to total weight 1
   * and then scaled back to the query's own total so that scores stay comparable.
   */
  private expand(query: WeightedTerms, top: LexicalHit[]): Map<string, number> {
    const { feedbackTerms, feedbackOriginalWeight: lambda } = this.config;
    const total = top.reduce((n, h) => n + h.score, 0);
    const mass = new Map<string, number>();
    for (const h of top) {
      const terms = this.layout.get(h.docId)!.chunkTerms[h.chunk];
      if (!terms || terms.length === 0) continue;
      const tf = new Map<string, number>();
      for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const [t, n] of tf) mass.set(t, (mass.get(t) ?? 0) + (n / terms.length) * (h.score / total));
    }
    const picked = [...mass]
      .filter(([t]) => !query.has(t) && this.chunks.documentFrequency(t) <= FEEDBACK_MAX_DF)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, feedbackTerms);
    const queryTotal = [...query.values()].reduce((n, w) => n + w, 0);
    const pickedTotal = picked.reduce((n, [, m]) => n + m, 0);
    const out = new Map<string, number>();
    for (const [t, w] of query) out.set(t, lambda * w);
    if (pickedTotal > 0) for (const [t, m] of picked) out.set(t, (out.get(t) ?? 0) + (1 - lambda) * queryTotal * (m / pickedTotal));
    return out;
  }
}

/** One character, counted in code points (an Extension B ideograph such as 𠀀 is two UTF-16 units). */
function isSingleCharacter(t: string): boolean {
  return t.length === 1 || (t.length === 2 && t.codePointAt(0)! > 0xffff);
}
