// Which OCR languages read a scan best when nothing says so: no language chosen for the document, and no text
// layer to judge its language by (ocr-language-guess.ts). The UI language is then only a guess — an English UI
// with a Chinese scan, a Simplified UI with a Traditional one — and a wrong guess reads every page badly. Tesseract's
// own confidence tells: on the same page, English read with eng scores 96, Chinese read with eng 12–23, Traditional
// read with eng+chi_sim 74–75 against 89–90 with eng+chi_tra, Simplified 88–92 with eng+chi_sim against 82–83
// with eng+chi_tra (generated 200 and 300 dpi pages). So the first page is read with the guess; when that reading
// is unsure, it is read again with each alternative and the most confident set reads the document.
import { AppError } from '../shared/errors';
import { tesseractOrder, type OcrLanguage, type OcrPage } from './ocr-types';

/** A reading at least this confident (mean word confidence, 0–100) is taken as the right languages. */
export const TRIAL_CONFIDENT = 85;
/** A first page with fewer words than this says too little to judge by: the guess stands. */
export const TRIAL_MIN_WORDS = 3;
/** What is tried after the guess: English with each Chinese model (they read an English page as well as eng). */
export const TRIAL_ALTERNATIVES: readonly (readonly OcrLanguage[])[] = [['eng', 'chi_sim'], ['eng', 'chi_tra']];

export interface LanguageTrial {
  /** The languages to read the document with. */
  languages: OcrLanguage[];
  /** The first page as read with them (null when that reading failed). */
  page: OcrPage | null;
  /** How many readings of the first page were made (1 when the guess was confident or said too little). */
  readings: number;
}

/**
 * `read(languages)` reads the document's first page to recognise with those languages (null when it failed).
 * Reads it with `guess`; when that reading has at least TRIAL_MIN_WORDS words and a mean confidence below
 * TRIAL_CONFIDENT, reads it with each alternative not tried yet and keeps the most confident (the guess on a tie).
 * An alternative that cannot be read (its language data not downloaded yet and the network off) is passed over;
 * a Cancel (ABORTED) and any failure of the guess's own reading are thrown.
 */
export async function pickOcrLanguages(guess: readonly OcrLanguage[], read: (languages: OcrLanguage[]) => Promise<OcrPage | null>): Promise<LanguageTrial> {
  const key = (langs: readonly OcrLanguage[]) => tesseractOrder(langs).join('+');
  let best: LanguageTrial = { languages: tesseractOrder(guess), page: await read(tesseractOrder(guess)), readings: 1 };
  const first = best.page;
  if (!first || first.words.length < TRIAL_MIN_WORDS || first.confidence >= TRIAL_CONFIDENT) return best;
  let readings = 1;
  for (const alternative of TRIAL_ALTERNATIVES) {
    if (key(alternative) === key(guess)) continue;
    const languages = tesseractOrder(alternative);
    let page: OcrPage | null;
    try {
      page = await read(languages);
    } catch (e) {
      if (AppError.from(e).code === 'ABORTED') throw e;
      page = null;
    }
    readings++;
    if (page && page.confidence > (best.page?.confidence ?? -1)) best = { languages, page, readings };
  }
  return { ...best, readings };
}
