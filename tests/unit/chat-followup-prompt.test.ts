// A follow-up question's prompt starts with the previous prompt and its answer, character for character, so the
// engine can take them from its KV cache: plain prompts (models without a chat template) and every fallback chat
// template, rendered by the real template engine (@huggingface/jinja).
import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import { historyFromTurns, searchHistory } from '../../src/chat/answer';
import { buildPrompt, continueConversation } from '../../src/chat/prompt';
import { REWRITE_CUE, rewriteRequest } from '../../src/retrieval/query-rewrite';
import type { ChatTurn, Passage } from '../../src/chat/types';
import type { ChatMessage } from '../../src/model/engine-types';
import { FALLBACK_CHAT_TEMPLATES } from '../../src/model/tokenizer';

function countWords(input: string | ChatMessage[]): Promise<number> {
  const text = typeof input === 'string' ? [input] : input.map((m) => m.content);
  let n = typeof input === 'string' ? 1 : input.length * 4;
  for (const t of text) n += (t.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? []).length;
  return Promise.resolve(n);
}

function passage(i: number, text: string): Passage {
  return { docId: `d${i}`, file: `doc${i}.pdf`, page: i + 1, label: String(i + 1), score: 1, text, start: 0, end: text.length };
}

async function twoTurns(useChatTemplate: boolean, answer: string) {
  const base = { systemPrompt: '', contextLength: 4096, maxAnswerTokens: 128, useChatTemplate, countTokens: countWords };
  const first = await buildPrompt({ ...base, question: 'How do I divert the console output into a file?', passages: [passage(0, 'Use > file to redirect stdout.'), passage(1, 'tee copies it.')], history: [] });
  const turns: ChatTurn[] = [
    { id: 'u', role: 'user', content: 'How do I divert the console output into a file?', createdAt: 0 },
    { id: 'a', role: 'assistant', content: answer, mode: 'model', sources: first.sources.map((s) => ({ ...s })), sentUserMessage: first.userMessage, createdAt: 0 },
  ];
  const second = await buildPrompt({ ...base, question: 'And how do I undo that later?', passages: [passage(2, 'exec >/dev/tty restores it.')], history: historyFromTurns(turns) });
  return { first, second, turns };
}

describe('follow-up prompts repeat the earlier turns exactly as sent', () => {
  it('plain prompt: the second prompt starts with the first prompt followed by the answer as generated', async () => {
    const answer = ' Redirect it with `> out.txt` [1].';
    const { first, second } = await twoTurns(false, answer);
    const p1 = first.input as string, p2 = second.input as string;
    expect(p2.startsWith(p1 + answer)).toBe(true);
    expect(p2.slice((p1 + answer).length)).toContain('Question: And how do I undo that later?');
    expect(p2).toContain('[1] doc2.pdf, page 3:');
  });

  for (const [family, src] of Object.entries(FALLBACK_CHAT_TEMPLATES)) {
    it(`chat template ${family}: the rendered second prompt starts with the rendered first prompt + the answer`, async () => {
      const answer = ' Redirect it with `> out.txt` [1].\n';
      const { first, second } = await twoTurns(true, answer);
      const t = new Template(src);
      const render = (messages: unknown) => t.render({ messages, bos_token: '<s>', eos_token: '</s>', add_generation_prompt: true });
      const r1 = render(first.input), r2 = render(second.input);
      // The model continues right after the generation prompt; its answer's edge whitespace is the template's.
      expect(r2.startsWith(r1)).toBe(true);
      expect(r2.slice(r1.length).trimStart().startsWith(answer.trim())).toBe(true);
      expect((second.input as ChatMessage[])[1]).toEqual({ role: 'user', content: first.userMessage });
    });
  }

  it('when the turns as sent do not fit, the oldest lose their sources before anything is summarised', async () => {
    const answer = ' Redirect it with `> out.txt` [1].';
    const { first, turns } = await twoTurns(false, answer);
    const long = passage(3, Array.from({ length: 40 }, (_, i) => `fact${i}`).join(' '));
    const roomy = await buildPrompt({ systemPrompt: '', contextLength: 4096, maxAnswerTokens: 64, useChatTemplate: false, countTokens: countWords, question: 'And how do I undo that later?', passages: [long], history: historyFromTurns(turns) });
    expect(roomy.fitted.compactedTurns).toBe(0);
    // Just too small for the first turn's sources to come along: rendered as question and answer instead.
    const tokensWithout = roomy.promptTokens - (await countWords(first.userMessage)) + (await countWords('Question: How do I divert the console output into a file?'));
    const tight = await buildPrompt({ systemPrompt: '', contextLength: tokensWithout + 64 + 2, maxAnswerTokens: 64, useChatTemplate: false, countTokens: countWords, question: 'And how do I undo that later?', passages: [long], history: historyFromTurns(turns) });
    expect(tight.fitted).toMatchObject({ compactedTurns: 2, summarisedTurns: 0, droppedSources: 0 });
    const p = tight.input as string;
    expect(p).toContain('Question: How do I divert the console output into a file?');
    expect(p).not.toContain('Use > file to redirect stdout.');
    expect(p).toContain('fact39');
  });

  it('turns stored before this change (no sentUserMessage) render as before; search history carries the answers', () => {
    const turns: ChatTurn[] = [
      { id: 'u1', role: 'user', content: 'Q1', createdAt: 0 },
      { id: 'a1', role: 'assistant', content: 'A1', mode: 'model', createdAt: 0 },
      { id: 'u2', role: 'user', content: 'Q2', createdAt: 0 },
      { id: 'a2', role: 'assistant', content: '', mode: 'search', createdAt: 0 },
    ];
    expect(historyFromTurns(turns)).toEqual([{ role: 'user', content: 'Q1' }, { role: 'assistant', content: 'A1' }]);
    expect(searchHistory(turns)).toEqual([{ question: 'Q1', answer: 'A1' }, { question: 'Q2' }]);
  });

  // The query rewrite of a follow-up (answer.ts) continues the conversation: its prompt and the answer's after it
  // start alike up to the new user turn, so both take the conversation from the KV cache.
  const rewriteOf = (turns: ChatTurn[], useChatTemplate: boolean) =>
    continueConversation({ systemPrompt: '', history: historyFromTurns(turns), useChatTemplate }, rewriteRequest('And how do I undo that later?'), REWRITE_CUE);

  it('plain prompt: a follow-up\'s rewrite prompt starts with the first prompt and answer, as the second prompt does', async () => {
    const answer = ' Redirect it with `> out.txt` [1].';
    const { first, second, turns } = await twoTurns(false, answer);
    const p1 = first.input as string, p2 = second.input as string, r = rewriteOf(turns, false) as string;
    expect(r.startsWith(p1 + answer + '\n\n')).toBe(true);
    expect(p2.startsWith(p1 + answer + '\n\n')).toBe(true);
    expect(r.endsWith('Question: And how do I undo that later?\n\nSearch:')).toBe(true);
    expect(r).not.toContain('exec >/dev/tty'); // the rewrite comes before retrieval: no new sources
  });

  for (const [family, src] of Object.entries(FALLBACK_CHAT_TEMPLATES)) {
    it(`chat template ${family}: the rendered rewrite prompt and second prompt share the whole first turn`, async () => {
      const answer = ' Redirect it with `> out.txt` [1].\n';
      const { first, second, turns } = await twoTurns(true, answer);
      const t = new Template(src);
      const render = (messages: unknown) => t.render({ messages, bos_token: '<s>', eos_token: '</s>', add_generation_prompt: true });
      const r1 = render(first.input), r2 = render(second.input), rw = render(rewriteOf(turns, true));
      let shared = 0;
      while (shared < rw.length && rw[shared] === r2[shared]) shared++;
      // Everything up to the answer's end (and the template's end-of-turn) is common; they part at the new user message.
      const answerEnd = r2.indexOf(answer.trim(), r1.length) + answer.trim().length;
      expect(answerEnd).toBeGreaterThan(r1.length);
      expect(shared).toBeGreaterThanOrEqual(answerEnd);
      expect(rw.slice(shared)).toContain('Rewrite the last question');
      expect(r2.slice(shared)).toContain('Sources:');
    });
  }
});
