// The OCR languages a document's own text layer suggests. A PDF with text on most pages and a few scanned ones (a
// Chinese manual with a scanned cover or appendix) is best recognised in the language of its text, whatever the
// UI language is: an English UI reading eng-only OCR over a Chinese scan gets nothing usable back. Decided by
// script: Han characters against Latin letters on the pages with usable text.
import type { OcrLanguage } from './ocr-types';

/**
 * At least this share of Han characters (among Han + Latin letters) for a text to be Chinese. A Chinese manual's
 * text, commands and English terms included, is well over half Han; an English text with a few Chinese words
 * (a name, a quotation) is well under a tenth.
 */
export const HAN_SHARE_FOR_CHINESE = 0.2;
/** Fewer letters than this (Han + Latin) on the text pages is too little to judge by. */
export const MIN_LETTERS_TO_JUDGE = 20;
/** Letters looked at, at most (spread over the pages in order): enough to judge, cheap on a 1,000-page manual. */
const MAX_LETTERS = 200_000;

function isHan(c: number): boolean {
  return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x2ffff);
}

function isLatinLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7);
}

/**
 * Languages for the pages of this document that need OCR, judged from its pages with usable text: eng + chi_sim
 * when its text is Chinese (English words in it are read too), eng when it is Latin script; null when there is
 * too little text to judge (a scan): the caller falls back on the UI language.
 */
export function ocrLanguagesFromText(pages: readonly { quality: string; text: string }[]): OcrLanguage[] | null {
  let han = 0;
  let latin = 0;
  for (const p of pages) {
    if (p.quality !== 'ok') continue;
    for (const ch of p.text) {
      const c = ch.codePointAt(0)!;
      if (isHan(c)) han++;
      else if (isLatinLetter(c)) latin++;
    }
    if (han + latin >= MAX_LETTERS) break;
  }
  if (han + latin < MIN_LETTERS_TO_JUDGE) return null;
  return han / (han + latin) >= HAN_SHARE_FOR_CHINESE ? ['eng', 'chi_sim'] : ['eng'];
}
