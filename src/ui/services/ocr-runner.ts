// Runs OCR for the app: opens the PDF with the main-thread pdf.js (the viewer's), renders each page into a
// canvas and recognises it in tesseract.js's Web Workers: up to ocrParallelism() per language set read that many
// pages at once (ocr-parallelism.ts), kept between documents (each worker and its language data load once); Cancel terminates them
// mid-page.
import { createBrowserRecogniser, canvasRasteriser } from '../../pdf/ocr-browser';
import type { TesseractRecogniser } from '../../pdf/ocr-engine';
import { recognisePages, type RecognisePagesResult } from '../../pdf/ocr';
import { tesseractOrder, type OcrLanguage, type OcrPage, type OcrProgress } from '../../pdf/ocr-types';
import { isTraditionalLocale } from '../../pdf/ocr-language-guess';
import { ocrParallelism } from '../../pdf/ocr-parallelism';
import { mapOpenError } from '../../pdf/pdf-errors';
import { openPdf, pdfjs } from '../pdfjs-main';

/** By language set: the recognisers made so far (more are added when a run wants more at once). */
const recognisers = new Map<string, TesseractRecogniser[]>();
/** Runs using each recogniser now (by language set). */
const users = new Map<string, number>();
/** A minute after the last run the workers are ended: a Tesseract worker holds ~100 MB of wasm memory. */
const IDLE_DISPOSE_MS = 60_000;
let running = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

function disposeIdle(): void {
  for (const set of recognisers.values()) for (const r of set) void r.dispose();
  recognisers.clear();
}

/** `ocrParallelism` for this browser (its cores and, where it says, its memory). */
function browserOcrParallelism(): number {
  return ocrParallelism(navigator.hardwareConcurrency, (navigator as { deviceMemory?: number }).deviceMemory);
}

/**
 * Ends the recognisers no run is using, but the one for `keep`: after a language trial (ocr-language-trial.ts)
 * the sets that lost would otherwise hold ~100 MB each until the app has been idle for a minute.
 */
export function releaseOtherRecognisers(keep: readonly OcrLanguage[]): void {
  const kept = tesseractOrder(keep).join('+');
  for (const [key, set] of recognisers) {
    if (key === kept || (users.get(key) ?? 0) > 0) continue;
    for (const r of set) void r.dispose();
    recognisers.delete(key);
  }
}

/** `count` recognisers for the language set (made when missing; a worker starts on its first page). */
function recognisersFor(languages: readonly OcrLanguage[], count: number): TesseractRecogniser[] {
  const key = tesseractOrder(languages).join('+');
  const set = recognisers.get(key) ?? [];
  recognisers.set(key, set);
  while (set.length < count) set.push(createBrowserRecogniser(languages, new URL(import.meta.env.BASE_URL, location.href).href));
  return set.slice(0, count);
}

/**
 * Languages for a document without its own setting: English, or Chinese and English for a Chinese UI — Traditional
 * Chinese (chi_tra) when the browser's Chinese is Taiwan's, Hong Kong's or Macau's or says Hant, else Simplified.
 */
export function defaultOcrLanguages(): OcrLanguage[] {
  let ui = '';
  try {
    ui = localStorage.getItem('pdfchat.lang') ?? '';
  } catch {
    // storage blocked: fall back to the browser's languages
  }
  const browser = (navigator.languages ?? [navigator.language]).map((l) => l.toLowerCase());
  const chinese = browser.find((l) => l.startsWith('zh'));
  const zh = ui ? ui === 'zh' : chinese !== undefined;
  if (!zh) return ['eng'];
  return ['eng', chinese && isTraditionalLocale(chinese) ? 'chi_tra' : 'chi_sim'];
}

export interface RunOcrOptions {
  /** Pages to recognise; undefined = every page of the document. */
  pages?: readonly number[];
  languages: readonly OcrLanguage[];
  password?: string;
  signal?: AbortSignal;
  onProgress?: (p: OcrProgress) => void;
  onPage?: (p: OcrPage) => void;
}

export async function runOcr(bytes: Uint8Array, opts: RunOcrOptions): Promise<RecognisePagesResult & { pageCount: number }> {
  running++;
  clearTimeout(idleTimer);
  const key = tesseractOrder(opts.languages).join('+');
  users.set(key, (users.get(key) ?? 0) + 1);
  const task = openPdf(bytes, opts.password);
  try {
    const doc = await task.promise.catch((e: unknown) => {
      throw mapOpenError(e, opts.password !== undefined && opts.password !== '');
    });
    const pages = (opts.pages ?? Array.from({ length: doc.numPages }, (_, i) => i + 1)).filter((n) => n >= 1 && n <= doc.numPages);
    const res = await recognisePages(doc, {
      pages,
      recognisers: recognisersFor(opts.languages, Math.max(1, Math.min(browserOcrParallelism(), pages.length))),
      rasterise: canvasRasteriser,
      ops: pdfjs.OPS,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.onPage ? { onPage: opts.onPage } : {}),
    });
    return { ...res, pageCount: doc.numPages };
  } finally {
    await task.destroy().catch(() => undefined);
    users.set(key, (users.get(key) ?? 1) - 1);
    if (--running === 0) idleTimer = setTimeout(disposeIdle, IDLE_DISPOSE_MS);
  }
}

/** Only opens the PDF to count its pages (a scan, where extraction gave up before reporting them). */
export async function countPages(bytes: Uint8Array, password?: string): Promise<number> {
  const task = openPdf(bytes, password);
  try {
    return (await task.promise).numPages;
  } finally {
    await task.destroy().catch(() => undefined);
  }
}
