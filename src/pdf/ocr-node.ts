// OCR in Node (CLI, tests): tesseract.js runs in a worker thread with the wasm core from tesseract.js-core and
// the LSTM "best_int" language data from @tesseract.js-data/<lang>, all read from node_modules (no network).
// Pages are rendered by pdf.js's own Node canvas (@napi-rs/canvas, pdfjs-dist's optional dependency).
import './node-polyfills';
import { copyFileSync, existsSync, mkdirSync, readlinkSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AppError } from '../shared/errors';
import { abortedError, hasPdfHeader, mapOpenError, notPdfError } from './pdf-errors';
import { getPdfjsEnvironment } from './pdfjs-env';
import { TesseractRecogniser } from './ocr-engine';
import { traineddataProblem } from './traineddata-check';
import { recognisePages, type PageRasteriser, type RecognisePagesResult } from './ocr';
import { ocrParallelism } from './ocr-parallelism';
import type { OcrLanguage, OcrPage, OcrProgress } from './ocr-types';
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/types/src/display/api';

const require = createRequire(import.meta.url);

/** The language data file tesseract.js loads for `lang` (gzip-compressed traineddata, LSTM only). */
export function nodeTraineddataFile(lang: OcrLanguage): string {
  return join(dirname(require.resolve(`@tesseract.js-data/${lang}/package.json`)), '4.0.0_best_int', `${lang}.traineddata.gz`);
}

/**
 * tesseract.js loads every language from one folder (`<langPath>/<lang>.traineddata.gz`), while each
 * @tesseract.js-data package has its own. This makes one folder of links to them, in node_modules/.cache
 * (or the temp dir when that is read-only), and returns it.
 */
export function nodeLangPath(langs: readonly OcrLanguage[]): string {
  const candidates = [join(dirname(require.resolve('tesseract.js/package.json')), '..', '.cache', 'pdfchat-tesseract'), join(tmpdir(), 'pdfchat-tesseract')];
  let lastError: unknown;
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { recursive: true });
      for (const lang of langs) linkOrCopy(nodeTraineddataFile(lang), join(dir, `${lang}.traineddata.gz`));
      return dir;
    } catch (e) {
      lastError = e;
    }
  }
  throw new AppError('OCR_FAILED', `No folder for the OCR language data could be made (${(lastError as Error)?.message}).`);
}

function linkOrCopy(target: string, link: string): void {
  let stale = false;
  try {
    if (readlinkSync(link) === target) return;
    stale = true; // a link to another install of the data
  } catch {
    if (existsSync(link)) return; // a copy made earlier
  }
  if (stale) rmSync(link, { force: true });
  try {
    symlinkSync(target, link);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    copyFileSync(target, link);
  }
}

export function createNodeRecogniser(langs: readonly OcrLanguage[]): TesseractRecogniser {
  const langPath = nodeLangPath(langs);
  return new TesseractRecogniser(langs, { langPath }, (languages) => nodeLanguageDataCheck(langPath, languages));
}

/**
 * Every language's data file is in `langPath` (a link whose package was removed since points nowhere) and is
 * sound (traineddata-check.ts): a damaged one would make Tesseract's start fail in a way tesseract.js cannot
 * report. Rejects with OCR_FAILED naming the language and what to do.
 */
export async function nodeLanguageDataCheck(langPath: string, languages: readonly OcrLanguage[]): Promise<void> {
  const missing = languages.filter((l) => !existsSync(join(langPath, `${l}.traineddata.gz`)));
  if (missing.length > 0) {
    throw new AppError('OCR_FAILED', `The OCR language data for ${missing.join(', ')} is missing from ${langPath}. Reinstall the project's dependencies (npm ci: the @tesseract.js-data packages), or choose another OCR language.`);
  }
  for (const lang of languages) {
    const file = join(langPath, `${lang}.traineddata.gz`);
    const problem = await traineddataProblem(new Uint8Array(await readFile(file)));
    if (problem !== null) {
      throw new AppError('OCR_FAILED', `The OCR language data for ${lang} (${realpathSync(file)}) is damaged: ${problem}. Reinstall the project's dependencies (rm -rf node_modules && npm ci), or choose another OCR language.`, { reason: 'LANGUAGE_DATA_DAMAGED', language: lang });
    }
  }
}

/** Renders with the canvas pdf.js itself uses in Node and encodes PNG off the main thread. */
export function nodeRasteriser(doc: PDFDocumentProxy): PageRasteriser {
  return async (page: PDFPageProxy, scale: number) => {
    const viewport = page.getViewport({ scale });
    const factory = doc.canvasFactory as { create(w: number, h: number): { canvas: NodeCanvas; context: unknown } };
    let target: { canvas: NodeCanvas; context: unknown };
    try {
      target = factory.create(Math.ceil(viewport.width), Math.ceil(viewport.height));
    } catch (e) {
      throw new AppError('OCR_FAILED', `Pages cannot be rendered for OCR in Node here: pdf.js needs @napi-rs/canvas (an optional dependency of pdfjs-dist; run npm ci on Linux, macOS or Windows). (${(e as Error).message})`);
    }
    await page.render({ canvas: target.canvas, canvasContext: target.context, viewport } as unknown as Parameters<PDFPageProxy['render']>[0]).promise;
    const png = typeof target.canvas.encode === 'function' ? await target.canvas.encode('png') : target.canvas.toBuffer('image/png');
    return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  };
}

interface NodeCanvas {
  encode?(format: 'png'): Promise<Buffer>;
  toBuffer(mime: 'image/png'): Buffer;
}

export interface NodeOcrOptions {
  languages: readonly OcrLanguage[];
  /** Pages to recognise (1-based); all pages when absent. */
  pages?: readonly number[];
  password?: string;
  signal?: AbortSignal;
  onProgress?: (p: OcrProgress) => void;
  onPage?: (p: OcrPage) => void;
  /** Reuse a recogniser across calls (it is not disposed); otherwise `parallel` are made and disposed. */
  recogniser?: TesseractRecogniser;
  /** Without `recogniser`: how many Tesseract workers read pages at once (default 1; at most one per page). */
  parallel?: number;
}

/** How many OCR workers `cli extract --ocr` runs (ocr-parallelism.ts: one per core, at most 4). */
export function defaultOcrParallelism(): number {
  return ocrParallelism(availableParallelism());
}

/** Opens `data` with pdf.js (Node) and recognises the pages asked for. */
export async function ocrPdf(data: Uint8Array, opts: NodeOcrOptions): Promise<RecognisePagesResult & { pageCount: number }> {
  const { signal } = opts;
  if (signal?.aborted) throw abortedError();
  if (!hasPdfHeader(data)) throw notPdfError();
  const env = await getPdfjsEnvironment();
  const task = env.lib.getDocument({
    data: data.slice(),
    password: opts.password,
    cMapUrl: env.cMapUrl,
    cMapPacked: true,
    standardFontDataUrl: env.standardFontDataUrl,
    ...(env.wasmUrl !== undefined ? { wasmUrl: env.wasmUrl } : {}),
    enableXfa: false,
    verbosity: env.lib.VerbosityLevel.ERRORS,
  });
  const own = opts.recogniser ? [] : Array.from({ length: Math.max(1, Math.min(opts.parallel ?? 1, opts.pages?.length ?? Infinity)) }, () => createNodeRecogniser(opts.languages));
  const recognisers = opts.recogniser ? [opts.recogniser] : own;
  try {
    let doc: PDFDocumentProxy;
    try {
      doc = await task.promise;
    } catch (e) {
      throw mapOpenError(e, opts.password !== undefined && opts.password !== '');
    }
    const pages = opts.pages ?? Array.from({ length: doc.numPages }, (_, i) => i + 1);
    const res = await recognisePages(doc, {
      pages: pages.filter((n) => n >= 1 && n <= doc.numPages),
      recognisers,
      rasterise: nodeRasteriser(doc),
      ops: env.lib.OPS,
      ...(signal ? { signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.onPage ? { onPage: opts.onPage } : {}),
    });
    return { ...res, pageCount: doc.numPages };
  } finally {
    await Promise.all(own.map((r) => r.dispose()));
    await task.destroy().catch(() => undefined);
  }
}
