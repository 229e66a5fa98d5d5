// Follow-up questions: retrieval uses the conversation's earlier turns at lower weight.
import { describe, expect, it } from 'vitest';
import { conversationTerms, HISTORY_TURNS } from '../../src/retrieval/conversation-query';
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
      { question: 'Q2', answer: 'sink() restores it to the console' },
      { question: 'Q3' },
    ]);
  });
});
