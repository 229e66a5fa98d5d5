// The OCR contract shared by the recogniser (ocr.ts), the CLI, the app's document store and the page viewer.
// Coordinates are in the page's upright viewport at scale 1 (pdf.js page.getViewport({scale: 1})): PDF points,
// origin top-left, y down, /Rotate applied — the same frame the viewer scales to the screen.

/**
 * Tesseract language data we ship (the LSTM-only "best_int" models of @tesseract.js-data): English, Simplified
 * Chinese and Traditional Chinese (Taiwan, Hong Kong: chi_sim reads many Traditional characters as others).
 */
export type OcrLanguage = 'eng' | 'chi_sim' | 'chi_tra';
export const OCR_LANGUAGES: readonly OcrLanguage[] = ['eng', 'chi_sim', 'chi_tra'];

/** One recognised word and its box on the page (viewport scale 1, y down). */
export interface OcrWord {
  text: string;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Tesseract's confidence, 0–100. */
  confidence: number;
}

export interface OcrPage {
  /** 1-based physical page number. */
  page: number;
  label: string;
  /** Recognised text, cleaned like extracted text: lines joined by '\n', paragraphs by '\n\n'. */
  text: string;
  /** 'ok' when something was recognised, 'empty' for a blank page (or pictures without text). */
  quality: 'ok' | 'empty';
  source: 'ocr';
  /** Languages the page was recognised with, e.g. ['chi_sim', 'eng']. */
  languages: OcrLanguage[];
  /** Mean word confidence (0–100); 0 when no words. */
  confidence: number;
  /** Resolution the page was rendered at for recognition. */
  dpi: number;
  /** Viewport size at scale 1 (points), so boxes can be checked against the page they belong to. */
  width: number;
  height: number;
  words: OcrWord[];
  /** Read turned this many degrees clockwise (a page scanned sideways or upside down: ocr-orientation.ts). */
  turned?: 90 | 180 | 270;
  /** No orientation read convincingly (low confidence every way up): the upright reading is kept, with a warning. */
  doubtful?: true;
}

export interface OcrProgress {
  /** Page being recognised (1-based physical number). */
  page: number;
  /**
   * How many of the pages to recognise were over (read or failed) when this was reported — with one recogniser, the
   * page's position among them (0-based; for its 'done', the position too) — and how many there are.
   */
  index: number;
  count: number;
  /** 0..1 within the current page. */
  pageFraction: number;
  /** 'done': the page is over (recognised, or failed: then it is in `failed`). */
  stage: 'loading' | 'rendering' | 'recognising' | 'done';
}

/**
 * Languages in the order handed to Tesseract: English first. (tesseract.js-core 7 fails to load the second
 * language of "chi_sim+eng" — it logs "Failed loading language" with a garbled name and runs chi_sim alone —
 * while "eng+chi_sim" loads both.)
 */
export function tesseractOrder(langs: readonly OcrLanguage[]): OcrLanguage[] {
  return OCR_LANGUAGES.filter((l) => langs.includes(l));
}

/** "eng", "chi_sim", "eng+chi_tra", … (any order, no duplicates) → languages in tesseractOrder; throws on anything else. */
export function parseOcrLanguages(spec: string): OcrLanguage[] {
  const parts = spec.split('+').map((s) => s.trim()).filter(Boolean);
  const out: OcrLanguage[] = [];
  for (const p of parts) {
    if (!(OCR_LANGUAGES as readonly string[]).includes(p)) {
      throw new RangeError(`Unknown OCR language "${p}": use ${OCR_LANGUAGES.join(', ')} or several joined with "+" (eng+chi_sim, eng+chi_tra).`);
    }
    if (!out.includes(p as OcrLanguage)) out.push(p as OcrLanguage);
  }
  if (out.length === 0) throw new RangeError(`No OCR language given: use ${OCR_LANGUAGES.join(', ')} or several joined with "+" (eng+chi_sim, eng+chi_tra).`);
  return tesseractOrder(out);
}
