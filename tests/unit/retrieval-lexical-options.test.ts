// Lexical options added while tuning on the dev split: Chinese single characters alongside the bigrams
// (cjkUnigramWeight), BM25 k1/b per index, and footnotes/captions attached to the passage they belong to
// (contextAttachment 'passage', measured and left off).
import { describe, expect, it } from 'vitest';
import { Bm25Index } from '../../src/retrieval/bm25';
import { lexicalTerms, DEFAULT_TERM_OPTIONS } from '../../src/retrieval/lexical-terms';
import { DEFAULT_LEXICAL } from '../../src/retrieval/lexical-config';
import { DocumentLibrary } from '../../src/retrieval/library';
import { MemoryStore } from '../../src/retrieval/store';
import { chunkContexts, pageTextsFromChunks } from '../../src/retrieval/passage-context';
import { chunkPage } from '../../src/retrieval/chunker';
import type { PageText } from '../../src/retrieval/types';

describe('Chinese single characters alongside bigrams', () => {
  it('adds each character that is not a stop character, only when asked', () => {
    const withChars = lexicalTerms('字符的编码', { ...DEFAULT_TERM_OPTIONS, cjkUnigrams: true });
    expect(withChars).toEqual(['字符', '符的', '的编', '编码', '字', '符', '编', '码']); // 的 is a stop character
    expect(lexicalTerms('字符的编码', { ...DEFAULT_TERM_OPTIONS, cjkUnigrams: false })).toEqual(['字符', '符的', '的编', '编码']);
    expect(lexicalTerms('字', { ...DEFAULT_TERM_OPTIONS, cjkUnigrams: true })).toEqual(['字']); // a one-character run is its own term once
  });

  it('lets a question reach a page that shares characters but no bigram with it, at the lower weight', async () => {
    const pages: PageText[] = [
      { page: 1, label: '1', text: '在 UTF-8 中，一个汉字通常占三个字节。' },
      { page: 2, label: '2', text: '水平的空间用 \\hspace 命令插入，长度可以是负数。' },
    ];
    const q = '中文字要多少存储空间？'; // 字 is shared with 汉字/字节, no bigram with page 1
    const on = new DocumentLibrary({ store: new MemoryStore(), lexical: { ...DEFAULT_LEXICAL, cjkUnigramWeight: 0.3 } });
    const off = new DocumentLibrary({ store: new MemoryStore(), lexical: { ...DEFAULT_LEXICAL, cjkUnigramWeight: 0 } });
    for (const lib of [on, off]) await lib.add('m', 'm.pdf', pages);
    expect((await off.search(q, { topK: 5 })).results.map((r) => r.page)).toEqual([2]); // 空间 only
    const pagesOn = (await on.search(q, { topK: 5 })).results;
    expect(pagesOn.map((r) => r.page)).toContain(1);
    // At weight 0.3 the characters are weaker evidence than a shared bigram: page 2 (空间) stays first.
    expect(pagesOn[0].page).toBe(2);
  });
});

describe('BM25 parameters', () => {
  it('uses the given k1 and b (b = 0: passage length does not matter)', () => {
    const idx = new Bm25Index(undefined, { k1: 2, b: 0 });
    idx.addDocument('d', ['apple', 'apple cherry date fig grape', 'cherry']);
    const idf = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5));
    const [a, b] = idx.search('apple', 5);
    expect(a.score).toBeCloseTo((idf * 1 * 3) / (1 + 2), 12);
    expect(b.score).toBeCloseTo(a.score, 12);
    const normalised = new Bm25Index(undefined, { k1: 2, b: 1 });
    normalised.addDocument('d', ['apple', 'apple cherry date fig grape', 'cherry']);
    const [short, long] = normalised.search('apple', 5);
    expect(short.chunk).toBe(0);
    expect(short.score).toBeGreaterThan(long.score);
  });
});

describe("footnotes and captions attached to their passage ('passage')", () => {
  const sentences = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag} sentence ${i} goes on about the subject at some length here.`).join(' ');
  const text = [
    'Chapter 2: Workspace 12',
    `The objects are written to a file called .RData in the current directory. ${sentences('Early', 3)}`,
    '5',
    `${sentences('Middle', 14)}`,
    'Table 3: Sizes of the saved files.',
    `${sentences('Late', 14)}`,
    '5',
    'The leading dot in this file name makes it invisible in normal file listings.',
  ].join('\n');
  const page: PageText = { page: 12, label: '12', text };
  const chunks = chunkPage('d', page, { chunkTokens: 64, overlapTokens: 8 });
  const texts = pageTextsFromChunks(chunks);
  const footnote = 'The leading dot in this file name makes it invisible in normal file listings.';
  const caption = 'Table 3: Sizes of the saved files.';
  const markAt = text.indexOf('\n5\n') + 1;
  const captionAt = text.indexOf(caption);

  it('gives a footnote to the chunk holding its mark and a caption to the chunks near it; every chunk with "page"', () => {
    expect(chunks.length).toBeGreaterThan(4);
    const passage = chunkContexts(chunks, texts, 'passage');
    const page = chunkContexts(chunks, texts, 'page');
    chunks.forEach((c, i) => {
      expect(page[i]).toContain(footnote);
      expect(page[i]).toContain(caption);
      const holdsMark = c.start <= markAt && markAt < c.end;
      expect(passage[i].includes(footnote)).toBe(holdsMark);
      const near = c.end >= captionAt - 400 && c.start <= captionAt + 400;
      expect(passage[i].includes(caption)).toBe(near);
    });
    expect(passage.filter((p) => p.includes(caption)).length).toBeLessThan(chunks.length);
  });

  it('falls back to the whole page for a footnote whose mark is not on the page', () => {
    const noMark: PageText = { page: 12, label: '12', text: text.replace('\n5\n', '\n') };
    const cs = chunkPage('d', noMark, { chunkTokens: 64, overlapTokens: 8 });
    const ctx = chunkContexts(cs, pageTextsFromChunks(cs), 'passage');
    for (const c of ctx) expect(c).toContain(footnote);
  });
});
