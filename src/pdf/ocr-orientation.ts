// Pages scanned sideways or upside down: the text is turned inside the page's image, and the page has no /Rotate
// to say so. Tesseract's own orientation detection (OSD) needs its legacy engine and osd.traineddata, which the app
// does not ship (LSTM-only cores and "best_int" data: worker.detect() answers "requires Legacy model"), so the
// page is recognised again turned (pdf.js renders it with the viewport rotated) when its first reading looks
// wrong, and the best reading is kept. Its word boxes are mapped back into the upright page's frame (the viewport
// at scale 1 with the page's /Rotate applied), where the viewer draws them and the CLI prints them.
import type { PDFPageProxy } from 'pdfjs-dist/types/src/display/api';
import type { ImageToPage, PageTextAndWords } from './ocr-text';
import type { OcrPage } from './ocr-types';
import { formatPageRanges } from './page-ranges';

/** Quarter turns, clockwise, in degrees. */
export type Turn = 0 | 90 | 180 | 270;

/**
 * A reading whose mean word confidence is below this looks wrong, and the page is recognised again turned.
 * Tesseract's LSTM word confidence is roughly 100 × its estimate that the word was read right. Text read the
 * right way up scores 90–96 here (clean scans at 150–300 dpi, English and Chinese, askew by 1.5°); the same
 * scans turned 90°, 180° or 270° score 8–44 (the audit's sideways page: 48), and noise 16–20. Below 60 the
 * recogniser itself expects more than 4 words in 10 to be wrong: more noise than text. A real but poor scan
 * can score below it too (the Cyrillic-and-English certificate in the fixtures, read as English: 28); it then
 * pays for the retries, keeps its reading and gets the warning, which is what it deserves.
 */
export const OCR_READABLE_CONFIDENCE = 60;

/** Turns tried, in order, after an upright reading of fragments: sideways both ways (the common case), then upside down. */
export const OCR_RETRY_TURNS: readonly Exclude<Turn, 0>[] = [90, 270, 180];

/**
 * Below this share of words with 3 or more letters or digits, a reading is fragments: text turned sideways is read
 * as 1-2 character pieces of strokes (measured: 0.06 and 0.19 of the words, mean length 1.3-1.6), while text the
 * right way up or upside down, however poorly it is read, still comes out as words (a poor real scan, the
 * fixtures' Cyrillic certificate read as English: 0.64-0.73, mean length 5.6-6.8; upside down: 0.67). A
 * low-confidence reading of words is therefore only tried upside down, not sideways: a poor scan — the common
 * low-confidence page — pays one extra recognition, not three.
 */
export const OCR_FRAGMENT_SHARE = 0.5;

/** Share of a reading's words that have 3 or more letters or digits (1 without words). */
export function wordShare(r: Pick<PageTextAndWords, 'words'>): number {
  if (r.words.length === 0) return 1;
  return r.words.filter((w) => [...w.text.replace(/[^\p{L}\p{N}]/gu, '')].length >= 3).length / r.words.length;
}

/** The turns worth trying after a reading that looks wrong: sideways only when it reads as fragments. */
export function retryTurns(upright: Pick<PageTextAndWords, 'words'>): readonly Exclude<Turn, 0>[] {
  return wordShare(upright) < OCR_FRAGMENT_SHARE ? OCR_RETRY_TURNS : [180];
}

/**
 * What recognisePages adds to an OcrPage it had to turn or could not read (absent on the usual page):
 * `turned`, the clockwise turn the page was rendered with for the kept reading (a page scanned a quarter turn
 * counter-clockwise reads at 90); `doubtful`, no orientation read convincingly (the upright reading is kept).
 */
export interface OcrPageOrientation {
  turned?: Exclude<Turn, 0>;
  doubtful?: true;
}

/** Mean word confidence (0–100), as OcrPage.confidence; 0 without words. */
export function meanConfidence(r: Pick<PageTextAndWords, 'words'>): number {
  return r.words.length ? r.words.reduce((s, w) => s + w.confidence, 0) / r.words.length : 0;
}

/** A reading that needs no retry: nothing was found (a blank page reads blank every way up), or it reads well. */
export function looksReadable(r: Pick<PageTextAndWords, 'words'>): boolean {
  return r.words.length === 0 || meanConfidence(r) >= OCR_READABLE_CONFIDENCE;
}

/**
 * How much a reading read: the number of characters Tesseract expects to be right (each word's length times its
 * confidence). Compares readings of one page in different orientations: a wrong orientation yields as many or
 * more "words" (fragments), each unlikely to be right; the right one fewer, confident words. A mean alone would
 * prefer two confident fragments to a page of good text.
 */
export function readScore(r: Pick<PageTextAndWords, 'words'>): number {
  return r.words.reduce((s, w) => s + ([...w.text].length * w.confidence) / 100, 0);
}

/**
 * `page` as seen by a rasteriser that renders `page.getViewport({scale})`: the same page, its viewport turned a
 * further `turn` degrees clockwise. (The rasterisers, ocr-node.ts and ocr-browser.ts, take a page and a scale.)
 * Every other member is the page's own, called on the page itself (pdf.js keeps private fields on it).
 */
export function turnedPage(page: PDFPageProxy, turn: Turn): PDFPageProxy {
  if (turn === 0) return page;
  return new Proxy(page, {
    get(target, prop) {
      if (prop === 'getViewport') {
        return (params: NonNullable<Parameters<PDFPageProxy['getViewport']>[0]>) => target.getViewport({ ...params, rotation: ((params.rotation ?? target.rotate) + turn) % 360 });
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * The map from pixels of the page rendered turned (turnedPage(page, turn) at `scale`) to the upright page's
 * viewport at scale 1: through PDF user space, with pdf.js's own viewport transforms (any /Rotate, any origin).
 */
export function imageToUprightPage(page: PDFPageProxy, scale: number, turn: Turn): ImageToPage {
  const rendered = page.getViewport({ scale, rotation: (page.rotate + turn) % 360 });
  const upright = page.getViewport({ scale: 1 });
  return (x, y) => {
    const [px, py] = rendered.convertToPdfPoint(x, y) as [number, number];
    const [ux, uy] = upright.convertToViewportPoint(px, py) as [number, number];
    return [ux, uy];
  };
}

/** A reading and the turn it was made at. */
export interface Reading extends PageTextAndWords {
  turn: Turn;
}

/**
 * Recognises a page upright, and when that reading looks wrong (looksReadable), turned (retryTurns: 90°, 270° and
 * 180° when it read as fragments, else 180° only), stopping at the first turn that reads well (looksReadable) and reads more than the upright reading
 * (readScore): that reading is kept. When no turn reads well the upright reading is kept, doubtful: without a
 * convincing reading there is no evidence against the orientation the page itself gives, and the "best" of
 * several unreadable readings is only a different noise (the fixtures' Cyrillic certificate, read as English,
 * scores higher turned 90° — mean 37 against 28 — while its upright reading holds the English lines it has).
 * `read(turn)` renders and recognises; a turn it answers null for (its rendering failed) is skipped. A failure
 * of the upright reading propagates; one of a turned reading ends the retries (unless `isFatal`, e.g. a cancel).
 */
export async function readBestOrientation(read: (turn: Turn) => Promise<PageTextAndWords | null>, isFatal: (e: unknown) => boolean): Promise<{ best: Reading; doubtful: boolean }> {
  const first = await read(0);
  const upright: Reading = { ...(first ?? { text: '', words: [], confidence: 0 }), turn: 0 };
  if (looksReadable(upright)) return { best: upright, doubtful: false };
  for (const turn of retryTurns(upright)) {
    let r: PageTextAndWords | null;
    try {
      r = await read(turn);
    } catch (e) {
      if (isFatal(e)) throw e;
      break;
    }
    if (r && looksReadable(r) && readScore(r) > readScore(upright)) return { best: { ...r, turn }, doubtful: false };
  }
  return { best: upright, doubtful: true };
}

/**
 * Warnings for the document about its turned and doubtful pages (of recognisePages' results): that a page was
 * read turned (the viewer then shows its words running down the page, as they are on the scan), and that a page
 * no orientation read convincingly may be turned, unreadable or in another language.
 */
export function ocrOrientationWarnings(pages: readonly (OcrPage & OcrPageOrientation)[]): string[] {
  const out: string[] = [];
  const sideways = pages.filter((p) => p.turned === 90 || p.turned === 270);
  const upsideDown = pages.filter((p) => p.turned === 180);
  const doubtful = pages.filter((p) => p.doubtful);
  const list = (ps: readonly OcrPage[]) => (ps.length === 1 ? `Page ${ps[0].page} is` : `Pages ${formatPageRanges(ps.map((p) => p.page))} are`);
  const turns = (ps: readonly (OcrPage & OcrPageOrientation)[]) => [...new Set(ps.map((p) => p.turned ?? 0))].sort((a, b) => a - b).map((t) => `${t}°`).join(' or ');
  if (sideways.length) out.push(`${list(sideways)} scanned sideways: OCR read ${sideways.length === 1 ? 'it' : 'them'} turned ${turns(sideways)}.`);
  if (upsideDown.length) out.push(`${list(upsideDown)} scanned upside down: OCR read ${upsideDown.length === 1 ? 'it' : 'them'} turned 180°.`);
  if (doubtful.length === 1) {
    out.push(`Page ${doubtful[0].page} was read by OCR with low confidence in every orientation (mean ${doubtful[0].confidence} of 100): it may be scanned sideways or upside down, be unreadable, or be in a language not chosen for OCR; check its text against the page.`);
  } else if (doubtful.length > 1) {
    out.push(`Pages ${formatPageRanges(doubtful.map((p) => p.page))} were read by OCR with low confidence in every orientation: they may be scanned sideways or upside down, be unreadable, or be in a language not chosen for OCR; check their text against the pages.`);
  }
  return out;
}
