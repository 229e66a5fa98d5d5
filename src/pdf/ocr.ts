// Recognises pages of an open pdf.js document: each page is rendered to an image with pdf.js at the
// resolution of its scanned images (150–300 dpi; 300 when it has none, e.g. a page whose fonts decode to
// junk), handed to Tesseract, and turned into page text plus word boxes in page coordinates.
// Environment-neutral: the caller brings the recogniser (ocr-node.ts / ocr-browser.ts) and the rasteriser
// (how a rendered page becomes PNG bytes differs between @napi-rs/canvas in Node and a DOM canvas).
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/types/src/display/api';
import type { OcrRecogniser } from './ocr-engine';
import { ocrAbortedError } from './ocr-engine';
import { pageFromTesseract } from './ocr-text';
import type { OcrPage, OcrProgress } from './ocr-types';
import type { Pdfjs } from './pdfjs-env';

/** Renders `page` at `scale` (pixels per point) and returns the image encoded as PNG. */
export type PageRasteriser = (page: PDFPageProxy, scale: number) => Promise<Uint8Array>;

export interface RecognisePagesOptions {
  /** 1-based physical page numbers to recognise, in order. */
  pages: readonly number[];
  recogniser: OcrRecogniser;
  rasterise: PageRasteriser;
  /** pdf.js's OPS table (the same in every build), to find the page's images. */
  ops: Pdfjs['OPS'];
  signal?: AbortSignal;
  onProgress?: (p: OcrProgress) => void;
  /** Each page as soon as it is recognised (store it: a later run can skip it). */
  onPage?: (page: OcrPage) => void;
}

export interface RecognisePagesResult {
  pages: OcrPage[];
  /** Pages that could not be rendered (damaged page data); they are left out of `pages`. */
  failed: number[];
}

export const OCR_MIN_DPI = 150;
export const OCR_MAX_DPI = 300;
/** Upper bound on rendered pixels per page (a 300-dpi A3 page is 17.4 MP): keeps memory and time in check. */
export const OCR_MAX_PIXELS = 16_000_000;

export async function recognisePages(doc: PDFDocumentProxy, opts: RecognisePagesOptions): Promise<RecognisePagesResult> {
  const { signal, recogniser } = opts;
  const labels = await doc.getPageLabels().catch(() => null);
  const out: OcrPage[] = [];
  const failed: number[] = [];
  const count = opts.pages.length;
  for (let index = 0; index < count; index++) {
    const n = opts.pages[index];
    if (signal?.aborted) throw ocrAbortedError();
    const progress = (stage: OcrProgress['stage'], pageFraction: number) => opts.onProgress?.({ page: n, index, count, pageFraction, stage });
    progress('rendering', 0);
    let page: PDFPageProxy;
    let png: Uint8Array;
    let scale: number;
    let dpi: number;
    try {
      page = await doc.getPage(n);
      dpi = await ocrDpi(page, opts.ops);
      const base = page.getViewport({ scale: 1 });
      scale = Math.min(dpi / 72, Math.sqrt(OCR_MAX_PIXELS / (base.width * base.height)));
      dpi = scale * 72;
      png = await opts.rasterise(page, scale);
    } catch (e) {
      if (signal?.aborted) throw ocrAbortedError();
      if ((e as { code?: string })?.code === 'OCR_FAILED') throw e;
      failed.push(n);
      continue;
    }
    if (signal?.aborted) throw ocrAbortedError();
    const base = page.getViewport({ scale: 1 });
    page.cleanup();
    const blocks = await recogniser.recognise(png, {
      dpi,
      ...(signal ? { signal } : {}),
      onProgress: (f) => progress('recognising', f),
      onLoading: () => progress('loading', 0),
    });
    const { text, words, confidence } = pageFromTesseract(blocks, scale);
    const result: OcrPage = {
      page: n,
      label: labels?.[n - 1] || String(n),
      text,
      quality: text ? 'ok' : 'empty',
      source: 'ocr',
      languages: [...recogniser.languages],
      confidence,
      dpi: Math.round(dpi),
      width: Math.round(base.width * 100) / 100,
      height: Math.round(base.height * 100) / 100,
      words,
    };
    out.push(result);
    opts.onPage?.(result);
    progress('done', 1);
  }
  return { pages: out, failed };
}

/**
 * The resolution to render a page at: that of its largest image (a scan is one page-sized image, and
 * rendering finer than the scan adds nothing), within 150–300 dpi; 300 dpi when the page draws no image.
 */
export async function ocrDpi(page: PDFPageProxy, ops: Pdfjs['OPS']): Promise<number> {
  const list = await page.getOperatorList();
  const [x0, y0, x1, y1] = page.view;
  const w = Math.abs(x1 - x0);
  const h = Math.abs(y1 - y0);
  let best = 0;
  for (let i = 0; i < list.fnArray.length; i++) {
    const fn = list.fnArray[i];
    const args = list.argsArray[i] as unknown[] | null;
    let iw = 0;
    let ih = 0;
    if (fn === ops.paintImageXObject || fn === ops.paintImageXObjectRepeat) {
      iw = Number(args?.[1]) || 0;
      ih = Number(args?.[2]) || 0;
    } else if (fn === ops.paintInlineImageXObject || fn === ops.paintImageMaskXObject) {
      const img = args?.[0] as { width?: number; height?: number } | undefined;
      iw = img?.width ?? 0;
      ih = img?.height ?? 0;
    }
    if (iw > 0 && ih > 0) {
      // The image may be placed with its long side along either page side; take the matching orientation.
      const fit = (iw >= ih) === (w >= h) ? Math.max(iw / w, ih / h) : Math.max(iw / h, ih / w);
      best = Math.max(best, fit * 72);
    }
  }
  if (best === 0) return OCR_MAX_DPI;
  return Math.min(OCR_MAX_DPI, Math.max(OCR_MIN_DPI, best));
}
