// The lexical ranker's evidence beyond a chunk's own words, each shown on a small document where it
// decides the ranking (and where switching it off changes the answer).
import { describe, expect, it } from 'vitest';
import { LexicalRanker } from '../../src/retrieval/lexical-ranker';
import { DEFAULT_LEXICAL, type LexicalConfig } from '../../src/retrieval/lexical-config';
import { chunkPage } from '../../src/retrieval/chunker';
import type { Chunk, PageText } from '../../src/retrieval/types';

const FILLER = 'Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. ';

function chunksOf(docId: string, pages: PageText[], chunkTokens = 24): Chunk[] {
  return pages.flatMap((p) => chunkPage(docId, p, { chunkTokens, overlapTokens: 4 }));
}

function ranker(change: Partial<LexicalConfig>, docs: Record<string, Chunk[]>): LexicalRanker {
  const r = new LexicalRanker({ ...DEFAULT_LEXICAL, ...change });
  for (const [id, chunks] of Object.entries(docs)) r.addDocument(id, chunks);
  return r;
}

function top(r: LexicalRanker, q: string, docs: Record<string, Chunk[]>, k = 5) {
  return r.search(r.queryTerms(q), k).map((h) => ({ page: docs[h.docId][h.chunk].page, chunk: h.chunk, text: docs[h.docId][h.chunk].text }));
}

describe('LexicalRanker', () => {
  it('adds the page-level score: a chunk whose page also has the other query words wins', () => {
    // Page 1: "garbage" and "collector" in different chunks of one page. Page 2: "garbage" alone, twice.
    const pages: PageText[] = [
      { page: 1, label: '1', text: `The garbage list. ${FILLER}${FILLER}The collector runs at night.` },
      { page: 2, label: '2', text: `Garbage garbage everywhere. ${FILLER}${FILLER}` },
    ];
    const docs = { d: chunksOf('d', pages) };
    expect(docs.d.filter((c) => c.page === 1).length).toBeGreaterThan(1);
    const withPage = top(ranker({ pageWeight: 0.5 }, docs), 'garbage collector', docs);
    expect(withPage[0].page).toBe(1);
    const without = top(ranker({ pageWeight: 0, headingWeight: 0 }, docs), 'garbage collector', docs);
    expect(without.map((h) => h.page)).toContain(1); // still found, but the chunk's own words decide alone
  });

  it('attaches the section heading to the chunks under it, across a page break', () => {
    const pages: PageText[] = [
      { page: 1, label: '1', text: `Intro text here.\n4.2 Reclaiming unreachable memory\n${FILLER}` },
      { page: 2, label: '2', text: `Manual 12\n${FILLER}The sweep phase frees the cells that were not marked, after which the allocator reuses them.` },
      { page: 3, label: '3', text: `Manual 13\n5.1 Fonts and colours\n${FILLER}Another sweep.` },
    ];
    const docs = { d: chunksOf('d', pages, 64) };
    const q = 'how is unreachable memory reclaimed by the sweep';
    const pagesOf = (r: LexicalRanker) => top(r, q, docs).map((h) => h.page);
    expect(pagesOf(ranker({ headingWeight: 1, pageWeight: 0 }, docs))).toEqual([1, 2, 3]); // page 2 sits under 4.2
    const without = ranker({ headingWeight: 0, pageWeight: 0 }, docs);
    const p2 = without.search(without.queryTerms(q), 5).find((h) => docs.d[h.chunk].page === 2)!;
    const p3 = without.search(without.queryTerms(q), 5).find((h) => docs.d[h.chunk].page === 3)!;
    expect(p3.score).toBeGreaterThan(p2.score); // without the heading, the shorter page 3 wins
  });

  it('scales down a table of contents that lists every heading', () => {
    const toc = Array.from({ length: 12 }, (_, i) => `${i + 1}.1 Section about topic${i} . . . . . . . ${i * 3 + 5}`).join('\n');
    const pages: PageText[] = [
      { page: 1, label: '1', text: `Contents\n${toc}\n3.1 The sink command . . . . . . . 40\n3.1.1 Options of the sink command . . . . . . . 41` },
      { page: 2, label: '2', text: `Manual 40\nThe sink command diverts all output to a file. ${FILLER}${FILLER}` },
    ];
    const docs = { d: chunksOf('d', pages, 400) };
    const q = 'what does the sink command do';
    expect(top(ranker({ navigationPageWeight: 1, headingWeight: 0 }, docs), q, docs)[0].page).toBe(1);
    expect(top(ranker({ navigationPageWeight: 0.3, headingWeight: 0 }, docs), q, docs)[0].page).toBe(2);
  });

  it('returns one chunk per page when asked, so the top k covers k pages', () => {
    const pages: PageText[] = [
      { page: 1, label: '1', text: `alpha beta alpha beta. ${FILLER}alpha beta alpha beta. ${FILLER}alpha beta alpha beta. ${FILLER}` },
      { page: 2, label: '2', text: `alpha ${FILLER}` },
      { page: 3, label: '3', text: `beta ${FILLER}` },
    ];
    const docs = { d: chunksOf('d', pages) };
    expect(top(ranker({ onePerPage: true }, docs), 'alpha beta', docs, 3).map((h) => h.page)).toEqual([1, 2, 3]);
    expect(top(ranker({ onePerPage: false }, docs), 'alpha beta', docs, 3).map((h) => h.page)).toEqual([1, 1, 1]);
  });

  it('expands the query with terms of the best passages (RM3) when feedback is on', () => {
    // Only the feedback can reach page 3: it shares "mark sweep" with the best passage, nothing with the query.
    const pages: PageText[] = [
      { page: 1, label: '1', text: 'Garbage collection reclaims memory with mark sweep tracing.' },
      { page: 2, label: '2', text: 'Unrelated words about fonts and colours.' },
      { page: 3, label: '3', text: 'The mark sweep tracing pass visits every object.' },
      ...Array.from({ length: 30 }, (_, i) => ({ page: i + 4, label: String(i + 4), text: `Filler page ${i + 4} about fonts, colours, margins and paper.` })),
    ];
    const docs = { d: chunksOf('d', pages, 64) };
    const q = 'garbage collection reclaims memory';
    expect(top(ranker({ feedbackTerms: 0 }, docs), q, docs).map((h) => h.page)).toEqual([1]);
    expect(top(ranker({ feedbackTerms: 5, feedbackDocs: 1, feedbackOriginalWeight: 0.5 }, docs), q, docs).map((h) => h.page)).toEqual([1, 3]);
  });

  it('measures coverage over the chunk and its context, leaving out Chinese function-word bigrams', () => {
    const pages: PageText[] = [{ page: 1, label: '1', text: '第三章 设置\n环境变量在终端里改。' }];
    const docs = { d: chunksOf('d', pages, 64) };
    const q = '环境变量的设置'; // 环境 境变 变量 量的 的设 设置: 量的 and 的设 straddle 的
    const r = ranker({}, docs);
    expect(r.coverage(r.queryTerms(q), 'd', 0)).toBeCloseTo(1, 12);
    const plain = ranker({ stopWords: false }, docs);
    expect(plain.coverage(plain.queryTerms(q), 'd', 0)).toBeLessThan(0.8);
  });
});
