// Prompt builder: system prompt + numbered sources [1]..[k] (file, page) + earlier turns + the question,
// fitted into the model's context window with the engine's own token counter: older turns lose the sources
// they were sent with, then are summarised (then dropped), low-ranked sources dropped, long sources shortened —
// in that order, and on a tiny context the sources altogether. The question and the instructions are never
// cut: when they alone do not fit (a long pasted text on a small-context model), it throws PROMPT_TOO_LONG,
// which says how long the question is and what to do — rather than sending the model a question without its
// beginning.
import type { ChatMessage } from '../model/engine-types';
import { AppError } from '../shared/errors';
import type { CitedSource, Passage } from './types';

export const DEFAULT_SYSTEM_PROMPT =
  'You are a helpful assistant that answers questions about the user\'s documents. ' +
  'Use only the numbered sources below. Cite the sources you use as [1], [2]. ' +
  'If the sources do not contain the answer, say that you could not find it in the documents.';

export interface HistoryTurn {
  role: 'user' | 'assistant';
  content: string;
  /**
   * The turn exactly as the model saw it: a user turn's message with its numbered sources, an assistant turn's
   * text as generated. Rendered verbatim, so that a follow-up question's prompt starts with the earlier prompt
   * and answer and the engine reuses its KV cache for them instead of prefilling them again.
   */
  sent?: string;
}

export interface PromptRequest {
  systemPrompt: string;
  question: string;
  passages: Passage[];
  /** Earlier turns, oldest first (without the current question). */
  history: HistoryTurn[];
  /** Model context window in tokens. */
  contextLength: number;
  /** Tokens wanted for the answer (reserved out of the context). */
  maxAnswerTokens: number;
  /** Chat-templated models take messages; others (no chat template) take one plain-text prompt. */
  useChatTemplate: boolean;
  /** Counts tokens of the input once templated (Engine.countTokens). */
  countTokens: (input: string | ChatMessage[]) => Promise<number>;
}

export interface BuiltPrompt {
  /** What to hand to Engine.generate. */
  input: string | ChatMessage[];
  /** The current user message as sent (sources + question): keep it as the turn's HistoryTurn.sent. */
  userMessage: string;
  /** Sources that made it into the prompt, numbered from 1. */
  sources: CitedSource[];
  promptTokens: number;
  /** Answer budget left after the prompt (≤ maxAnswerTokens, ≥ 1). */
  maxAnswerTokens: number;
  /** What had to give to fit (for the UI and tests). */
  fitted: {
    /** Earlier turns rendered compactly (question and answer, without the sources they were sent with). */
    compactedTurns: number;
    summarisedTurns: number;
    droppedTurns: number;
    droppedSources: number;
    shortenedSources: boolean;
  };
}

/** Minimal share of the context always kept for the answer. */
const MIN_ANSWER_TOKENS = 16;
const MIN_SOURCE_CHARS = 120;
/** The summary of dropped turns names at most this many of the latest earlier questions. */
const MAX_SUMMARY_QUESTIONS = 6;
/** Sources kept before the summary of earlier turns is shortened. */
const SOURCES_BEFORE_SUMMARY = 2;

export function formatSources(sources: CitedSource[]): string {
  return sources
    .map((s) => `[${s.n}] ${s.file}, page ${s.label || s.page}:\n${s.text.trim()}`)
    .join('\n\n');
}

/** One line per earlier user question: a cheap extractive summary of turns that no longer fit. */
export function summariseTurns(turns: HistoryTurn[]): string {
  const questions = turns.filter((t) => t.role === 'user').slice(-MAX_SUMMARY_QUESTIONS).map((t) => firstSentence(t.content, 160));
  if (questions.length === 0) return '';
  return 'Earlier in this conversation the user asked: ' + questions.map((q) => `"${q}"`).join('; ') + '.';
}

function firstSentence(text: string, maxChars: number): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  const m = /^(.+?(?:[.?!](?=\s|$)|[。？！]))/u.exec(clean);
  const s = m ? m[1] : clean;
  return s.length > maxChars ? s.slice(0, maxChars - 1) + '…' : s;
}

interface Parts {
  system: string;
  summary: string;
  history: HistoryTurn[];
  sources: CitedSource[];
  question: string;
}

function userContent(p: Parts): string {
  const src = p.sources.length > 0 ? `Sources:\n${formatSources(p.sources)}\n\n` : 'Sources: (none found)\n\n';
  return `${src}Question: ${p.question}`;
}

export function renderMessages(p: Parts): ChatMessage[] {
  const system = p.summary ? `${p.system}\n\n${p.summary}` : p.system;
  return messagesWith(system, p.history, userContent(p));
}

function messagesWith(system: string, history: HistoryTurn[], lastUser: string): ChatMessage[] {
  return [
    { role: 'system', content: system },
    ...history.map((t) => ({ role: t.role, content: historyContent(t) }) as ChatMessage),
    { role: 'user', content: lastUser },
  ];
}

/**
 * A history turn's message for a chat template. Templates put the assistant's content right after the generation
 * prompt the model answered from (Llama 2 adds a space first), so the generated text goes in without its edge
 * whitespace, which the answer's first token carried.
 */
function historyContent(t: HistoryTurn): string {
  if (t.sent === undefined) return t.content;
  return t.role === 'assistant' ? t.sent.trim() : t.sent;
}

/**
 * A history turn as plain-prompt lines. A turn as sent reproduces the earlier prompt exactly: its user message
 * (sources + "Question: …"), then "Answer:" directly followed by the generated text (which starts with the space
 * the model produced).
 */
function plainHistoryLine(t: HistoryTurn): string {
  if (t.sent !== undefined) return t.role === 'user' ? t.sent : `Answer:${t.sent}`;
  return `${t.role === 'user' ? 'Question' : 'Answer'}: ${t.content}`;
}

export function renderPlain(p: Parts): string {
  return plainWith(p.system, p.summary, p.history, userContent(p), 'Answer:');
}

function plainWith(system: string, summary: string, history: HistoryTurn[], lastUser: string, cue: string): string {
  const lines: string[] = [system];
  if (summary) lines.push(summary);
  for (const t of history) lines.push(plainHistoryLine(t));
  lines.push(lastUser, cue);
  return lines.join('\n\n');
}

/** The system prompt an answer is sent with (the setting, or the default when it is blank). */
export function effectiveSystemPrompt(setting: string): string {
  return setting.trim() || DEFAULT_SYSTEM_PROMPT;
}

/**
 * The conversation as the next answer's prompt will start (system prompt, earlier turns as sent), followed by
 * another user message instead of the sources and question: a side generation, such as the query rewrite
 * (query-rewrite.ts), that continues the cached conversation. The engine then reuses its KV cache for the
 * conversation in that generation, and again in the answer after it (whose prompt shares the same start),
 * rather than prefilling the conversation twice per turn. `cue` ends a plain prompt ("Answer:" for an answer).
 */
export function continueConversation(c: { systemPrompt: string; history: HistoryTurn[]; useChatTemplate: boolean }, userMessage: string, cue: string): string | ChatMessage[] {
  const system = effectiveSystemPrompt(c.systemPrompt);
  return c.useChatTemplate ? messagesWith(system, c.history, userMessage) : plainWith(system, '', c.history, userMessage, cue);
}

export async function buildPrompt(req: PromptRequest): Promise<BuiltPrompt> {
  const ctx = Math.max(1, Math.floor(req.contextLength));
  // The answer keeps at most half the context when asked for more; the prompt gets the rest.
  const answerReserve = Math.max(Math.min(req.maxAnswerTokens, Math.floor(ctx / 2)), Math.min(MIN_ANSWER_TOKENS, ctx - 1), 1);
  const budget = Math.max(1, ctx - answerReserve);
  const render = req.useChatTemplate ? renderMessages : renderPlain;
  const count = async (p: Parts) => req.countTokens(render(p));

  const parts: Parts = {
    system: effectiveSystemPrompt(req.systemPrompt),
    summary: '',
    history: [...req.history],
    sources: req.passages.map((p, i) => ({ ...p, n: i + 1 })),
    question: req.question.trim(),
  };
  const fitted = { compactedTurns: 0, summarisedTurns: 0, droppedTurns: 0, droppedSources: 0, shortenedSources: false };
  let tokens = await count(parts);

  // 0. Earlier turns as sent carry their sources (and let the engine reuse its KV cache); when they do not fit,
  //    the oldest are rendered compactly first — question and answer only — before any is summarised.
  while (tokens > budget && parts.history.some((t) => t.sent !== undefined)) {
    const i = parts.history.findIndex((t) => t.sent !== undefined);
    const n = parts.history[i].role === 'user' && parts.history[i + 1]?.role === 'assistant' ? 2 : 1;
    for (let j = i; j < i + n; j++) parts.history[j] = { role: parts.history[j].role, content: parts.history[j].content };
    fitted.compactedTurns += n;
    tokens = await count(parts);
  }

  // 1. Older turns: fold the oldest exchange into the summary, one at a time.
  const summarised: HistoryTurn[] = [];
  while (tokens > budget && parts.history.length > 0) {
    const dropCount = parts.history[0].role === 'user' && parts.history[1]?.role === 'assistant' ? 2 : 1;
    summarised.push(...parts.history.splice(0, dropCount));
    parts.summary = summariseTurns(summarised);
    fitted.summarisedTurns += dropCount;
    tokens = await count(parts);
  }
  // 2. Lowest-ranked sources go, down to a few.
  while (tokens > budget && parts.sources.length > SOURCES_BEFORE_SUMMARY) {
    parts.sources.pop();
    fitted.droppedSources++;
    tokens = await count(parts);
  }
  // 2b. The summary itself too long: keep only its most recent questions, then none.
  while (tokens > budget && parts.summary) {
    const users = summarised.filter((t) => t.role === 'user').slice(-MAX_SUMMARY_QUESTIONS);
    const keep = Math.floor(users.length / 2);
    fitted.droppedTurns += users.length - keep;
    summarised.splice(0, summarised.length, ...users.slice(users.length - keep));
    parts.summary = summariseTurns(summarised);
    tokens = await count(parts);
  }
  // 2c. Then sources down to the best one.
  while (tokens > budget && parts.sources.length > 1) {
    parts.sources.pop();
    fitted.droppedSources++;
    tokens = await count(parts);
  }
  // 3. Shorten the remaining source texts (cut at a word boundary).
  // (shorten() returns at most maxChars, marker included, so each round shrinks every long text: the loop ends.)
  while (tokens > budget && parts.sources.some((s) => s.text.length > MIN_SOURCE_CHARS)) {
    fitted.shortenedSources = true;
    parts.sources = parts.sources.map((s) => (s.text.length > MIN_SOURCE_CHARS ? { ...s, text: shorten(s.text, Math.max(MIN_SOURCE_CHARS, Math.floor(s.text.length * 0.6))) } : s));
    tokens = await count(parts);
  }
  // 4. Still too big (a tiny context): the sources go altogether (the turn then shows none, and `cli ask` warns).
  if (tokens > budget && parts.sources.length > 0) {
    fitted.droppedSources += parts.sources.length;
    parts.sources = [];
    tokens = await count(parts);
  }
  // 5. The question and the instructions alone do not fit: say so, with the sizes, instead of cutting them.
  if (tokens > budget) {
    const bare = { ...parts, summary: '', history: [], sources: [] };
    const questionTokens = Math.max(0, (await count(bare)) - (await count({ ...bare, question: '' })));
    throw new AppError(
      'PROMPT_TOO_LONG',
      `The question is about ${questionTokens} tokens; this model's context holds ${ctx} tokens, ${answerReserve} of them kept for the answer, ` +
        `so the question and the instructions do not fit. Shorten the question (or the system prompt in the settings), or load a model with a longer context.`,
      { questionTokens, contextLength: ctx, answerTokens: answerReserve, promptTokens: tokens },
    );
  }

  return {
    input: render(parts),
    userMessage: userContent(parts),
    // The UI shows and highlights the full passages, even where the prompt carried a shortened copy.
    sources: parts.sources.map((s) => ({ ...req.passages[s.n - 1], n: s.n })),
    promptTokens: tokens,
    maxAnswerTokens: Math.max(1, Math.min(req.maxAnswerTokens, ctx - tokens)),
    fitted,
  };
}

/** The text cut at a word boundary to at most `maxChars` characters, the ' …' marker included. */
export function shorten(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const MARK = ' …';
  const room = Math.max(1, maxChars - MARK.length);
  let cut = text.slice(0, room);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1); // not half of a surrogate pair
  const space = cut.lastIndexOf(' ');
  return (space > room * 0.6 ? cut.slice(0, space) : cut) + MARK;
}
