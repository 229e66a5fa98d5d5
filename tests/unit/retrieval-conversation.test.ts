// Follow-up questions: retrieval uses the conversation's earlier turns at lower weight.
import { describe, expect, it } from 'vitest';
import { conversationTerms, historyWeights, HISTORY_TURNS } from '../../src/retrieval/conversation-query';
import { followUpSignal } from '../../src/retrieval/follow-up-signal';
import { DEFAULT_LEXICAL } from '../../src/retrieval/lexical-config';
import { lexicalTerms } from '../../src/retrieval/lexical-terms';
import { DocumentLibrary } from '../../src/retrieval/library';
import { MemoryStore } from '../../src/retrieval/store';
import { searchHistory } from '../../src/chat/answer';
import type { ChatTurn } from '../../src/chat/types';
import type { PageText } from '../../src/retrieval/types';

const cfg = { historyQuestionWeight: 0.4, historyAnswerWeight: 0.1 };

describe('conversation query', () => {
  it('weighs the question 1, the previous question less, older turns less again, and keeps the largest weight', () => {
    const w = conversationTerms('and how do I undo that later', [{ question: 'print the report' }, { question: 'divert console output to a file' }], lexicalTerms, cfg);
    expect(w.get('undo')).toBe(1);
    expect(w.get('divert')).toBeCloseTo(0.4, 12);
    expect(w.get('report')).toBeCloseTo(0.16, 12);
    const again = conversationTerms('output to the screen', [{ question: 'divert console output' }], lexicalTerms, cfg);
    expect(again.get('output')).toBe(1); // in both: the question's own weight wins
    const old = Array.from({ length: HISTORY_TURNS + 1 }, (_, i) => ({ question: `topic${i}` }));
    expect(conversationTerms('q', old, lexicalTerms, cfg).has('topic0')).toBe(false); // beyond HISTORY_TURNS
  });

  it('caps what the earlier turns weigh together at historyMassCap of the question (weights × idf)', () => {
    const long = 'The examiner scans every completed answer sheet and the software reads the marked boxes automatically';
    const free = conversationTerms('undo last change', [{ question: long }], lexicalTerms, { ...cfg, historyMassCap: 0 });
    expect(free.get('examin')).toBeCloseTo(0.4, 12);
    const capped = conversationTerms('undo last change', [{ question: long }], lexicalTerms, { ...cfg, historyMassCap: 0.5 });
    const own = lexicalTerms('undo last change');
    expect(own.every((t) => capped.get(t) === 1)).toBe(true);
    const historyMass = [...capped].filter(([t]) => !own.includes(t)).reduce((sum, [, w]) => sum + w, 0);
    expect(historyMass).toBeCloseTo(0.5 * new Set(own).size, 10);
    // A short earlier question stays under the cap and keeps its weight.
    expect(conversationTerms('undo last change', [{ question: 'divert output' }], lexicalTerms, { ...cfg, historyMassCap: 0.5 }).get('divert')).toBeCloseTo(0.4, 12);
    // Only for self-contained questions: a follow-up's history is not capped.
    expect(historyWeights(true, DEFAULT_LEXICAL).historyMassCap).toBe(0);
    expect(historyWeights(false, DEFAULT_LEXICAL).historyMassCap).toBe(DEFAULT_LEXICAL.historyMassCap);
  });

  it('takes only the most distinctive terms of a long answer', () => {
    const answer = 'sink restores the console. ' + Array.from({ length: 50 }, (_, i) => `word${i}`).join(' ');
    const idf = (t: string) => (t === 'sink' || t === 'consol' ? 5 : 1);
    const w = conversationTerms('and then?', [{ question: 'q', answer }], lexicalTerms, cfg, idf);
    expect(w.get('sink')).toBeCloseTo(0.1, 12);
    expect(w.get('consol')).toBeCloseTo(0.1, 12);
    expect([...w.keys()].filter((t) => t.startsWith('word')).length).toBeLessThan(10);
  });
});

describe('DocumentLibrary.search with history', () => {
  const filler = (n: number) => Array.from({ length: n }, (_, i) => `Paragraph ${i} talks about plotting styles, colours and fonts.`).join(' ');
  const pages: PageText[] = [
    { page: 1, label: '1', text: `Output files. The function sink("record.lis") will divert all subsequent output from the console to an external file. The command sink() restores it to the console once again. ${filler(3)}` },
    { page: 2, label: '2', text: `Undo and redo in the editor: press Ctrl+Z to undo the last change. ${filler(3)}` },
    { page: 3, label: '3', text: `Colours. ${filler(6)}` },
  ];

  async function library() {
    const lib = new DocumentLibrary({ store: new MemoryStore() });
    await lib.add('manual', 'manual.pdf', pages);
    return lib;
  }

  it('finds the page a follow-up question is about only with the earlier question', async () => {
    const lib = await library();
    const alone = await lib.search('And how do I undo that later?', { topK: 1 });
    expect(alone.results[0].page).toBe(2); // its own words point at the editor's undo
    const followUp = await lib.search('And how do I undo that later?', { topK: 1, history: [{ question: 'How do I divert the console output into a file?' }] });
    expect(followUp.results[0].page).toBe(1);
  });

  it('lets a question on a new topic stand on its own words', async () => {
    const lib = await library();
    const res = await lib.search('how do I undo the last change in the editor', { topK: 1, history: [{ question: 'How do I divert the console output into a file?' }] });
    expect(res.results[0].page).toBe(2);
  });

  it('a long question pasted from one document does not pull the next, self-contained question back to it', async () => {
    const sheet = '採点の前に、マークシートをスキャンして画像ファイルとして保存し、プロジェクトのフォルダに置いてから自動採点を実行します。';
    const twoManuals = async (lexical = DEFAULT_LEXICAL) => {
      const lib = new DocumentLibrary({ store: new MemoryStore(), lexical });
      await lib.add('amc', 'amc-ja.pdf', [{ page: 1, label: '1', text: `${sheet} ${'その他の説明。'.repeat(20)}` }, { page: 2, label: '2', text: '目次と索引。'.repeat(30) }]);
      await lib.add('ref', 'reference.pdf', [
        { page: 1, label: '1', text: `Description If you want to include chapter and section numbers in the table of contents, set toc.section.depth. ${filler(2)}` },
        { page: 2, label: '2', text: `Description The part label is added before each chapter number. ${filler(2)}` },
      ]);
      return lib;
    };
    const history = [{ question: sheet }];
    const q = 'Description If you want to include chapter and section numbers';
    expect(followUpSignal(q, lexicalTerms(q)).followUp).toBe(false);
    expect((await (await twoManuals()).search(q, { topK: 2, history })).results[0].docId).toBe('ref');
    // Without the cap the pasted sentence's 40-odd bigrams at 0.2 win.
    const uncapped = await twoManuals({ ...DEFAULT_LEXICAL, historyMassCap: 0 });
    expect((await uncapped.search(q, { topK: 2, history })).results[0].docId).toBe('amc');
  });

  it('in the app, remembers the model answer, or in search mode the top passage shown', () => {
    const source = { n: 1, docId: 'manual', file: 'manual.pdf', page: 1, label: '1', score: 1, text: 'sink() restores it to the console', start: 0, end: 10 };
    const turns: ChatTurn[] = [
      { id: 'u1', role: 'user', content: 'Q1', createdAt: 0 },
      { id: 'a1', role: 'assistant', content: 'A1', mode: 'model', createdAt: 0 },
      { id: 'u2', role: 'user', content: 'Q2', createdAt: 0 },
      { id: 'a2', role: 'assistant', content: '', mode: 'search', sources: [source], createdAt: 0 },
      { id: 'u3', role: 'user', content: 'Q3', createdAt: 0 },
      { id: 'a3', role: 'assistant', content: '', mode: 'search', sources: [], createdAt: 0 },
    ];
    expect(searchHistory(turns)).toEqual([
      { question: 'Q1', answer: 'A1' },
      { question: 'Q2', answer: 'sink() restores it to the console', pages: [{ docId: 'manual', page: 1 }] },
      { question: 'Q3' },
    ]);
  });
});

describe('follow-up detection', () => {
  const signal = (q: string) => followUpSignal(q, lexicalTerms(q)).followUp;

  it('marks questions that refer back, continue, or are too short to stand alone', () => {
    expect(signal('And how do I undo that later?')).toBe(true);
    expect(signal('Which language is it written in?')).toBe(true);
    expect(signal('What does the simpler of the two options return?')).toBe(true);
    expect(signal('它默认叫什么名字？')).toBe(true);
    expect(signal('那加一呢？')).toBe(true);
    expect(signal('Why?')).toBe(true);
    expect(signal('What else do I need to install?')).toBe(true);
    expect(signal('Is anything else required?')).toBe(true);
  });

  it('leaves self-contained questions alone', () => {
    expect(signal('How do I undo the last change in the editor?')).toBe(false);
    expect(signal('How can a sequence that counts down rather than up be produced?')).toBe(false); // "that" as a clause
    expect(signal('LaTeX 默认使用什么字符编码？')).toBe(false);
    // "else" naming a construct, not asking for more.
    expect(signal('The usual if... then ... else statement can be used with an important restriction')).toBe(false);
    expect(signal('Does the macro language support else if branches?')).toBe(false);
  });

  it('weighs the earlier question more for a follow-up than for a self-contained question', async () => {
    const lib = new DocumentLibrary({ store: new MemoryStore() });
    const pages: PageText[] = [
      { page: 1, label: '1', text: 'Console output. The function sink("record.lis") will divert all output from the console to a file.' },
      { page: 2, label: '2', text: 'Plot styles. Lines, points and colours can be chosen for each data set.' },
    ];
    await lib.add('m', 'm.pdf', pages);
    const history = [{ question: 'How do I divert the console output into a file?' }];
    const wFollowUp = conversationTerms('And undo that?', history, lexicalTerms, historyWeights(true, DEFAULT_LEXICAL));
    const wAlone = conversationTerms('How are plot styles chosen?', history, lexicalTerms, historyWeights(false, DEFAULT_LEXICAL));
    expect(wFollowUp.get('divert')).toBeCloseTo(DEFAULT_LEXICAL.followUpQuestionWeight, 12);
    expect(wAlone.get('divert')).toBeCloseTo(DEFAULT_LEXICAL.historyQuestionWeight, 12);
    expect(DEFAULT_LEXICAL.followUpQuestionWeight).toBeGreaterThan(DEFAULT_LEXICAL.historyQuestionWeight);
    expect((await lib.search('How are plot styles chosen?', { topK: 1, history })).results[0].page).toBe(2);
  });

  it('with the page prior on, a follow-up favours the page the previous turn found, a new topic does not', async () => {
    const filler = 'General remarks about the program and its many options follow here.';
    const pages: PageText[] = [
      // Pages far apart: the prior also reaches pages next to the previous one (tests/unit/retrieval-topic-prior.test.ts).
      { page: 1, label: '1', text: `Limits. The maximum number of open windows is set with set maxwin. ${filler}` },
      { page: 5, label: '5', text: `Printing. Pages are sent to the printer with set print. ${filler}` },
      { page: 9, label: '9', text: `Windows. A new window opens with set term and its default value. ${filler}` },
      { page: 13, label: '13', text: `Defaults. Every option has a default value, listed with show all. ${filler}` },
    ];
    const withPrior = new DocumentLibrary({ store: new MemoryStore(), lexical: { ...DEFAULT_LEXICAL, followUpPagePrior: 1, followUpPriorGate: false } });
    const plain = new DocumentLibrary({ store: new MemoryStore(), lexical: { ...DEFAULT_LEXICAL, followUpPagePrior: 0 } });
    await withPrior.add('m', 'm.pdf', pages);
    await plain.add('m', 'm.pdf', pages);
    const history = [{ question: 'How many windows can be open?', pages: [{ docId: 'm', page: 1 }] }];
    const q = 'And what is its default value?';
    expect((await plain.search(q, { topK: 1, history })).results[0].page).not.toBe(1);
    expect((await withPrior.search(q, { topK: 1, history })).results[0].page).toBe(1);
    // A self-contained question is not pulled to the earlier page.
    expect((await withPrior.search('Which option lists every default value with show all?', { topK: 1, history })).results[0].page).toBe(13);
  });
});

describe('extra queries (a model rewrite) in DocumentLibrary.search', () => {
  const pages: PageText[] = [
    { page: 1, label: '1', text: 'Output files. The function sink("record.lis") diverts all output to a file. Calling sink() with no argument restores the console.' },
    { page: 2, label: '2', text: 'Undo and redo in the editor: press Ctrl+Z to undo the last change.' },
    { page: 3, label: '3', text: 'Colours and fonts of plots are set with par().' },
  ];
  const history = [{ question: 'How do I divert the console output into a file?' }];

  it("adds the rewrite's words to the question's at extraQueryWeight; coverage stays the question's", async () => {
    const lib = new DocumentLibrary({ store: new MemoryStore() });
    await lib.add('m', 'm.pdf', pages);
    const q = 'And how do I undo that later?';
    const alone = await lib.search(q, { topK: 3 });
    expect(alone.results[0].page).toBe(2); // "undo" alone means the editor
    const rewritten = await lib.search(q, { topK: 3, extraQueries: ['stop sink diverting output, restore the console'] });
    const rankOf1 = (r: typeof alone) => r.results.findIndex((x) => x.page === 1);
    expect(rankOf1(alone)).toBe(-1); // no word of the question is on page 1
    expect(rankOf1(rewritten)).toBeGreaterThanOrEqual(0); // the rewrite's words find it
    expect(rewritten.reason).toContain(`words added at weight ${DEFAULT_LEXICAL.extraQueryWeight}`);
    // Coverage ("confident") measures the question's own terms: page 1 has none of them.
    expect(rewritten.results[rankOf1(rewritten)].confident).toBe(false);
    // With the conversation as well, the rewrite's evidence adds to the earlier question's.
    const both = await lib.search(q, { topK: 3, history, extraQueries: ['stop sink diverting output, restore the console'] });
    const onlyHistory = await lib.search(q, { topK: 3, history });
    expect(both.results.find((x) => x.page === 1)!.score).toBeGreaterThan(onlyHistory.results.find((x) => x.page === 1)!.score);
    // An empty rewrite changes nothing.
    expect((await lib.search(q, { topK: 3, extraQueries: ['  '] })).results).toEqual(alone.results);
  });

  it('with RRF fusion, the rewrite ranks on its own words and the page is shown by the question\'s passage', async () => {
    const lib = new DocumentLibrary({ store: new MemoryStore(), lexical: { ...DEFAULT_LEXICAL, extraQueryFusion: 'rrf', extraQueryWeight: 0.5 } });
    await lib.add('m', 'm.pdf', pages);
    const res = await lib.search('How do I undo a change?', { topK: 3, extraQueries: ['par colours fonts'] });
    expect(res.results.map((r) => r.page)).toEqual([2, 3]);
    expect(res.reason).toContain('1 rewritten query fused by reciprocal rank');
    expect(res.results[0].score).toBeCloseTo(1 / 61, 12); // RRF: rank 1 of the question's list, absent from the rewrite's
    expect(res.results[1].score).toBeCloseTo(0.5 / 61, 12);
  });
});
