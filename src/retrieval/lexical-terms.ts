// Turns text into index terms for BM25. Latin/Cyrillic/Arabic/... words are lower-cased (NFKC first),
// stop words dropped and a light English suffix stemmer applied, so "compiles"/"compiled"/"compiling"
// meet. CJK text has no spaces, so each run of CJK characters becomes overlapping character bigrams
// ("知识库简介" → 知识 识库 库简 简介), plus the character itself for a run of one; a Chinese query then
// matches Chinese text without a word segmenter.

import { CJK_CHAR } from './text-units';

const STOP_WORDS = new Set(
  ('a an and are as at be been being but by can could did do does doing for from had has have having he her his how i if in into is it its ' +
    'itself me my no nor not of on or our ours she should so some such than that the their them then there these they this those through to too ' +
    'under until up very was we were what when where which while who whom why will with would you your about above after again against all ' +
    'am any because before below between both down during each few further here just more most off once only other out over own same ' +
    'tell says say').split(/\s+/),
);

const TERM = /((?:[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}])+)|((?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}])[\p{L}\p{M}\p{N}])+)/gu;

/** Very light English stemmer: plural and common verb endings only (it must never merge unrelated words). */
export function stem(word: string): string {
  if (word.length <= 3 || !/^[a-z]+$/.test(word)) return word;
  let w = word;
  if (w.endsWith('ies') && w.length > 4) w = w.slice(0, -3) + 'y';
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) w = w.slice(0, -1);
  if (w.endsWith('ing') && w.length > 5) w = undouble(w.slice(0, -3));
  else if (w.endsWith('ed') && w.length > 4) w = undouble(w.slice(0, -2));
  else if (w.endsWith('ly') && w.length > 5) w = w.slice(0, -2);
  if (w.endsWith('e') && w.length > 4) w = w.slice(0, -1);
  return w;
}

function undouble(w: string): string {
  const n = w.length;
  return n > 3 && w[n - 1] === w[n - 2] && !/[lsz]/.test(w[n - 1]) ? w.slice(0, -1) : w;
}

/** Index terms of a text, in order (repeats kept: BM25 needs term frequencies). */
export function lexicalTerms(text: string): string[] {
  const terms: string[] = [];
  const norm = text.normalize('NFKC').toLowerCase();
  TERM.lastIndex = 0;
  for (let m = TERM.exec(norm); m !== null; m = TERM.exec(norm)) {
    if (m[1] !== undefined) {
      const chars = Array.from(m[1]);
      if (chars.length === 1) terms.push(chars[0]);
      for (let i = 0; i + 1 < chars.length; i++) terms.push(chars[i] + chars[i + 1]);
    } else {
      const w = m[2];
      if (STOP_WORDS.has(w)) continue;
      terms.push(stem(w));
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
