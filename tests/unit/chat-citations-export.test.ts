import { describe, expect, it } from 'vitest';
import { citedNumbers, splitCitations } from '../../src/chat/citations';
import { conversationToMarkdown } from '../../src/chat/export-markdown';
import { ConversationStore, newConversation, type KeyValueBackend } from '../../src/chat/conversation-store';
import { historyFromTurns } from '../../src/chat/answer';
import type { Conversation } from '../../src/chat/types';

describe('citations', () => {
  it('splits [n], [n, m] and [n][m] markers within the source range and leaves others as text', () => {
    expect(splitCitations('A [1] b [2, 3][1] c [9] d [x]', 3)).toEqual([
      { kind: 'text', text: 'A ' }, { kind: 'cite', n: 1 }, { kind: 'text', text: ' b ' }, { kind: 'cite', n: 2 }, { kind: 'cite', n: 3 },
      { kind: 'cite', n: 1 }, { kind: 'text', text: ' c [9] d [x]' },
    ]);
    expect(citedNumbers('x [2] y [1] z [2]', 2)).toEqual([2, 1]);
  });

  it('links the other forms models write: ranges, CJK brackets and digits, labels, footnote marks', () => {
    const cases: [string, number[]][] = [
      ['[1-3]', [1, 2, 3]],
      ['[1–3]', [1, 2, 3]],
      ['【1】', [1]],
      ['［１］', [1]],
      ['[１]', [1]],
      ['【1，2】', [1, 2]],
      ['[1；2]', [1, 2]],
      ['[1、3]', [1, 3]],
      ['[^1]', [1]],
      ['[Source 1]', [1]],
      ['[Sources 1, 2]', [1, 2]],
      ['[来源 2]', [2]],
      ['[1 2]', [1, 2]],
    ];
    for (const [marker, want] of cases) expect(citedNumbers(`Text ${marker}.`, 3), marker).toEqual(want);
    // Not citations of these sources: left as written.
    for (const t of ['[x]', '[9]', '[1-100]', '[3-1]', 'a[]b']) expect(splitCitations(t, 3), t).toEqual([{ kind: 'text', text: t }]);
  });

  it('a marker naming a valid and an out-of-range number links the valid one and shows the other', () => {
    expect(splitCitations('See [1, 5].', 3)).toEqual([{ kind: 'text', text: 'See ' }, { kind: 'cite', n: 1 }, { kind: 'text', text: '[5].' }]);
  });
});

const conv: Conversation = {
  id: 'c1', title: 'About   tracing', createdAt: 0, updatedAt: Date.UTC(2026, 0, 2), turns: [
    { id: '1', role: 'user', content: 'What is tracing?', createdAt: 0 },
    { id: '2', role: 'assistant', mode: 'model', content: 'Tracing records hot loops [1].', createdAt: 1,
      sources: [{ n: 1, docId: 'd', file: 'tm.pdf', page: 3, label: '3', score: 1, text: 'A trace is  a hot loop.', start: 0, end: 10 }] },
    { id: '3', role: 'user', content: 'And search?', createdAt: 2 },
    { id: '4', role: 'assistant', mode: 'search', content: '', createdAt: 3, sources: [] },
  ],
};

describe('conversationToMarkdown', () => {
  it('writes questions, answers and numbered sources with file and page', () => {
    const md = conversationToMarkdown(conv);
    expect(md).toContain('# About tracing');
    expect(md).toContain('## Q: What is tracing?');
    expect(md).toContain('Tracing records hot loops [1].');
    expect(md).toContain('1. tm.pdf, page 3: > A trace is a hot loop.');
    expect(md).toContain('_Search mode (no model loaded): best matching passages._');
  });

  it("keeps a question's line breaks, and a passage's or file name's Markdown characters stay text", () => {
    const md = conversationToMarkdown({
      ...conv,
      turns: [
        { id: 'q', role: 'user', content: 'Compare these two lines:\nfirst *one*\nsecond one', createdAt: 0 },
        { id: 'a', role: 'assistant', mode: 'search', content: '', createdAt: 1,
          sources: [{ n: 1, docId: 'd', file: 'my_notes.pdf', page: 2, label: 'ii', score: 1, text: 'Use **bold** and <script>x</script> or [a](b) # _here_', start: 0, end: 10 }] },
      ],
    });
    expect(md).toContain('## Q: Compare these two lines:\n\nfirst \\*one\\*  \nsecond one\n');
    // (An underscore inside a word cannot start emphasis: the file name is written as it is.)
    expect(md).toContain('1. my_notes.pdf, page ii: > Use \\*\\*bold\\*\\* and \\<script\\>x\\</script\\> or \\[a\\](b) # \\_here\\_');
  });
});

describe('historyFromTurns', () => {
  it('keeps answered model turns and leaves out search-mode turns', () => {
    expect(historyFromTurns(conv.turns)).toEqual([
      { role: 'user', content: 'What is tracing?' }, { role: 'assistant', content: 'Tracing records hot loops [1].' },
    ]);
  });
});

describe('ConversationStore', () => {
  it('saves, lists newest first, deletes and clears over a key-value backend', async () => {
    const m = new Map<string, unknown>();
    const kv: KeyValueBackend = {
      get: async (k) => structuredClone(m.get(k)) as never, set: async (k, v) => void m.set(k, structuredClone(v)),
      del: async (k) => void m.delete(k), keys: async () => [...m.keys()],
    };
    const store = new ConversationStore(kv);
    const a = { ...newConversation(10), title: 'a' };
    const b = { ...newConversation(20), title: 'b' };
    await store.save(a);
    await store.save(b);
    expect((await store.list()).map((c) => c.title)).toEqual(['b', 'a']);
    await store.delete(b.id);
    expect((await store.get(a.id))?.title).toBe('a');
    expect(await store.get(b.id)).toBeUndefined();
    await store.clear();
    expect(await store.list()).toEqual([]);
  });
});

describe('Markdown export of hostile text', () => {
  it('escapes the title, every question line, error messages and page labels; cuts quotes by code points', () => {
    const hostile: Conversation = {
      id: 'h', title: '<img src=x onerror=alert(1)> *t*', createdAt: 0, updatedAt: 0, turns: [
        { id: '1', role: 'user', content: '<script>alert(1)</script> [x](javascript:alert(1))\nsecond <b>line</b>', createdAt: 0 },
        { id: '2', role: 'assistant', mode: 'model', content: '', createdAt: 1, error: { code: 'NO_TEXT', message: 'bad <i>thing</i> *here*' },
          sources: [{ n: 1, docId: 'd', file: 'f.pdf', page: 4, label: 'page <b>iv</b>', score: 1, text: 'a'.repeat(298) + '😀😀😀', start: 0, end: 10 }] },
      ],
    };
    const md = conversationToMarkdown(hostile);
    expect(md).toContain('# \\<img src=x onerror=alert(1)\\> \\*t\\*');
    expect(md).toContain('## Q: \\<script\\>alert(1)\\</script\\> \\[x\\](javascript:alert(1))');
    expect(md).toContain('second \\<b\\>line\\</b\\>');
    expect(md).toContain('_Error NO_TEXT: bad \\<i\\>thing\\</i\\> \\*here\\*_');
    expect(md).toContain('page page \\<b\\>iv\\</b\\>:');
    expect(md).not.toMatch(/(?<!\\)<\/?(script|img|b|i)\b/); // every tag's '<' escaped
    expect(md.isWellFormed()).toBe(true);
    expect(md).toContain('a'.repeat(298) + '😀…');
  });
});
