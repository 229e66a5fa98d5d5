// Recognises pages of an open pdf.js document: each page is rendered to an image with pdf.js at the
// resolution of its scanned images (150–300 dpi; 300 when it has none, e.g. a page whose fonts decode to
// junk), handed to Tesseract, and turned into page text plus word boxes in page coordinates. A page whose
// reading looks wrong is read again turned (a page scanned sideways or upside down: ocr-orientation.ts). A page
// that cannot be rendered, or whose recognition fails, is left out and listed in `failed`; the others go on.
// Environment-neutral: the caller brings the recognisers (ocr-node.ts / ocr-browser.ts) and the rasteriser
// (how a rendered page becomes PNG bytes differs between @napi-rs/canvas in Node and a DOM canvas).
// Several recognisers (each a Tesseract worker, one core's work) read that many pages at once: each takes the next
// page not yet started, so pages finish in about their order but not exactly; `pages` comes back in page order.
// How many: ocr-parallelism.ts.
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/types/src/display/api';
import type { OcrRecogniser } from './ocr-engine';
import { isOcrStartFailure, ocrAbortedError } from './ocr-engine';
import { imageToUprightPage, readBestOrientation, turnedPage, type OcrPageOrientation, type Turn } from './ocr-orientation';
import { pageFromTesseract, type PageTextAndWords } from './ocr-text';
import type { OcrPage, OcrProgress } from './ocr-types';
import type { Pdfjs } from './pdfjs-env';
import { placedImages } from './image-coverage';

/** Renders `page` at `scale` (pixels per point) and returns the image encoded as PNG. */
export type PageRasteriser = (page: PDFPageProxy, scale: number) => Promise<Uint8Array>;

export interface RecognisePagesOptions {
  /** 1-based physical page numbers to recognise, in order. */
  pages: readonly number[];
  /** One or more recognisers for the same languages; as many pages are read at once (at most one per page). */
  recognisers: readonly OcrRecogniser[];
  rasterise: PageRasteriser;
  /** pdf.js's OPS table (the same in every build), to find the page's images. */
  ops: Pdfjs['OPS'];
  signal?: AbortSignal;
  onProgress?: (p: OcrProgress) => void;
  /** Each page as soon as it is recognised (store it: a later run can skip it). */
  onPage?: (page: OcrPage) => void;
}

export interface RecognisePagesResult {
  /** Recognised pages; a page read turned, or not convincingly in any orientation, carries OcrPageOrientation. */
  pages: (OcrPage & OcrPageOrientation)[];
  /**
   * Pages that could not be rendered (damaged page data) or whose recognition failed (the recogniser is
   * restarted for the next page); they are left out of `pages`. A recogniser that cannot start fails the run.
   */
  failed: number[];
}

export const OCR_MIN_DPI = 150;
export const OCR_MAX_DPI = 300;
/** Upper bound on rendered pixels per page (a 300-dpi A3 page is 17.4 MP): keeps memory and time in check. */
export const OCR_MAX_PIXELS = 16_000_000;

export async function recognisePages(doc: PDFDocumentProxy, opts: RecognisePagesOptions): Promise<RecognisePagesResult> {
  const { signal } = opts;
  if (opts.recognisers.length === 0) throw new RangeError('recognisePages needs at least one recogniser');
  const labels = await doc.getPageLabels().catch(() => null);
  const out: (OcrPage & OcrPageOrientation)[] = [];
  const failed: number[] = [];
  const count = opts.pages.length;
  let next = 0;
  /** Pages over (read or failed): the progress's `index`. */
  let over = 0;
  /** Set when a lane met an error that ends the run: the other lanes start no new page. */
  let ended = false;
  // The other lanes start once the first recogniser is working: its language data are then in the cache (the
  // service worker's in the app), so that each set's data is downloaded once, not once per worker.
  let firstWorking!: () => void;
  const working = new Promise<void>((resolve) => (firstWorking = resolve));
  const lane = async (recogniser: OcrRecogniser, laneIndex: number): Promise<void> => {
    if (laneIndex > 0) await working;
    while (!ended && next < count) {
      const n = opts.pages[next++];
      if (signal?.aborted) throw ocrAbortedError();
      const result = await recogniseOne(doc, n, recogniser, labels, opts, (stage, pageFraction) => {
        if (laneIndex === 0 && stage === 'recognising') firstWorking();
        opts.onProgress?.({ page: n, index: over, count, pageFraction, stage });
      });
      if (laneIndex === 0) firstWorking();
      over++;
      if (result === null) failed.push(n);
      else {
        out.push(result);
        opts.onPage?.(result);
      }
      // (A page that failed is over too.)
      opts.onProgress?.({ page: n, index: over - 1, count, pageFraction: 1, stage: 'done' });
    }
  };
  const lanes = opts.recognisers.slice(0, Math.max(1, Math.min(opts.recognisers.length, count))).map((r, i) =>
    lane(r, i).catch((e: unknown) => {
      ended = true;
      throw e;
    }).finally(() => i === 0 && firstWorking()),
  );
  // Every lane is waited for (none is left reading after the run ended), then the first error is thrown.
  const settled = await Promise.allSettled(lanes);
  const error = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (error) throw error.reason;
  out.sort((a, b) => a.page - b.page);
  failed.sort((a, b) => a - b);
  return { pages: out, failed };
}

/**
 * Renders and recognises page `n` with `recogniser` (turned when the upright reading looks wrong). null: the page
 * could not be rendered or its recognition failed (the run goes on); throws when the run must end (a Cancel, a
 * recogniser that cannot start, a bug).
 */
async function recogniseOne(
  doc: PDFDocumentProxy,
  n: number,
  recogniser: OcrRecogniser,
  labels: string[] | null,
  opts: RecognisePagesOptions,
  progress: (stage: OcrProgress['stage'], pageFraction: number) => void,
): Promise<(OcrPage & OcrPageOrientation) | null> {
  const { signal } = opts;
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
    png = await untilAbort(opts.rasterise(page, scale), signal);
  } catch (e) {
    if (signal?.aborted) throw ocrAbortedError();
    if ((e as { code?: string })?.code === 'OCR_FAILED') throw e;
    return null;
  }
  if (signal?.aborted) throw ocrAbortedError();
  const base = page.getViewport({ scale: 1 });
  page.cleanup();
  const upright = png;
  const rendered = page;
  const read = async (turn: Turn): Promise<PageTextAndWords | null> => {
    let image = upright;
    if (turn !== 0) {
      // Rendered again, turned (the upright image is not kept decoded: rasterisers only give PNG bytes).
      try {
        image = await untilAbort(opts.rasterise(turnedPage(rendered, turn), scale), signal);
      } catch (e) {
        if (signal?.aborted) throw ocrAbortedError();
        return null;
      } finally {
        rendered.cleanup();
      }
    }
    if (signal?.aborted) throw ocrAbortedError();
    const blocks = await recogniser.recognise(image, {
      dpi,
      ...(signal ? { signal } : {}),
      onProgress: (f) => progress('recognising', f),
      onLoading: (f) => progress('loading', f),
    });
    return pageFromTesseract(blocks, turn === 0 ? scale : imageToUprightPage(rendered, scale, turn));
  };
  // A cancel, or a recogniser that cannot start, ends the run; one page's failed recognition skips the page.
  // (Errors of other kinds than OCR_FAILED — ABORTED, a bug — are not a page's failure either.)
  const fatal = (e: unknown) => signal?.aborted === true || (e as { code?: string } | null)?.code !== 'OCR_FAILED' || isOcrStartFailure(e);
  let reading: Awaited<ReturnType<typeof readBestOrientation>>;
  try {
    reading = await readBestOrientation(read, fatal);
  } catch (e) {
    if (signal?.aborted) throw ocrAbortedError();
    if (fatal(e)) throw e;
    return null;
  }
  const { text, words, confidence } = reading.best;
  return {
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
    ...(reading.best.turn !== 0 ? { turned: reading.best.turn } : {}),
    ...(reading.doubtful ? { doubtful: true as const } : {}),
  };
}

/** `work`, or ABORTED as soon as `signal` aborts (the work is left to finish on its own). */
function untilAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(ocrAbortedError());
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** A page image must cover this share of the page to set the render resolution (a logo does not). */
export const OCR_SCAN_COVERAGE = 0.25;

/**
 * The resolution to render a page at: that of its scanned image (an image drawn over at least a quarter of
 * the page; rendering finer than the scan adds nothing), within 150–300 dpi; 300 dpi when it has none (vector
 * text, e.g. a page whose fonts decode to junk). Images are sized by following the content stream's
 * transforms (q/Q, cm, form XObjects) in pdf.js's operator list.
 */
export async function ocrDpi(page: PDFPageProxy, ops: Pdfjs['OPS']): Promise<number> {
  const list = await page.getOperatorList();
  const [vx0, vy0, vx1, vy1] = page.view;
  const pageArea = Math.abs(vx1 - vx0) * Math.abs(vy1 - vy0);
  let best = 0;
  for (const { ctm, width: iw, height: ih } of placedImages(list.fnArray, list.argsArray as unknown[], ops)) {
    if (iw <= 0 || ih <= 0) continue;
    // The image is the unit square mapped by the CTM: its sides on the page, in points.
    const side0 = Math.hypot(ctm[0], ctm[1]);
    const side1 = Math.hypot(ctm[2], ctm[3]);
    const area = Math.abs(ctm[0] * ctm[3] - ctm[1] * ctm[2]);
    if (!(side0 > 0 && side1 > 0) || area < OCR_SCAN_COVERAGE * pageArea) continue;
    best = Math.max(best, ((iw / side0) * 72 + (ih / side1) * 72) / 2);
  }
  if (best === 0) return OCR_MAX_DPI;
  return Math.min(OCR_MAX_DPI, Math.max(OCR_MIN_DPI, best));
}
