// Does a question lean on the conversation? "And how do I undo that later?", "Which language is it written
// in?", "那加一呢？", "它默认叫什么名字？" cannot be understood alone; "How do I undo the last change in the
// editor?" can. A question is a follow-up when it refers back (a pronoun or demonstrative, "the former",
// "还有…", a trailing "呢"), opens like a continuation ("And …", "What about …", "那 …"), or has almost no
// content words of its own. Retrieval weighs the earlier turns (and the pages they found) by this.
// Plain word lists, no model: the signal is checked on the follow-up pairs and on topic changes of
// eval/questions-docs.json (docs/RETRIEVAL.md).

/** Words that point back at something said before (English; matched as whole words, lower case). */
const EN_REFERRING = new Set([
  'it', 'its', "it's", 'itself', 'they', 'them', 'their', 'theirs', 'themselves', 'this', 'that', 'these', 'those',
  'former', 'latter', 'again', 'instead', 'else', 'both', 'either',
]);
/** Phrases that point back ("the other one", "the two options", "in that case"). */
const EN_REFERRING_PHRASE = /\b(?:the (?:other|two|three|previous|above)|in that case|the same)\b/;
/** "that" and "this" also introduce clauses or name things ("a sequence that counts"): only refer back when not followed by a noun-ish word. */
const EN_CLAUSE_AFTER_THAT = /\bthat\s+(?:is|are|was|were|can|could|will|would|should|may|might|must|has|have|had|does|do|did|counts?|lets?|makes?|takes?|gives?|shows?|contains?|holds?|uses?|works?)\b/;
/** How a continuation opens. */
const EN_OPENING = /^\s*(?:and|but|also|so|then|what about|how about|and what|and how|or)\b/i;
/** Chinese: pronouns and demonstratives, "the former/latter", "also / other", a trailing question particle 呢. */
const ZH_REFERRING = /[它其]|这[个些样种里么]?|那[个些样种里么]?|前者|后者|上述|上面|刚才|还有|另外|别的|具体|呢[？?]?\s*$/u;
const ZH_OPENING = /^\s*(?:那|那么|还有|另外|以及|而且|再)/u;

export interface FollowUpSignal {
  /** True when the question refers back to the conversation (or is too short to stand alone). */
  followUp: boolean;
  /** Why (for tests and the evaluation's verbose output). */
  reason: 'refers back' | 'continues' | 'too short' | 'self-contained';
}

/**
 * `contentTerms`: the question's own index terms (stop words removed) — a question with fewer than
 * MIN_OWN_TERMS of them cannot carry a search on its own.
 */
export function followUpSignal(question: string, contentTerms: readonly string[]): FollowUpSignal {
  const q = question.normalize('NFKC').trim();
  const lower = q.toLowerCase();
  if (EN_OPENING.test(lower) || ZH_OPENING.test(q)) return { followUp: true, reason: 'continues' };
  const words = lower.match(/[a-z']+/g) ?? [];
  const refers = words.some((w) => EN_REFERRING.has(w) && !(w === 'that' && EN_CLAUSE_AFTER_THAT.test(lower)));
  if (refers || EN_REFERRING_PHRASE.test(lower) || ZH_REFERRING.test(q)) return { followUp: true, reason: 'refers back' };
  if (new Set(contentTerms).size < MIN_OWN_TERMS) return { followUp: true, reason: 'too short' };
  return { followUp: false, reason: 'self-contained' };
}

/** Fewer distinct content terms than this and a question leans on the conversation. */
export const MIN_OWN_TERMS = 3;
