import { describe, expect, it } from 'vitest';
import { buildPrompt, shorten, summariseTurns, type HistoryTurn } from '../../src/chat/prompt';
import type { ChatMessage } from '../../src/model/engine-types';
import type { Passage } from '../../src/chat/types';
import { AppError } from '../../src/shared/errors';
import { rejectionOf } from '../caught-error';

// A real, simple tokenizer for the prompt maths: one token per word or punctuation mark, plus 4 per message
// (role markers), like a chat template would add.
function countWords(input: string | ChatMessage[]): Promise<number> {
  const text = typeof input === 'string' ? [input] : input.map((m) => m.content);
  let n = typeof input === 'string' ? 1 : input.length * 4;
  for (const t of text) n += (t.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? []).length;
  return Promise.resolve(n);
}

function passage(i: number, words: number): Passage {
  const text = Array.from({ length: words }, (_, w) => `word${i}x${w}`).join(' ');
  return { docId: `d${i}`, file: `doc${i}.pdf`, page: i + 1, label: String(i + 1), score: 1 / (i + 1), text, start: 0, end: text.length };
}

describe('buildPrompt', () => {
  it('numbers the sources [1]..[k] with file and page, and keeps everything when it fits', async () => {
    const p = await buildPrompt({
      systemPrompt: 'Answer from the sources.', question: 'What is up?', passages: [passage(0, 10), passage(1, 10)],
      history: [], contextLength: 2048, maxAnswerTokens: 256, useChatTemplate: true, countTokens: countWords,
    });
    const msgs = p.input as ChatMessage[];
    expect(msgs[0]).toEqual({ role: 'system', content: 'Answer from the sources.' });
    expect(msgs.at(-1)!.content).toContain('[1] doc0.pdf, page 1:');
    expect(msgs.at(-1)!.content).toContain('[2] doc1.pdf, page 2:');
    expect(msgs.at(-1)!.content.endsWith('Question: What is up?')).toBe(true);
    expect(p.sources.map((s) => s.n)).toEqual([1, 2]);
    expect(p.promptTokens).toBe(await countWords(msgs));
    expect(p.maxAnswerTokens).toBe(256);
    expect(p.fitted).toEqual({ compactedTurns: 0, summarisedTurns: 0, droppedTurns: 0, droppedSources: 0, shortenedSources: false });
  });

  it('fits a long conversation into a small context: summarises old turns, drops low-ranked sources, never throws', async () => {
    const history: HistoryTurn[] = [];
    for (let i = 0; i < 20; i++) {
      history.push({ role: 'user', content: `Question number ${i} about the topic? And more.` });
      history.push({ role: 'assistant', content: 'A long answer '.repeat(30) });
    }
    const ctx = 400;
    const p = await buildPrompt({
      systemPrompt: 'Answer from the sources.', question: 'The final question?', passages: [0, 1, 2, 3, 4, 5].map((i) => passage(i, 60)),
      history, contextLength: ctx, maxAnswerTokens: 100, useChatTemplate: true, countTokens: countWords,
    });
    expect(p.promptTokens).toBeLessThanOrEqual(ctx - 100);
    expect(p.promptTokens).toBe(await countWords(p.input));
    expect(p.fitted.summarisedTurns).toBe(40);
    expect(p.fitted.droppedSources).toBeGreaterThan(0);
    expect(p.sources.length).toBeGreaterThanOrEqual(1);
    expect(p.sources[0].n).toBe(1); // the best passage survives
    const system = (p.input as ChatMessage[])[0].content;
    expect(system).toContain('Earlier in this conversation the user asked');
    expect((p.input as ChatMessage[]).at(-1)!.content).toContain('The final question?');
  });

  it('keeps the newest turns verbatim and folds only the oldest into the summary', async () => {
    const history: HistoryTurn[] = [];
    for (let i = 0; i < 6; i++) history.push({ role: 'user', content: `Q${i}?` }, { role: 'assistant', content: `answer ${i} `.repeat(10) });
    const p = await buildPrompt({
      systemPrompt: 'S.', question: 'Now?', passages: [passage(0, 5)], history, contextLength: 160, maxAnswerTokens: 20,
      useChatTemplate: true, countTokens: countWords,
    });
    const msgs = p.input as ChatMessage[];
    expect(p.fitted.summarisedTurns).toBeGreaterThan(0);
    expect(p.fitted.summarisedTurns).toBeLessThan(12);
    expect(msgs[0].content).toContain('"Q0?"');
    expect(msgs.some((m) => m.content === 'Q5?')).toBe(true); // newest user turn kept as a message
    expect(p.promptTokens).toBeLessThanOrEqual(140);
  });

  it('never cuts the question: one that does not fit even without sources is PROMPT_TOO_LONG, with its size and what to do', async () => {
    const long = 'why '.repeat(200) + 'is the sky blue?';
    const err = await rejectionOf(buildPrompt({
      systemPrompt: 'S.', question: long, passages: [passage(0, 500)], history: [],
      contextLength: 64, maxAnswerTokens: 512, useChatTemplate: false, countTokens: countWords,
    }));
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('PROMPT_TOO_LONG');
    // 205 words: "Question: " and the rest of the frame are not the question's.
    expect(err.details).toMatchObject({ questionTokens: 205, contextLength: 64, answerTokens: 32 });
    expect(err.message).toMatch(/about 205 tokens; this model's context holds 64 tokens, 32 of them kept for the answer/);
    expect(err.message).toMatch(/the question and the instructions do not fit\. Shorten the question/);
    // Without sources (nothing found) the same question still does not fit: the same error, not a cut question.
    const bare = await rejectionOf(buildPrompt({
      systemPrompt: 'S.', question: long, passages: [], history: [], contextLength: 64, maxAnswerTokens: 16, useChatTemplate: true, countTokens: countWords,
    }));
    expect(bare.code).toBe('PROMPT_TOO_LONG');
    expect(bare.message).toMatch(/the question and the instructions do not fit/);
  });

  it('on a tiny context the sources go before anything of the question: every word of it is sent', async () => {
    const question = 'why '.repeat(12) + 'is the sky blue?';
    const p = await buildPrompt({
      systemPrompt: 'S.', question, passages: [passage(0, 500)], history: [],
      contextLength: 64, maxAnswerTokens: 512, useChatTemplate: false, countTokens: countWords,
    });
    expect(p.fitted.droppedSources).toBe(1);
    expect(p.sources).toHaveLength(0);
    expect(p.promptTokens).toBeLessThanOrEqual(32);
    expect(p.input as string).toContain(`Question: ${question}\n\nAnswer:`);
  });

  it('a question that fits with a shortened source keeps every word and the source; the answer keeps room', async () => {
    const question = 'why '.repeat(10) + 'is the sky blue?';
    const p = await buildPrompt({
      systemPrompt: 'S.', question, passages: [passage(0, 500)], history: [],
      contextLength: 128, maxAnswerTokens: 512, useChatTemplate: false, countTokens: countWords,
    });
    expect(p.promptTokens).toBeLessThanOrEqual(64); // half the context is kept for the answer
    expect(p.maxAnswerTokens).toBeGreaterThanOrEqual(64);
    expect(p.fitted.shortenedSources).toBe(true);
    expect(p.sources).toHaveLength(1);
    expect(p.input as string).toContain(`Question: ${question}\n\nAnswer:`);
  });

  it('plain-text prompts (no chat template) carry the same sources and history', async () => {
    const p = await buildPrompt({
      systemPrompt: 'S.', question: 'Q?', passages: [passage(0, 3)], history: [{ role: 'user', content: 'Before?' }, { role: 'assistant', content: 'Yes.' }],
      contextLength: 512, maxAnswerTokens: 64, useChatTemplate: false, countTokens: countWords,
    });
    expect(p.input).toBe('S.\n\nQuestion: Before?\n\nAnswer: Yes.\n\nSources:\n[1] doc0.pdf, page 1:\nword0x0 word0x1 word0x2\n\nQuestion: Q?\n\nAnswer:');
  });

  it('returns the full passage text to the UI even when the prompt carried a shortened copy', async () => {
    const original = passage(0, 400);
    const p = await buildPrompt({
      systemPrompt: 'S.', question: 'Q?', passages: [original], history: [], contextLength: 300, maxAnswerTokens: 50,
      useChatTemplate: true, countTokens: countWords,
    });
    expect(p.fitted.shortenedSources).toBe(true);
    expect(p.sources[0].text).toBe(original.text);
    expect((p.input as ChatMessage[]).at(-1)!.content.length).toBeLessThan(original.text.length);
  });
});

describe('buildPrompt: a question too long for the context, with sources that shorten to just over the floor', () => {
  // Before: shorten() added its ' …' after cutting at 120 characters, so a 121-122 character source came back
  // unchanged, the loop never ended and the answer hung instead of saying PROMPT_TOO_LONG.
  for (const [name, text] of [
    ['Chinese (no spaces)', '环境变量的设置方法在终端中输入命令即可完成库的安装需要管理员权限'.repeat(20)],
    ['English (a space at 119)', `${'a'.repeat(119)} ${'b'.repeat(300)}`],
  ] as const) {
    it(`${name}: PROMPT_TOO_LONG after a bounded number of counts`, async () => {
      let calls = 0;
      const chars = async (input: string | ChatMessage[]) => {
        calls++;
        if (calls > 500) throw new Error('still fitting after 500 counts');
        return typeof input === 'string' ? input.length : input.map((m) => m.content).join('\n').length;
      };
      const err = await rejectionOf(buildPrompt({
        systemPrompt: '', question: 'q'.repeat(1800), passages: [{ docId: 'd', file: 'f.pdf', page: 1, label: '1', score: 1, text, start: 0, end: text.length }],
        history: [], contextLength: 2048, maxAnswerTokens: 256, useChatTemplate: false, countTokens: chars,
      }));
      expect(err.code).toBe('PROMPT_TOO_LONG');
      expect(calls).toBeLessThan(40);
    });
  }

  it('shorten() returns at most maxChars with its marker, never half a surrogate pair, and leaves short text alone', () => {
    for (const t of ['环境变量的设置方法'.repeat(30), `${'a'.repeat(119)} ${'b'.repeat(300)}`, 'x'.repeat(118) + '😀'.repeat(10)]) {
      const out = shorten(t, 120);
      expect(out.length).toBeLessThanOrEqual(120);
      expect(out.endsWith(' …')).toBe(true);
      expect(out.isWellFormed()).toBe(true);
    }
    expect(shorten('short', 120)).toBe('short');
  });
});

describe('summariseTurns', () => {
  it('lists the first sentence of each earlier question', () => {
    expect(summariseTurns([{ role: 'user', content: 'What is X? Tell me.' }, { role: 'assistant', content: 'X is y.' }, { role: 'user', content: '为什么？后面' }]))
      .toBe('Earlier in this conversation the user asked: "What is X?"; "为什么？".');
  });
});
