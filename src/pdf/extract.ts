// Text extraction from a PDF, page by page: reading order, cleaning, per-page quality, form values, page
// labels, passwords, progress and cancellation. Runs in Node (CLI, tests) and in the browser's PDF worker.
import { AppError } from '../shared/errors';
import { cleanPageText } from './clean-text';
import { runsFromAnnotations, type AnnotationData } from './form-fields';
import { formatPageRanges, pagesSubject } from './page-ranges';
import { abortedError, hasPdfHeader, mapOpenError, notPdfError } from './pdf-errors';
import { imageCoverage } from './image-coverage';
import { isBlankPage } from './blank-page';
import { getPdfjsEnvironment, type Pdfjs, type PdfjsEnvironment } from './pdfjs-env';
import { runsFromTextItems, type Matrix, type PositionedRun } from './positioned-text';
import { assessTextQuality } from './quality';
import { layoutText } from './reading-order';
import type { ExtractedPage, ExtractOptions, ExtractResult } from './types';
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/types/src/display/api';

export type { ExtractedPage, ExtractOptions, ExtractResult, PageQuality } from './types';

export async function extractPdf(data: Uint8Array, opts: ExtractOptions = {}): Promise<ExtractResult> {
  if (opts.signal?.aborted) throw abortedError();
  return extractPdfWith(await getPdfjsEnvironment(), data, opts);
}

/** Same as extractPdf with an explicit pdf.js environment (tests use it to run without cMaps). */
export async function extractPdfWith(env: PdfjsEnvironment, data: Uint8Array, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const { signal } = opts;
  if (signal?.aborted) throw abortedError();
  if (!hasPdfHeader(data)) throw notPdfError();

  const task = env.lib.getDocument({
    // pdf.js may take ownership of (detach) the buffer it is given: hand it a copy so the caller keeps its bytes.
    data: data.slice(),
    password: opts.password,
    cMapUrl: env.cMapUrl,
    cMapPacked: true,
    standardFontDataUrl: env.standardFontDataUrl,
    ...(env.wasmUrl !== undefined ? { wasmUrl: env.wasmUrl } : {}),
    ...(env.useWorkerFetch !== undefined ? { useWorkerFetch: env.useWorkerFetch } : {}),
    disableFontFace: true,
    enableXfa: false,
    verbosity: env.lib.VerbosityLevel.ERRORS,
  });
  const onAbort = () => void task.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let doc: PDFDocumentProxy;
    try {
      doc = await task.promise;
    } catch (e) {
      if (signal?.aborted) throw abortedError();
      throw mapOpenError(e, opts.password !== undefined && opts.password !== '');
    }
    return await extractDocument(doc, opts, env.lib.OPS);
  } catch (e) {
    if (signal?.aborted) throw abortedError();
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await task.destroy().catch(() => undefined);
  }
}

async function extractDocument(doc: PDFDocumentProxy, opts: ExtractOptions, ops: Pdfjs['OPS']): Promise<ExtractResult> {
  const { signal } = opts;
  const pageCount = doc.numPages;
  // Not a scan: there is nothing to read, and nothing for OCR either.
  if (pageCount === 0) throw new AppError('PDF_UNREADABLE', 'This PDF has no pages. Check that it is the document you meant (re-export or download it again).');
  const labels = await doc.getPageLabels().catch(() => null);
  const title = await readTitle(doc);

  const pages: ExtractedPage[] = [];
  const failed: number[] = [];
  /** Scanned pages with a text stamp: 'empty' (OCR reads them), their stamp kept as their text. */
  const stamped: number[] = [];
  let lastYield = Date.now();
  for (let n = 1; n <= pageCount; n++) {
    // pdf.js's in-thread worker answers through microtasks, so a long document would never let the event loop
    // deliver other messages (a 'cancel' from the UI thread, say). Yield a macrotask every ~25 ms.
    if (Date.now() - lastYield > 25) {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      lastYield = Date.now();
    }
    if (signal?.aborted) throw abortedError();
    let page: ExtractedPage;
    try {
      const extracted = await extractPage(await doc.getPage(n), labels?.[n - 1] || String(n), ops);
      page = extracted.page;
      if (extracted.stamped) stamped.push(n);
    } catch (e) {
      if (signal?.aborted) throw abortedError();
      if (e instanceof AppError) throw e;
      failed.push(n);
      page = { page: n, label: labels?.[n - 1] || String(n), text: '', quality: 'empty' };
    }
    pages.push(page);
    opts.onPage?.(page);
    opts.onProgress?.({ page: n, pageCount });
  }
  if (signal?.aborted) throw abortedError();

  if (pageCount > 0 && failed.length === pageCount) {
    throw new AppError('PDF_UNREADABLE', 'No page of this PDF could be read (its page data is damaged). Try re-saving or repairing it with another PDF tool.');
  }
  const blank = pages.filter((p) => p.blank).map((p) => p.page);
  const empty = pages.filter((p) => p.quality === 'empty' && !p.blank && !failed.includes(p.page) && !stamped.includes(p.page)).map((p) => p.page);
  const garbled = pages.filter((p) => p.quality === 'garbled').map((p) => p.page);
  const ok = pages.length - blank.length - empty.length - stamped.length - garbled.length - failed.length;
  if (blank.length === pageCount) {
    // Like a PDF without pages: not a scan, so nothing for OCR either.
    throw new AppError('PDF_UNREADABLE', `${pageCount === 1 ? 'The page of this PDF is' : 'Every page of this PDF is'} blank (nothing is printed on ${pageCount === 1 ? 'it' : 'them'}), so there is nothing to read. Check that it is the document you meant (re-export or download it again).`);
  }
  if (ok === 0 && garbled.length === 0) {
    const besides = stamped.length > 0 ? ' beyond a little text stamped on its pages' : '';
    throw new AppError('NO_TEXT', `This PDF has no text layer${besides} (it looks like a scan or images of text). Run OCR on it (e.g. ocrmypdf, or "Recognize text" in a PDF editor) and add the OCR'd PDF.`);
  }

  const warnings: string[] = [];
  if (failed.length > 0) warnings.push(`${failed.length === 1 ? `Page ${failed[0]}` : `Pages ${formatPageRanges(failed)}`} could not be read (damaged page data) and ${failed.length === 1 ? 'was' : 'were'} skipped.`);
  if (garbled.length > 0) {
    const scope = ok === 0 ? 'Every page with text in this PDF has' : pagesSubject(garbled);
    warnings.push(`${scope} a garbled text layer (its fonts lack Unicode maps), so that text was left out. Run OCR on the PDF to make these pages searchable.`);
  }
  if (stamped.length > 0) {
    const [what, only] = stamped.length === 1 ? [`Page ${stamped[0]} looks like a scan`, 'its text is'] : [`Pages ${formatPageRanges(stamped)} look like scans`, 'their text is'];
    warnings.push(`${what} (a page-size image with only a little text on it, e.g. a scanner app's stamp or a page number), so ${only} in the image. Run OCR on the PDF to make ${stamped.length === 1 ? 'it' : 'them'} searchable.`);
  }
  if (empty.length > 0) warnings.push(`${pagesSubject(empty)} no text layer (images or blank pages). Run OCR on the PDF if they hold text.`);
  return { pages, warnings, pageCount, ...(title ? { title } : {}) };
}

async function extractPage(page: PDFPageProxy, label: string, ops: Pdfjs['OPS']): Promise<{ page: ExtractedPage; stamped: boolean }> {
  try {
    const viewport = page.getViewport({ scale: 1 });
    const vt = viewport.transform as Matrix;
    const content = await page.getTextContent();
    const textRuns = runsFromTextItems(content.items, vt, content.styles);
    const annotations = (await page.getAnnotations({ intent: 'display' }).catch(() => [])) as AnnotationData[];
    const formRuns = runsFromAnnotations(annotations, vt, textRuns.length);

    // Quality is judged on the text layer alone (form values are always clean Unicode).
    const raw = textRuns.map((r) => r.str).join(' ');
    const { quality, nonSpace } = assessTextQuality(raw);
    if (quality === 'garbled') {
      // Keep form values (they are real text), drop the gibberish.
      const formText = cleanPageText(layoutText(formRuns));
      return { page: { page: page.pageNumber, label, text: formText, quality: 'garbled' }, stamped: false };
    }
    const text = cleanPageText(layoutText([...textRuns, ...formRuns]), { texControlCodes: true });
    // No text: a scan (OCR reads it), or a page that prints nothing at all (a blank page: nothing to read).
    if (!text) return { page: { page: page.pageNumber, label, text, quality: 'empty', ...((await isBlankPage(page, ops, content.items.length)) ? { blank: true as const } : {}) }, stamped: false };
    // A scan with a text stamp ("Scanned with CamScanner", a Bates number, a page number) is 'empty' like any
    // scan, so that OCR reads it (pagesNeedingOcr) and an all-scan PDF is NO_TEXT; the stamp stays its text
    // (mergeOcrPages keeps it next to the OCR text).
    const stamped = isStampOnly(nonSpace, textRuns, viewport.width * viewport.height) && (await isScanned(page, ops));
    return { page: { page: page.pageNumber, label, text, quality: stamped ? 'empty' : 'ok' }, stamped };
  } finally {
    page.cleanup();
  }
}

/**
 * At most this many non-space characters in the text layer for it to be a stamp: a stamp is a label or two
 * (a scanner app's "Scanned with CamScanner", a Bates number, "CONFIDENTIAL", "Page 3 of 12"), whereas a
 * single line of body text already holds some 80 characters; this bounds the pages that pay for the operator
 * list walk below to those with at most about two lines of text.
 */
export const STAMP_MAX_CHARS = 160;
/**
 * At most this share of the page area covered by the text layer's glyph boxes (advance width × font size) for
 * it to be a stamp. A stamp is small print: a 6-12 pt label takes 0.1-0.5% of a Letter/A4 page, several of
 * them about 1%. Text meant to be read on a page with a page-size picture (a slide title or a cover title at
 * 24 pt and up over a background photo) takes well over 1%, so such a page stays 'ok'.
 */
export const STAMP_MAX_TEXT_SHARE = 0.01;
/**
 * At least this share of the page covered by images for the page to be a scan. A scan's image is the page
 * (less a cropped margin, or a paper-size mismatch: an A4 scan on a Letter page still covers 94%); a photo or
 * figure with a caption on an otherwise typeset page seldom covers three quarters of it.
 */
export const SCAN_MIN_IMAGE_COVERAGE = 0.75;

/** Cheap test first (no operator list): does the text layer hold no more than a stamp's worth of text? */
function isStampOnly(nonSpace: number, runs: readonly PositionedRun[], pageArea: number): boolean {
  if (nonSpace === 0 || nonSpace > STAMP_MAX_CHARS || !(pageArea > 0)) return false;
  const textArea = runs.reduce((sum, r) => sum + Math.abs(r.width) * Math.abs(r.size), 0);
  return textArea <= STAMP_MAX_TEXT_SHARE * pageArea;
}

/** Images cover most of the page. An operator list that cannot be built (damaged content) counts as no. */
async function isScanned(page: PDFPageProxy, ops: Pdfjs['OPS']): Promise<boolean> {
  try {
    return (await imageCoverage(page, ops)) >= SCAN_MIN_IMAGE_COVERAGE;
  } catch {
    return false;
  }
}

async function readTitle(doc: PDFDocumentProxy): Promise<string | undefined> {
  try {
    const meta = await doc.getMetadata();
    const xmpTitle = meta.metadata?.get('dc:title');
    const infoTitle = (meta.info as { Title?: unknown } | undefined)?.Title;
    const title = (typeof xmpTitle === 'string' && xmpTitle.trim()) || (typeof infoTitle === 'string' && infoTitle.trim()) || '';
    return title || undefined;
  } catch {
    return undefined;
  }
}
