// Query rewrite by the loaded language model (optional; AnswerSettings.queryRewrite, `cli ask --rewrite`).
// Before retrieval the model writes a few search words and a one-line draft answer (HyDE-style: a draft
// answer shares more words with the answering passage than a reader's question does); for a follow-up it
// also sees the earlier questions, so "how do I undo that?" can become "undo sink output to file". The text is
// an EXTRA query: DocumentLibrary.search adds its words to the question's at a lower weight (extraQueries,
// lexical-config.ts extraQueryWeight), so a useless rewrite costs little and never replaces the question.
// Bounded: REWRITE_MAX_TOKENS greedy tokens, the caller's AbortSignal cancels it (ABORTED propagates, the
// answer is cancelled), and any other failure returns { text: null, reason } — retrieval then runs on the
// question alone.
// In a conversation with a model, answer.ts hands in the prompt to use (opts.prompt): the conversation as the
// answer's prompt will start, then rewriteRequest() as one more user message (prompt.ts continueConversation),
// so that the rewrite and the answer after it both take the conversation from the engine's KV cache.
import type { ChatMessage, Engine, ModelInfo } from '../model/engine-types';
import type { ConversationTurn } from './conversation-query';
import { AppError } from '../shared/errors';

/** Tokens the model may spend on a rewrite (a keyword line and a short sentence). */
export const REWRITE_MAX_TOKENS = 40;
/** Characters of a rewrite that are used (a model that rambles is cut here). */
export const REWRITE_MAX_CHARS = 300;
/** Earlier questions shown to the model. */
const REWRITE_HISTORY = 2;

/** What the rewrite's generation cost: its prompt, and how much of it came from the engine's KV cache. */
export interface RewriteStats {
  promptTokens: number;
  reusedTokens: number;
}

export type QueryRewrite = ({ text: string } | { text: null; reason: string }) & { stats?: RewriteStats };

const INSTRUCTION =
  'Rewrite the last question as a self-contained search query for a document, then add a one-sentence draft answer. ' +
  'Use the words a manual would use. Reply with one line only.';

/** The user message that asks for a rewrite at the end of a conversation the model has already seen. */
export function rewriteRequest(question: string): string {
  return `${INSTRUCTION}\n\nQuestion: ${question.trim()}`;
}

/** What ends a plain (no chat template) rewrite prompt. */
export const REWRITE_CUE = 'Search:';

/** What the model is asked: a chat for a model with a chat template, else a plain prompt ending in "Search:". */
export function rewritePrompt(question: string, history: readonly ConversationTurn[], useChatTemplate: boolean): string | ChatMessage[] {
  const earlier = history.slice(-REWRITE_HISTORY).map((t) => t.question.trim()).filter(Boolean);
  const context = earlier.length ? `Earlier questions:\n${earlier.map((q) => `- ${q}`).join('\n')}\n` : '';
  const body = `${context}Question: ${question.trim()}`;
  if (useChatTemplate) return [{ role: 'system', content: INSTRUCTION }, { role: 'user', content: body }];
  return `${INSTRUCTION}\n\n${body}\n${REWRITE_CUE}`;
}

/** First non-empty line, without quotes or a "Search:" label, at most REWRITE_MAX_CHARS. */
export function cleanRewrite(raw: string): string {
  const line = raw.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
  return line.replace(/^(?:search(?: query)?|query)\s*[:：]\s*/i, '').replace(/^["'“”]+|["'“”]+$/g, '').slice(0, REWRITE_MAX_CHARS).trim();
}

export async function rewriteQuery(
  engine: Pick<Engine, 'generate'> & Partial<Pick<Engine, 'lastStats'>>,
  info: Pick<ModelInfo, 'hasChatTemplate'>,
  question: string,
  history: readonly ConversationTurn[],
  opts: { signal?: AbortSignal; maxTokens?: number; prompt?: string | ChatMessage[] } = {},
): Promise<QueryRewrite> {
  let raw = '';
  try {
    const input = opts.prompt ?? rewritePrompt(question, history, info.hasChatTemplate);
    for await (const tok of engine.generate(input, { maxTokens: opts.maxTokens ?? REWRITE_MAX_TOKENS, temperature: 0, raw: !info.hasChatTemplate, signal: opts.signal })) {
      raw += tok.text;
      if (raw.trimStart().includes('\n')) break; // one line is all that is used
    }
  } catch (e) {
    const err = AppError.from(e);
    if (err.code === 'ABORTED' || opts.signal?.aborted) throw new AppError('ABORTED', 'The operation was cancelled.');
    return { text: null, reason: `the model could not rewrite the question (${err.code}: ${err.message}); searched with the question alone` };
  }
  if (opts.signal?.aborted) throw new AppError('ABORTED', 'The operation was cancelled.');
  const text = cleanRewrite(raw);
  const s = engine.lastStats?.();
  const stats = s ? { stats: { promptTokens: s.promptTokens, reusedTokens: s.reusedTokens ?? 0 } } : {};
  return text ? { text, ...stats } : { text: null, reason: 'the model wrote no rewrite; searched with the question alone', ...stats };
}
