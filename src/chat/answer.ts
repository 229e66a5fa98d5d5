// One question → one assistant turn: retrieve passages over the selected documents, then either stream a
// model answer over a fitted prompt, or (no model loaded) return the passages themselves: search mode.
import type { ChatMessage, Engine, ModelInfo } from '../model/engine-types';
import type { ConversationTurn } from '../retrieval/library';
import { AppError } from '../shared/errors';
import { REWRITE_CUE, REWRITE_MAX_TOKENS, rewriteQuery, rewriteRequest, type QueryRewrite } from '../retrieval/query-rewrite';
import { buildPrompt, continueConversation, type HistoryTurn } from './prompt';
import type { ChatTurn, CitedSource, Passage } from './types';

/** The error on an answer the model left blank (it was not stopped). */
export const EMPTY_ANSWER = new AppError('EMPTY_ANSWER', 'The model produced no text for this question. Try again, or try another model.');

export interface AnswerSettings {
  temperature: number;
  topP: number;
  maxAnswerTokens: number;
  passages: number; // top-k passages retrieved
  systemPrompt: string;
  /** With a model loaded: let it rewrite the question into an extra search query first (src/retrieval/query-rewrite.ts). */
  queryRewrite: boolean;
}

export const DEFAULT_ANSWER_SETTINGS: AnswerSettings = {
  temperature: 0.3,
  topP: 0.9,
  maxAnswerTokens: 256,
  passages: 4,
  systemPrompt: '',
  queryRewrite: false,
};

export interface AnswerDeps {
  /** `history`: the earlier questions (and answers) of the conversation, oldest first, for follow-up questions. */
  search(query: string, opts: { topK: number; docIds?: string[]; history?: ConversationTurn[]; extraQueries?: string[] }): Promise<Passage[]>;
  /** The loaded engine and what it loaded; null → search mode. */
  engine: { engine: Engine; info: ModelInfo } | null;
}

export interface AnswerCallbacks {
  signal?: AbortSignal;
  /** Sources are known (before the first token). */
  onSources?(sources: CitedSource[]): void;
  /** The whole answer text so far, after each token. */
  onText?(text: string): void;
  /** The model's rewrite of the question (settings.queryRewrite), or why there is none. */
  onRewrite?(rewrite: QueryRewrite): void;
}

/**
 * Earlier turns as the model should see them: search-mode turns carry no answer and are left out. Turns that
 * recorded the user message they were sent with are rendered exactly as sent (see HistoryTurn.sent).
 */
export function historyFromTurns(turns: ChatTurn[]): HistoryTurn[] {
  const out: HistoryTurn[] = [];
  for (let i = 0; i < turns.length; i++) {
    const t = turns[i];
    const next = turns[i + 1];
    if (t.role === 'user' && next?.role === 'assistant' && next.mode === 'model' && !next.error && next.content.trim()) {
      if (next.sentUserMessage !== undefined) {
        out.push({ role: 'user', content: t.content, sent: next.sentUserMessage }, { role: 'assistant', content: next.content, sent: next.content });
      } else {
        out.push({ role: 'user', content: t.content }, { role: 'assistant', content: next.content });
      }
      i++;
    }
  }
  return out;
}

/**
 * Earlier questions for retrieving a follow-up question, each with its answer: the model's answer where
 * there is one, in search mode the top passage that was shown (what the user is following up on; measured
 * by `npm run eval:retrieval`, docs/RETRIEVAL.md).
 */
export function searchHistory(turns: ChatTurn[]): ConversationTurn[] {
  const out: ConversationTurn[] = [];
  for (let i = 0; i < turns.length; i++) {
    if (turns[i].role !== 'user') continue;
    const next = turns[i + 1];
    const answered = next?.role === 'assistant' && next.mode === 'model' && !next.error && next.content.trim();
    const shown = next?.role === 'assistant' && next.mode === 'search' ? next.sources?.[0]?.text : undefined;
    const answer = answered ? next.content : shown;
    const pages = next?.role === 'assistant' ? (next.sources ?? []).map((p) => ({ docId: p.docId, page: p.page })) : [];
    out.push({ question: turns[i].content, ...(answer ? { answer } : {}), ...(pages.length ? { pages } : {}) });
  }
  return out;
}

/** What an answer cut short says (null when it ended by itself). */
export function cutNotice(finish: string | undefined, budget: number, setting: number): string | null {
  if (finish === 'length' && budget >= setting) return `The answer was cut at ${budget} tokens, the “Max answer length” setting: raise it in Settings for longer answers.`;
  if (finish === 'length' || finish === 'context') return `The answer was cut at ${budget} tokens: the model's context is full (the sources and the conversation take the rest). Start a new conversation, or ask for less, for a longer answer.`;
  return null;
}

/**
 * The rewrite's prompt in a conversation: the conversation as the answer's prompt will start, then the rewrite
 * request, so that the rewrite and the answer both reuse the engine's KV cache for it (one prefill of each new
 * turn, not two of the whole conversation). Undefined — the rewrite's own short prompt — when that does not
 * leave room for the rewrite in the context (the answer prompt will then be fitted by dropping turns anyway).
 */
async function rewriteInput(question: string, sent: HistoryTurn[], engine: Engine, info: ModelInfo, settings: AnswerSettings): Promise<string | ChatMessage[] | undefined> {
  const input = continueConversation({ systemPrompt: settings.systemPrompt, history: sent, useChatTemplate: info.hasChatTemplate }, rewriteRequest(question), REWRITE_CUE);
  const tokens = await engine.countTokens(input);
  return tokens + REWRITE_MAX_TOKENS < info.contextLength ? input : undefined;
}

export async function answerQuestion(
  question: string,
  earlier: ChatTurn[],
  docIds: string[] | undefined,
  deps: AnswerDeps,
  settings: AnswerSettings,
  cb: AnswerCallbacks = {},
): Promise<Omit<ChatTurn, 'id' | 'createdAt'>> {
  const history = searchHistory(earlier);
  /** The earlier turns as they were sent: the rewrite's prompt and the answer's start with them. */
  const sent = historyFromTurns(earlier);
  // Bounded (a few tokens), cancellable, and on failure the search runs on the question alone.
  let rewrite: Awaited<ReturnType<typeof rewriteQuery>> | null = null;
  try {
    if (deps.engine && settings.queryRewrite) {
      const { engine, info } = deps.engine;
      const prompt = await rewriteInput(question, sent, engine, info, settings).catch(() => undefined); // a failed count: its own prompt
      rewrite = await rewriteQuery(engine, info, question, history, { signal: cb.signal, ...(prompt ? { prompt } : {}) });
    }
  } catch (e) {
    // Stop pressed while the model was rewriting the question: stopped, as at any later moment (not an error).
    if (AppError.from(e).code === 'ABORTED' || cb.signal?.aborted) return { role: 'assistant', content: '', mode: 'model', stopped: true };
    throw e;
  }
  if (rewrite) cb.onRewrite?.(rewrite);
  const extraQueries = rewrite?.text ? [rewrite.text] : [];
  const passages = await deps.search(question, { topK: Math.max(1, settings.passages), docIds, ...(history.length ? { history } : {}), ...(extraQueries.length ? { extraQueries } : {}) });
  if (!deps.engine) {
    const sources = passages.map((p, i) => ({ ...p, n: i + 1 }));
    cb.onSources?.(sources);
    return { role: 'assistant', content: '', sources, mode: 'search' };
  }

  const { engine, info } = deps.engine;
  const built = await buildPrompt({
    systemPrompt: settings.systemPrompt,
    question,
    passages,
    history: sent,
    contextLength: info.contextLength,
    maxAnswerTokens: settings.maxAnswerTokens,
    useChatTemplate: info.hasChatTemplate,
    countTokens: (input) => engine.countTokens(input),
  });
  cb.onSources?.(built.sources);

  let text = '';
  let stopped = false;
  try {
    for await (const tok of engine.generate(built.input, {
      maxTokens: built.maxAnswerTokens,
      temperature: settings.temperature,
      topP: settings.topP,
      raw: !info.hasChatTemplate,
      signal: cb.signal,
    })) {
      text += tok.text;
      cb.onText?.(text);
    }
  } catch (e) {
    const err = AppError.from(e);
    if (err.code !== 'ABORTED') {
      return { role: 'assistant', content: text, sources: built.sources, mode: 'model', error: { code: err.code, message: err.message } };
    }
    stopped = true;
  }
  if (cb.signal?.aborted) stopped = true;
  const s = engine.lastStats();
  // A model that ends at once (end-of-text as its first token, or only whitespace) would leave a blank answer.
  const empty = !stopped && !text.trim();
  // An answer that ran into its token limit looks finished unless it says so.
  const cut = stopped || empty ? undefined : cutNotice(s?.finish, built.maxAnswerTokens, settings.maxAnswerTokens);
  return {
    role: 'assistant',
    content: text,
    sources: built.sources,
    mode: 'model',
    sentUserMessage: built.userMessage,
    ...(cut ? { notice: cut } : {}),
    ...(stopped ? { stopped } : {}),
    ...(s ? { stats: { ...s } } : {}),
    ...(empty ? { error: { code: EMPTY_ANSWER.code, message: EMPTY_ANSWER.message } } : {}),
  };
}
