import { describe, expect, it } from 'vitest';
import { Bm25Index, BM25_B, BM25_K1 } from '../../src/retrieval/bm25';
import { isFunctionTerm, lexicalTerms } from '../../src/retrieval/lexical-terms';

const passages = [
  'Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex.',
  'The compiler records a trace of the hot loop and emits type-specialized machine code for it.',
  'When the trace exits through a guard, the interpreter resumes and may record a branch trace.',
  'Kreate guides that its revenue will grow to 290-310 MEUR in 2025, and EBITA to 9-11 MEUR.',
  '愿景 描述团队的共同目标，有利于团队成员理解目标并朝着目标努力。',
  '知识库简介 介绍知识库的主要内容、面向的群体。',
];

describe('lexical terms', () => {
  it('lower-cases, drops stop words (stopword) and stems with Porter (stemmer)', () => {
    // Porter meets "compilers"/"compiled" (the old light stemmer kept them apart: compiler vs compil).
    expect(lexicalTerms('The Compilers compiled it')).toEqual(['compil', 'compil']);
    expect(lexicalTerms('records recording recorded')).toEqual(['record', 'record', 'record']);
    expect(lexicalTerms('libraries library')).toEqual(['librari', 'librari']);
    expect(lexicalTerms('class')).toEqual(['class']);
    expect(lexicalTerms('How do I divert the output', { stemming: false, stopWords: false, segmentWords: false })).toEqual(['how', 'do', 'i', 'divert', 'the', 'output']);
  });

  it("meets British and American spellings, and drops the possessive 's", () => {
    expect(lexicalTerms('colour colours coloured')).toEqual(lexicalTerms('color colors colored'));
    expect(lexicalTerms('Normalise the centre behaviour')).toEqual(lexicalTerms('Normalize the center behavior'));
    expect(lexicalTerms('modelling labelled catalogue grey')).toEqual(lexicalTerms('modeling labeled catalog gray'));
    expect(lexicalTerms('colour', { stemming: true, stopWords: true, segmentWords: false, britishSpellings: false })).toEqual(['colour']);
    expect(lexicalTerms("the pen's colour and R’s options")).toEqual(['pen', 'color', 'r', 'option']);
    expect(lexicalTerms("it's the users' choice")).toEqual(lexicalTerms('it the users choice'));
  });

  it('turns CJK runs into overlapping character bigrams, with Intl.Segmenter words alongside when asked', () => {
    expect(lexicalTerms('知识库简介')).toEqual(['知识', '识库', '库简', '简介']);
    expect(lexicalTerms('库 abc')).toEqual(['库', 'abc']);
    const withWords = lexicalTerms('怎样设置环境变量', { stemming: true, stopWords: true, segmentWords: true });
    expect(withWords.slice(0, 6)).toEqual(['怎样', '样设', '设置', '置环', '环境', '境变']);
    expect(withWords).toContain('环境'); // a segmenter word: now counted twice, once as bigram, once as word
    expect(withWords.filter((t) => t === '环境').length).toBe(2);
    expect(withWords).not.toContain('样设置'); // no cross-word junk is added as a word
  });

  it('marks CJK terms with a function character as no evidence', () => {
    expect(isFunctionTerm('的共')).toBe(true);
    expect(isFunctionTerm('什么')).toBe(true);
    expect(isFunctionTerm('目标')).toBe(false);
    expect(isFunctionTerm('trace')).toBe(false);
  });
});

describe('BM25', () => {
  const index = new Bm25Index();
  index.addDocument('a', passages.slice(0, 3));
  index.addDocument('b', passages.slice(3));

  it('ranks the passage that answers first', () => {
    const hits = index.search('what happens when a guard fails and the trace exits?', 3);
    expect(hits[0]).toMatchObject({ docId: 'a', chunk: 2 });
    const rev = index.search('Kreate revenue guidance 2025', 3);
    expect(rev[0]).toMatchObject({ docId: 'b', chunk: 0 });
  });

  it('matches a Chinese query to Chinese text through bigrams', () => {
    const hits = index.search('团队的共同目标是什么', 3);
    expect(hits[0]).toMatchObject({ docId: 'b', chunk: 1 });
    const kb = index.search('知识库面向哪些群体', 3);
    expect(kb[0]).toMatchObject({ docId: 'b', chunk: 2 });
  });

  it('computes the Okapi BM25 score exactly, and scales it by the query term weight', () => {
    const one = new Bm25Index();
    one.addDocument('d', ['apple banana', 'apple apple cherry date', 'cherry']);
    // N = 3 chunks, lengths 2, 4, 1, avg 7/3; df(apple) = 2.
    const idf = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5));
    const avg = 7 / 3;
    const s = (tf: number, len: number) => (idf * tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * len) / avg));
    const hits = one.search('apple', 5);
    expect(hits.map((h) => h.chunk)).toEqual([1, 0]);
    expect(hits[0].score).toBeCloseTo(s(2, 4), 12);
    expect(hits[1].score).toBeCloseTo(s(1, 2), 12);
    const weighted = one.search(new Map([['appl', 0.25]]), 5);
    expect(weighted[0].score).toBeCloseTo(0.25 * s(2, 4), 12);
    const all = one.scoreAll(new Map([['appl', 1]]));
    expect([...all.get('d')!]).toEqual([hits[1].score, hits[0].score, 0]);
  });

  it('restricts to the given documents and forgets removed ones', () => {
    expect(index.search('trace', 5, new Set(['b']))).toEqual([]);
    const idx = new Bm25Index();
    idx.addDocument('a', passages.slice(0, 3));
    idx.addDocument('b', passages.slice(3));
    const idfBefore = idx.idf('trace');
    idx.removeDocument('b');
    expect(idx.size).toBe(3);
    expect(idx.idf('trace')).toBeLessThan(idfBefore); // same df, fewer chunks
    expect(idx.search('Kreate', 5)).toEqual([]);
  });

  it('measures query coverage by IDF mass, with unseen terms counting fully', () => {
    expect(index.queryCoverage('Kreate revenue', 'b', 0)).toBeCloseTo(1, 12);
    expect(index.queryCoverage('capital of Mongolia', 'b', 0)).toBe(0);
    const half = index.queryCoverage('Kreate zzzunseen', 'b', 0);
    expect(half).toBeGreaterThan(0.3);
    expect(half).toBeLessThan(0.7);
  });
});
