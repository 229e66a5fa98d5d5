// The OCR languages a document's own text layer suggests. A PDF with text on most pages and a few scanned ones (a
// Chinese manual with a scanned cover or appendix) is best recognised in the language of its text, whatever the
// UI language is: an English UI reading eng-only OCR over a Chinese scan gets nothing usable back. Decided by
// script: Han characters against Latin letters on the pages with usable text, and among the Han characters the
// share of Traditional forms (a Taiwan or Hong Kong manual is read with chi_tra: chi_sim misreads many of them).
import { isTraditionalForm } from '../shared/chinese-script';
import type { OcrLanguage } from './ocr-types';

/**
 * At least this share of Han characters (among Han + Latin letters) for a text to be Chinese. A Chinese manual's
 * text, commands and English terms included, is well over half Han; an English text with a few Chinese words
 * (a name, a quotation) is well under a tenth.
 */
export const HAN_SHARE_FOR_CHINESE = 0.2;
/**
 * At least this share of Traditional forms among the Han characters for Chinese text to be Traditional. In running
 * Traditional text a quarter to a third of the characters are written otherwise in Simplified (這, 個, 們, 體, 會);
 * Simplified text has next to none (a quoted name, a variant such as 乾).
 */
export const TRADITIONAL_SHARE = 0.08;
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
 * when its text is Chinese (English words in it are read too), eng + chi_tra when that Chinese is Traditional, eng
 * when it is Latin script; null when there is too little text to judge (a scan): the caller falls back on the UI
 * language.
 */
export function ocrLanguagesFromText(pages: readonly { quality: string; text: string }[]): OcrLanguage[] | null {
  let han = 0;
  let traditional = 0;
  let latin = 0;
  for (const p of pages) {
    if (p.quality !== 'ok') continue;
    for (const ch of p.text) {
      const c = ch.codePointAt(0)!;
      if (isHan(c)) {
        han++;
        if (isTraditionalForm(ch)) traditional++;
      } else if (isLatinLetter(c)) latin++;
    }
    if (han + latin >= MAX_LETTERS) break;
  }
  if (han + latin < MIN_LETTERS_TO_JUDGE) return null;
  if (han / (han + latin) < HAN_SHARE_FOR_CHINESE) return ['eng'];
  return traditional / han >= TRADITIONAL_SHARE ? ['eng', 'chi_tra'] : ['eng', 'chi_sim'];
}

const CHINESE_MODELS: readonly OcrLanguage[] = ['chi_sim', 'chi_tra'];

/**
 * The languages for a document without its own setting: the UI's (`fromUi`, defaultOcrLanguages) plus those its
 * text suggests (`fromText`, ocrLanguagesFromText; null: no text to judge by). When the text is Chinese, its script
 * decides the Chinese model: a Traditional manual read in a Simplified UI gets chi_tra, not both.
 */
export function documentOcrLanguages(fromUi: readonly OcrLanguage[], fromText: readonly OcrLanguage[] | null): OcrLanguage[] {
  const textChinese = fromText?.find((l) => CHINESE_MODELS.includes(l));
  const ui = textChinese ? fromUi.filter((l) => !CHINESE_MODELS.includes(l)) : fromUi;
  return [...new Set([...ui, ...(fromText ?? [])])];
}

/** A browser language tag written in Traditional characters: zh-TW, zh-HK, zh-MO, zh-Hant(-…). */
export function isTraditionalLocale(tag: string): boolean {
  return /^zh-(hant|tw|hk|mo)\b/i.test(tag);
}
