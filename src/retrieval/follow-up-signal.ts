// Does a question lean on the conversation? "And how do I undo that later?", "Which language is it written
// in?", "那加一呢？", "它默认叫什么名字？" cannot be understood alone; "How do I undo the last change in the
// editor?" can. A question is a follow-up when it refers back (a pronoun or demonstrative, "the former",
// "还有…", a trailing "呢"), opens like a continuation ("And …", "What about …", "那 …"), or has almost no
// content words of its own. Retrieval weighs the earlier turns (and the pages they found) by this.
// A referring word only counts when it comes early — fewer than ANTECEDENT_WORDS content words before it:
// in "Where in the search path does attaching a data frame put it?" the "it" has its antecedent in the
// question itself. Chinese questions are counted in words (Intl.Segmenter), not bigrams, for "too short".
// Plain word lists, no model: the signal is checked on the follow-up tuning pairs (eval/followups-tuning.json)
// and on topic changes of eval/questions-docs.json (docs/RETRIEVAL.md).
import { eng, zho } from 'stopword';

/** Words that point back at something said before (English; matched as whole words, lower case). */
const EN_REFERRING = new Set([
  'it', 'its', "it's", 'itself', 'they', 'them', 'their', 'theirs', 'themselves', 'this', 'that', 'these', 'those',
  'former', 'latter', 'again', 'instead', 'both', 'either',
]);
/**
 * "else" refers back after a word that asks for more ("what else", "anything else"); in "the if … then … else
 * statement" or "else if" it names a construct.
 */
const EN_ELSE = /\b(?:what|anything|something|someone|anyone|everything|nothing|who|where|how|whatever|somewhere|anywhere)\s+else\b/;
/** Phrases that point back ("the other one", "the two options", "in that case"). */
const EN_REFERRING_PHRASE = /\b(?:the (?:other|two|three|previous|above)|in that case|the same)\b/;
/** "that" and "this" also introduce clauses or name things ("a sequence that counts"): only refer back when not followed by a noun-ish word. */
const EN_CLAUSE_AFTER_THAT = /\bthat\s+(?:the|a|an|my|your|our|i|you|we|he|she|there|is|are|was|were|can|could|will|would|should|may|might|must|has|have|had|does|do|did|counts?|lets?|makes?|takes?|gives?|shows?|contains?|holds?|uses?|works?)\b/;
/** How a continuation opens. */
const EN_OPENING = /^\s*(?:and|but|also|so|then|what about|how about|what if|and what|and how|or)\b/i;
/** A demonstrative that ends the question ("Is there a minimum version I need for that?") points outside it. */
const EN_TRAILING_DEMONSTRATIVE = /\b(?:that|this|those|these)\s*[?.!]*\s*$/;
/** Words that place the question after something done before ("put the old values back afterwards"). */
const EN_AFTER = /\b(?:afterwards?|later on|from then on|once (?:that|this|it)(?: is)? done)\b/;
/**
 * Comparisons and alternatives to something said before, wherever they come ("lay out several plots in a grid
 * instead?", "something similar for an angle?", "the equivalent command in gnuplot?", "the second way", "each
 * one"): unlike a pronoun they have no antecedent inside the question.
 */
const EN_COMPARES = /\b(?:instead|similar(?:ly)?|likewise|equivalent|as well|the (?:first|second|third|last|latter|former) (?:one|way|option|method|approach|variant|form|version|command|kind|case)s?|each one|either one|both of them)\b/;
/** Chinese: pronouns and demonstratives, "the former/latter", "also / other", a trailing question particle 呢. */
const ZH_REFERRING = /[它其]|这[个些样种里么]?|那[个些样种里么]?|前者|后者|上述|上面|刚才|还有|另外|别的|具体/gu;
/** A trailing 呢 ("那加一呢？"), or 呢 closing a clause ("公式里的字体呢，有哪些…"), marks a follow-up wherever the question's words are. */
const ZH_TRAILING_NE = /呢(?:[？?]?\s*$|[，,？?])/u;
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
  const words = questionWords(lower);
  // Content words before each position: a referring word after ANTECEDENT_WORDS of them refers inside the question.
  const early = (offset: number) => words.filter((w) => w.content && w.end <= offset).length < ANTECEDENT_WORDS;
  const refers = words.some((w) => w.latin && EN_REFERRING.has(w.text) && !(w.text === 'that' && EN_CLAUSE_AFTER_THAT.test(lower)) && early(w.start));
  const phrase = EN_REFERRING_PHRASE.exec(lower);
  const zh = [...q.matchAll(ZH_REFERRING)].some((m) => early(m.index));
  const elseMatch = EN_ELSE.exec(lower);
  const asksElse = elseMatch !== null && early(elseMatch.index);
  const pointsOutside = EN_TRAILING_DEMONSTRATIVE.test(lower) || EN_AFTER.test(lower) || EN_COMPARES.test(lower) || asksElse;
  if (refers || pointsOutside || (phrase && early(phrase.index)) || zh || ZH_TRAILING_NE.test(q)) return { followUp: true, reason: 'refers back' };
  // Chinese is indexed as bigrams, which overcount a short question: count its words instead.
  const own = words.some((w) => !w.latin) ? words.filter((w) => w.content).length : new Set(contentTerms).size;
  if (own < MIN_OWN_TERMS) return { followUp: true, reason: 'too short' };
  return { followUp: false, reason: 'self-contained' };
}

/** Fewer distinct content terms (Chinese: content words) than this and a question leans on the conversation. */
export const MIN_OWN_TERMS = 3;
/** A referring word preceded by this many content words has its antecedent in the question itself. */
export const ANTECEDENT_WORDS = 3;

interface QuestionWord {
  text: string;
  start: number;
  end: number;
  latin: boolean;
  /** Not a stop word (Chinese: two or more characters, not all of them stop characters). */
  content: boolean;
}

/** Not content: stop words (npm `stopword`), question words, and the referring words themselves. */
const ENGLISH_STOP = new Set([...eng, ...EN_REFERRING, 'what', 'why', 'how', 'which', 'where', 'when', 'who', 'whom', 'whose']);
const CHINESE_STOP = new Set(zho);
const HAN = /\p{Script=Han}/u;
let segmenter: Intl.Segmenter | undefined;

/** The question's words with offsets (Intl.Segmenter, which splits both English and Chinese). */
function questionWords(lower: string): QuestionWord[] {
  segmenter ??= new Intl.Segmenter('zh', { granularity: 'word' });
  const out: QuestionWord[] = [];
  for (const s of segmenter.segment(lower)) {
    if (!s.isWordLike) continue;
    const text = s.segment;
    const latin = !HAN.test(text);
    const content = latin ? /\p{L}/u.test(text) && !ENGLISH_STOP.has(text) && !/^\p{L}$/u.test(text) : Array.from(text).length >= 2 && Array.from(text).some((ch) => !CHINESE_STOP.has(ch));
    out.push({ text, start: s.index, end: s.index + text.length, latin, content });
  }
  return out;
}
