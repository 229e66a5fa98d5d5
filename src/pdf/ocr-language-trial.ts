// Which OCR languages read a scan best when nothing says so: no language chosen for the document, and no text
// layer to judge its language by (ocr-language-guess.ts). The UI language is then only a guess — an English UI
// with a Chinese scan, a Simplified UI with a Traditional one — and a wrong guess reads every page badly. Tesseract's
// own confidence tells: on the same page, English read with eng scores 96, Chinese read with eng 12–23, Traditional
// read with eng+chi_sim 74–75 against 89–90 with eng+chi_tra, Simplified 88–92 with eng+chi_sim against 82–83
// with eng+chi_tra (generated 200 and 300 dpi pages). So the first page is read with the guess; when that reading
// is unsure, it is read again with each alternative and the most confident set reads the document.
// A scan's first page often says nothing about its language: a cover with a two-word title, a blank sheet, a photo
// whose speckle Tesseract reads as dozens of low-confidence "words" in every language. Such a page (too few words,
// or no set reads it confidently) is passed over for the next one, up to TRIAL_MAX_PAGES pages; when none is read
// confidently, the set with the best mean confidence over the pages that had words wins.
import { AppError } from '../shared/errors';
import { tesseractOrder, type OcrLanguage, type OcrPage } from './ocr-types';

/** A reading at least this confident (mean word confidence, 0–100) is taken as the right languages. */
export const TRIAL_CONFIDENT = 85;
/** A page with fewer words than this says too little to judge by: the next page is read instead. */
export const TRIAL_MIN_WORDS = 3;
/** How many pages the trial reads at most before it settles on what they told. */
export const TRIAL_MAX_PAGES = 3;
/** What is tried after the guess: English with each Chinese model (they read an English page as well as eng). */
export const TRIAL_ALTERNATIVES: readonly (readonly OcrLanguage[])[] = [['eng', 'chi_sim'], ['eng', 'chi_tra']];

export interface LanguageTrial {
  /** The languages to read the document with. */
  languages: OcrLanguage[];
  /** The pages the trial read with those languages (to keep; the others are read afterwards), in page order. */
  pages: OcrPage[];
  /** How many page readings the trial made (1 when the guess read the first page confidently). */
  readings: number;
}

/**
 * `read(page, languages)` recognises one page with those languages (null when it could not be rendered). Reads the
 * document's first page to recognise (`pages[0]`) with `guess`; a confident reading (≥ TRIAL_CONFIDENT) settles it.
 * A reading with words but unsure is done again with each alternative not tried yet, and the most confident of them
 * wins if it reads the page confidently (and better than the guess). A page with fewer than TRIAL_MIN_WORDS words, or that no set reads
 * confidently, passes the question to the next page, up to TRIAL_MAX_PAGES; after them the set with the highest
 * mean confidence over the judged pages wins (the guess on a tie, and when no page had words).
 * An alternative that cannot be read (its language data not downloaded yet and the network off) is passed over;
 * a Cancel (ABORTED) and any failure of the guess's own reading are thrown.
 */
export async function pickOcrLanguages(
  guess: readonly OcrLanguage[],
  pages: readonly number[],
  read: (page: number, languages: OcrLanguage[]) => Promise<OcrPage | null>,
): Promise<LanguageTrial> {
  const key = (langs: readonly OcrLanguage[]) => tesseractOrder(langs).join('+');
  const sets = [tesseractOrder(guess), ...TRIAL_ALTERNATIVES.map((a) => tesseractOrder(a)).filter((a) => key(a) !== key(guess))];
  /** Per set (by key): the pages read with it, and its confidences on the judged pages. */
  const readWith = new Map<string, OcrPage[]>(sets.map((s) => [key(s), []]));
  const judged = new Map<string, number[]>(sets.map((s) => [key(s), []]));
  /** Sets whose data could not be loaded: not asked again. */
  const unavailable = new Set<string>();
  let readings = 0;
  const settle = (languages: OcrLanguage[]): LanguageTrial => ({
    languages,
    pages: readWith.get(key(languages))!.sort((a, b) => a.page - b.page),
    readings,
  });
  for (const n of pages.slice(0, TRIAL_MAX_PAGES)) {
    const first = await read(n, sets[0]);
    readings++;
    if (!first) continue;
    readWith.get(key(sets[0]))!.push(first);
    if (first.words.length < TRIAL_MIN_WORDS) continue;
    if (first.confidence >= TRIAL_CONFIDENT) return settle(sets[0]);
    judged.get(key(sets[0]))!.push(first.confidence);
    let bestHere: { languages: OcrLanguage[]; confidence: number } | null = null;
    for (const languages of sets.slice(1)) {
      if (unavailable.has(key(languages))) continue;
      let page: OcrPage | null;
      try {
        page = await read(n, languages);
      } catch (e) {
        if (AppError.from(e).code === 'ABORTED') throw e;
        unavailable.add(key(languages));
        page = null;
      }
      readings++;
      if (!page) continue;
      readWith.get(key(languages))!.push(page);
      judged.get(key(languages))!.push(page.confidence);
      if (page.confidence > (bestHere?.confidence ?? first.confidence)) bestHere = { languages, confidence: page.confidence };
    }
    if (bestHere && bestHere.confidence >= TRIAL_CONFIDENT) return settle(bestHere.languages);
  }
  // No page read confidently: the best mean over the judged pages (a set that could not read one counts it as 0).
  const judgedPages = judged.get(key(sets[0]))!.length;
  const mean = (s: OcrLanguage[]) => (judgedPages === 0 ? 0 : judged.get(key(s))!.reduce((a, b) => a + b, 0) / judgedPages);
  let best = sets[0];
  for (const s of sets.slice(1)) if (mean(s) > mean(best)) best = s;
  return settle(best);
}
