// Text extraction from a PDF, page by page: reading order, cleaning, per-page quality, form values, page
// labels, passwords, progress and cancellation. Runs in Node (CLI, tests) and in the browser's PDF worker.
import { AppError } from '../shared/errors';
import { cleanPageText } from './clean-text';
import { runsFromAnnotations, type AnnotationData } from './form-fields';
import { formatPageRanges, pagesSubject } from './page-ranges';
import { abortedError, hasPdfHeader, mapOpenError, notPdfError } from './pdf-errors';
import { getPdfjsEnvironment, type PdfjsEnvironment } from './pdfjs-env';
import { runsFromTextItems, type Matrix } from './positioned-text';
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
    return await extractDocument(doc, opts);
  } catch (e) {
    if (signal?.aborted) throw abortedError();
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await task.destroy().catch(() => undefined);
  }
}

async function extractDocument(doc: PDFDocumentProxy, opts: ExtractOptions): Promise<ExtractResult> {
  const { signal } = opts;
  const pageCount = doc.numPages;
  // Not a scan: there is nothing to read, and nothing for OCR either.
  if (pageCount === 0) throw new AppError('PDF_UNREADABLE', 'This PDF has no pages. Check that it is the document you meant (re-export or download it again).');
  const labels = await doc.getPageLabels().catch(() => null);
  const title = await readTitle(doc);

  const pages: ExtractedPage[] = [];
  const failed: number[] = [];
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
      page = await extractPage(await doc.getPage(n), labels?.[n - 1] || String(n));
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
  const empty = pages.filter((p) => p.quality === 'empty' && !failed.includes(p.page)).map((p) => p.page);
  const garbled = pages.filter((p) => p.quality === 'garbled').map((p) => p.page);
  const ok = pages.length - empty.length - garbled.length - failed.length;
  if (ok === 0 && garbled.length === 0) {
    throw new AppError('NO_TEXT', 'This PDF has no text layer (it looks like a scan or images of text). Run OCR on it (e.g. ocrmypdf, or "Recognize text" in a PDF editor) and add the OCR\'d PDF.');
  }

  const warnings: string[] = [];
  if (failed.length > 0) warnings.push(`${failed.length === 1 ? `Page ${failed[0]}` : `Pages ${formatPageRanges(failed)}`} could not be read (damaged page data) and ${failed.length === 1 ? 'was' : 'were'} skipped.`);
  if (garbled.length > 0) {
    const scope = ok === 0 ? 'Every page with text in this PDF has' : pagesSubject(garbled);
    warnings.push(`${scope} a garbled text layer (its fonts lack Unicode maps), so that text was left out. Run OCR on the PDF to make these pages searchable.`);
  }
  if (empty.length > 0) warnings.push(`${pagesSubject(empty)} no text layer (images or blank pages). Run OCR on the PDF if they hold text.`);
  return { pages, warnings, pageCount, ...(title ? { title } : {}) };
}

async function extractPage(page: PDFPageProxy, label: string): Promise<ExtractedPage> {
  try {
    const viewport = page.getViewport({ scale: 1 });
    const vt = viewport.transform as Matrix;
    const content = await page.getTextContent();
    const textRuns = runsFromTextItems(content.items, vt);
    const annotations = (await page.getAnnotations({ intent: 'display' }).catch(() => [])) as AnnotationData[];
    const formRuns = runsFromAnnotations(annotations, vt, textRuns.length);

    // Quality is judged on the text layer alone (form values are always clean Unicode).
    const raw = textRuns.map((r) => r.str).join(' ');
    const { quality } = assessTextQuality(raw);
    if (quality === 'garbled') {
      // Keep form values (they are real text), drop the gibberish.
      const formText = cleanPageText(layoutText(formRuns));
      return { page: page.pageNumber, label, text: formText, quality: 'garbled' };
    }
    const text = cleanPageText(layoutText([...textRuns, ...formRuns]), { texControlCodes: true });
    return { page: page.pageNumber, label, text, quality: text ? 'ok' : 'empty' };
  } finally {
    page.cleanup();
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
