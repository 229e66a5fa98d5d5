// Puts recognised pages in place of the pages pdf.js found no (or only garbled) text on, with warnings that
// say what happened. Shared by `cli extract --ocr` and the app.
import { AppError } from '../shared/errors';
import { ocrOrientationWarnings } from './ocr-orientation';
import { formatPageRanges } from './page-ranges';
import type { ExtractedPage, ExtractResult } from './types';
import type { OcrPage } from './ocr-types';

export type PageSource = 'text' | 'ocr';
export type SourcedPage = ExtractedPage & { source: PageSource };

/**
 * Pages to recognise: those without a usable text layer ('empty': no text, or a scan whose only text is a
 * stamp such as "Scanned with CamScanner"; all of them when extraction said NO_TEXT), and garbled ones on request;
 * never a blank page (it prints nothing: src/pdf/blank-page.ts).
 */
export function pagesNeedingOcr(result: ExtractResult | null, pageCount: number, opts: { garbled: boolean }): number[] {
  if (!result) return Array.from({ length: pageCount }, (_, i) => i + 1);
  return result.pages.filter((p) => (p.quality === 'empty' && !p.blank) || (opts.garbled && p.quality === 'garbled')).map((p) => p.page);
}

/**
 * `result` null = extraction said NO_TEXT (every page is recognised). Pages OCR did not cover keep their
 * extraction result; pages it could not render stay empty. Throws NO_TEXT when nothing usable is left.
 * A recognised page's text is the OCR text plus what extraction kept of the page (a scan's stamp, a garbled
 * page's form values) where OCR did not read it too (see withKeptText).
 */
export function mergeOcrPages(result: ExtractResult | null, ocr: readonly OcrPage[], pageCount: number, failedToRender: readonly number[] = []): { pages: SourcedPage[]; warnings: string[] } {
  const byPage = new Map(ocr.map((p) => [p.page, p]));
  const pages: SourcedPage[] = [];
  for (let n = 1; n <= pageCount; n++) {
    const o = byPage.get(n);
    const extracted = result?.pages[n - 1];
    if (o && (!extracted || extracted.quality !== 'ok')) pages.push({ page: n, label: o.label, text: withKeptText(o.text, extracted?.text ?? ''), quality: o.quality, source: 'ocr' });
    else if (extracted) pages.push({ ...extracted, source: 'text' });
    else pages.push({ page: n, label: String(n), text: '', quality: 'empty', source: 'text' });
  }
  const recognised = pages.filter((p) => p.source === 'ocr' && p.quality === 'ok').map((p) => p.page);
  const blank = pages.filter((p) => p.source === 'ocr' && p.quality === 'empty').map((p) => p.page);
  const stillMissing = pages.filter((p) => p.source === 'text' && p.quality !== 'ok' && !p.blank).map((p) => p.page);

  // Extraction's "run OCR" advice is stale for the pages OCR covered; keep its other warnings (damaged pages).
  const warnings = (result?.warnings ?? []).filter((w) => !/Run OCR/.test(w) || stillMissing.length > 0);
  if (recognised.length) {
    const langs = [...new Set(ocr.flatMap((p) => p.languages))].join('+');
    warnings.push(`${subject(recognised)} text recognised by OCR (${langs}); recognised text can contain mistakes, so check quotes against the page.`);
  }
  if (blank.length) warnings.push(`${subject(blank)} no text that OCR could recognise (blank pages or pictures).`);
  if (failedToRender.length) warnings.push(`${failedToRender.length === 1 ? `Page ${failedToRender[0]}` : `Pages ${formatPageRanges([...failedToRender])}`} could not be rendered or recognised by OCR (damaged page data, or the recogniser failed on it); the other pages are searchable.`);
  warnings.push(...ocrOrientationWarnings(ocr));
  if (!pages.some((p) => p.quality === 'ok')) {
    throw new AppError('NO_TEXT', 'No text was found in this PDF, not even by OCR: its pages are blank or hold only pictures. If it holds text in another script, recognise it with a tool that knows that language.');
  }
  return { pages, warnings };
}

/**
 * The OCR text of a page, followed by the lines of its extracted text that OCR did not read. OCR sees the
 * rendered page, stamp included, so usually nothing is added; but small print (a 6 pt stamp, a Bates number)
 * may be missed or misread at scan resolution, and the text layer's version is exact, so it is not dropped.
 * A line counts as read when its letters and digits appear, in order and case-insensitively, in the OCR text.
 */
export function withKeptText(ocrText: string, kept: string): string {
  const norm = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
  const seen = norm(ocrText);
  const missing = kept.split('\n').filter((line) => {
    const key = norm(line);
    return key !== '' && !seen.includes(key);
  });
  if (missing.length === 0) return ocrText;
  return ocrText ? `${ocrText}\n\n${missing.join('\n')}` : missing.join('\n');
}

function subject(pages: number[]): string {
  return pages.length === 1 ? `Page ${pages[0]} has` : `Pages ${formatPageRanges(pages)} have`;
}
