// Turns text into index terms for BM25 (the same function for passages and queries).
// - Latin/Cyrillic/... words: NFKC, lower case, the possessive 's dropped ("pen's" → pen), British spellings
//   mapped to American ones (colour → color, normalise → normalize, centre → center: the 1,738-word table of npm
//   `american-british-english-translator`; manuals and readers mix the two), English stop words dropped (npm
//   `stopword`, list `eng`) and the Porter stemmer applied (npm `stemmer`), so "compiles"/"compiled"/"compiling" meet.
// - CJK runs have no spaces: each run becomes overlapping character bigrams ("知识库简介" → 知识 识库 库简
//   简介; a run of one character is itself), as before. With word segmentation on, Intl.Segmenter('zh')
//   also splits the run into words, and each word of two or more characters that is not made only of stop
//   characters (npm `stopword`, list `zho`: 的 了 么 …, so 什么 / 这个 go) is added as a whole-word term
//   alongside the bigrams: a real word ("计数器", "环境变量") then outweighs bigrams that straddle two words.
//   Before that, a run in Traditional characters (or Taiwan wording) becomes mainland Simplified (npm
//   `opencc-js`, its t2cn build, twp → cn: 記憶體 → 内存, 原始碼 → 源代码), for passages and questions alike.
import { stemmer } from 'stemmer';
import britishToAmerican from 'american-british-english-translator/data/british_spellings.json' with { type: 'json' };
import { eng, zho } from 'stopword';
import { mainlandSimplified } from '../shared/chinese-script';
import { CJK_CHAR } from './text-units';
import { DEFAULT_LEXICAL } from './lexical-config';

export interface TermOptions {
  stemming: boolean;
  stopWords: boolean;
  segmentWords: boolean;
  /** English: British spellings become American ones before stemming (colour → color). */
  britishSpellings?: boolean;
  /** CJK runs also give each character that is not a stop character as a term (a query weighs them lower: LexicalRanker). */
  cjkUnigrams?: boolean;
  /** CJK runs are converted from Traditional (Taiwan phrasing) to mainland Simplified first. */
  simplifiedChinese?: boolean;
}

/** The term settings of DEFAULT_LEXICAL (what the app and the CLI index with). */
export const DEFAULT_TERM_OPTIONS: TermOptions = {
  stemming: DEFAULT_LEXICAL.stemming,
  stopWords: DEFAULT_LEXICAL.stopWords,
  segmentWords: DEFAULT_LEXICAL.segmentWords,
  britishSpellings: DEFAULT_LEXICAL.britishSpellings,
  simplifiedChinese: DEFAULT_LEXICAL.simplifiedChinese,
};

const AMERICAN = new Map<string, string>(Object.entries(britishToAmerican as Record<string, string>));
/** "pen's", "R’s": the possessive ending is not a word (as Lucene's EnglishPossessiveFilter). */
const POSSESSIVE = /(\p{L})['’]s\b/gu;

const ENGLISH_STOP = new Set(eng);
const CHINESE_STOP = new Set(zho);

const TERM = /((?:[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}])+)|((?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}])[\p{L}\p{M}\p{N}])+)/gu;
const LATIN_WORD = /^[a-z]+$/;

let segmenter: Intl.Segmenter | undefined;
function chineseWords(run: string): string[] {
  segmenter ??= new Intl.Segmenter('zh', { granularity: 'word' });
  const words: string[] = [];
  for (const s of segmenter.segment(run)) if (s.segment.trim() !== '') words.push(s.segment);
  return words;
}

/** A word made only of stop characters (的, 什么, 这个, …). */
function isChineseStopWord(word: string): boolean {
  for (const ch of word) if (!CHINESE_STOP.has(ch)) return false;
  return true;
}

function pushBigrams(chars: string[], terms: string[]): void {
  if (chars.length === 1) terms.push(chars[0]);
  for (let i = 0; i + 1 < chars.length; i++) terms.push(chars[i] + chars[i + 1]);
}

function cjkTerms(original: string, opts: TermOptions, terms: string[]): void {
  const run = opts.simplifiedChinese ? mainlandSimplified(original) : original;
  const chars = Array.from(run);
  pushBigrams(chars, terms);
  if (opts.cjkUnigrams && chars.length > 1) for (const ch of chars) if (!CHINESE_STOP.has(ch)) terms.push(ch);
  if (!opts.segmentWords) return;
  for (const w of chineseWords(run)) {
    if (Array.from(w).length >= 2 && !(opts.stopWords && isChineseStopWord(w))) terms.push(w);
  }
}

/**
 * A CJK term with a stop character in it (的共, 什么, 吗): mostly a bigram straddling a function word. Such
 * terms still rank (they match FAQ headings), but they do not count as evidence that a passage answers
 * the question (LexicalRanker.coverage).
 */
export function isFunctionTerm(term: string): boolean {
  if (!CJK_CHAR.test(term)) return false;
  for (const ch of term) if (CHINESE_STOP.has(ch)) return true;
  return false;
}

/** Index terms of a text, in order (repeats kept: BM25 needs term frequencies). */
export function lexicalTerms(text: string, opts: TermOptions = DEFAULT_TERM_OPTIONS): string[] {
  const terms: string[] = [];
  const norm = text.normalize('NFKC').toLowerCase().replace(POSSESSIVE, '$1');
  TERM.lastIndex = 0;
  for (let m = TERM.exec(norm); m !== null; m = TERM.exec(norm)) {
    if (m[1] !== undefined) {
      cjkTerms(m[1], opts, terms);
    } else {
      const w = opts.britishSpellings ? (AMERICAN.get(m[2]) ?? m[2]) : m[2];
      if (opts.stopWords && ENGLISH_STOP.has(w)) continue;
      terms.push(opts.stemming && LATIN_WORD.test(w) ? stemmer(w) : w);
    }
  }
  return terms;
}

/** Share of CJK characters among the letters of a text (decides which embedding model a document gets). */
export function cjkShare(text: string): number {
  let cjk = 0;
  let letters = 0;
  for (const ch of text) {
    if (CJK_CHAR.test(ch)) {
      cjk++;
      letters++;
    } else if (/\p{L}/u.test(ch)) letters++;
  }
  return letters === 0 ? 0 : cjk / letters;
}
