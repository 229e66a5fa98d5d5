// Retrieval for a question asked in a conversation: "And how do I undo that later?" says nothing about
// what "that" is, so the earlier turns are added to the query at lower weight. The question's own terms
// weigh 1; the previous question's terms historyQuestionWeight, the most distinctive terms of its answer
// historyAnswerWeight, and each turn further back is multiplied by historyQuestionWeight once more. A term
// keeps its largest weight. For a self-contained question the earlier turns together may weigh at most
// historyMassCap of the question itself (weights × idf): a long previous question on another document (a pasted
// paragraph) would otherwise outweigh a short new one that names its own subject.
import type { LexicalConfig } from './lexical-config';

export interface ConversationTurn {
  question: string;
  answer?: string;
  /** The pages this turn found (shown or cited), best first: a prior for a follow-up question. */
  pages?: readonly { docId: string; page: number }[];
}

/** How many earlier turns take part (older ones weigh too little to matter). */
export const HISTORY_TURNS = 3;

/** An answer (or a shown passage) is long: only its ANSWER_TERMS most distinctive terms (tf · idf) take part. */
export const ANSWER_TERMS = 8;

export function conversationTerms(
  question: string,
  history: readonly ConversationTurn[],
  terms: (text: string) => string[],
  config: Pick<LexicalConfig, 'historyQuestionWeight' | 'historyAnswerWeight'> & Partial<Pick<LexicalConfig, 'historyMassCap'>>,
  idf: (term: string) => number = () => 1,
): Map<string, number> {
  const questionWeight = config.historyQuestionWeight;
  const out = new Map<string, number>();
  const set = (ts: Iterable<string>, w: number) => {
    if (w <= 0) return;
    for (const t of ts) out.set(t, Math.max(out.get(t) ?? 0, w));
  };
  const add = (text: string, w: number) => set(terms(text), w);
  const addAnswer = (text: string, w: number) => {
    const tf = new Map<string, number>();
    for (const t of terms(text)) tf.set(t, (tf.get(t) ?? 0) + 1);
    const best = [...tf].map(([t, n]) => [t, n * idf(t)] as const).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    set(best.slice(0, ANSWER_TERMS).map(([t]) => t), w);
  };
  const own = new Set(terms(question));
  set(own, 1);
  const recent = history.slice(-HISTORY_TURNS).reverse();
  recent.forEach((turn, k) => {
    const decay = questionWeight ** k;
    add(turn.question, questionWeight * decay);
    if (turn.answer) addAnswer(turn.answer, config.historyAnswerWeight * decay);
  });
  const cap = config.historyMassCap ?? 0;
  if (cap > 0) {
    let ownMass = 0;
    for (const t of own) ownMass += idf(t);
    let historyMass = 0;
    for (const [t, w] of out) if (!own.has(t)) historyMass += w * idf(t);
    if (historyMass > cap * ownMass) {
      const scale = (cap * ownMass) / historyMass;
      for (const [t, w] of out) if (!own.has(t)) out.set(t, w * scale);
    }
  }
  return out;
}

/**
 * The history weights for this question: the follow-up weights when it leans on the conversation
 * (follow-up-signal.ts), else the ordinary ones with the cap on the history's total weight.
 */
export function historyWeights(
  followUp: boolean,
  config: Pick<LexicalConfig, 'historyQuestionWeight' | 'historyAnswerWeight' | 'followUpQuestionWeight' | 'followUpAnswerWeight' | 'historyMassCap'>,
): Pick<LexicalConfig, 'historyQuestionWeight' | 'historyAnswerWeight' | 'historyMassCap'> {
  return followUp
    ? { historyQuestionWeight: config.followUpQuestionWeight, historyAnswerWeight: config.followUpAnswerWeight, historyMassCap: 0 }
    : { historyQuestionWeight: config.historyQuestionWeight, historyAnswerWeight: config.historyAnswerWeight, historyMassCap: config.historyMassCap };
}

/** The text a dense (embedding) search embeds: the previous question, then this one. */
export function conversationQueryText(question: string, history: readonly ConversationTurn[]): string {
  const previous = history.length > 0 ? history[history.length - 1].question.trim() : '';
  return previous ? `${previous}\n${question}` : question;
}
