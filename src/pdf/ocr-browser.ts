// OCR in the browser: tesseract.js's worker, wasm core and language data come from the app's own origin
// (ocr-assets.ts), pages are rendered by pdf.js into a canvas on this thread and handed over as PNG.
import { TesseractRecogniser } from './ocr-engine';
import { OCR_CACHE_NAME, TESSERACT_LANG_FILES, tesseractBrowserPaths } from './ocr-assets';
import { AppError } from '../shared/errors';
import { traineddataProblem } from './traineddata-check';
import type { PageRasteriser } from './ocr';
import type { OcrLanguage } from './ocr-types';
import type { PDFPageProxy } from 'pdfjs-dist/types/src/display/api';

export function createBrowserRecogniser(langs: readonly OcrLanguage[], appBase: string): TesseractRecogniser {
  const paths = tesseractBrowserPaths(appBase);
  // Only where the service worker serves the files: without it tesseract.js's own fetch could not be a cache hit,
  // and the check would download the language data twice (its failure is still reported, see ocr-engine.ts).
  const checked = () => typeof navigator !== 'undefined' && Boolean(navigator.serviceWorker?.controller);
  return new TesseractRecogniser(langs, paths, async (languages) => (checked() ? browserLanguageDataCheck(paths.langPath!, languages) : undefined));
}

/**
 * Makes sure each language's data file can be had, and is sound (traineddata-check.ts), before a Tesseract
 * worker starts: from the OCR cache, or fetched now (through the service worker) and put into that cache, so that
 * tesseract.js's own fetch right after is a cache hit, not a second download. Offline with a language never
 * recognised before, the document then fails with a message saying so, instead of starting a worker whose failure
 * tesseract.js does not report. A damaged file is deleted from the cache (the service worker may have stored it
 * on its way: a download cut short, a network login page answering in its place) and fetched again once; when
 * that one is damaged too, or cannot be fetched, the document fails with OCR_FAILED saying what to do.
 */
export async function browserLanguageDataCheck(langPath: string, languages: readonly OcrLanguage[], storage: CacheStorage | undefined = globalThis.caches): Promise<void> {
  for (const lang of languages) {
    const url = `${langPath}/${TESSERACT_LANG_FILES[lang]}`;
    const name = `${lang === 'eng' ? 'English' : 'Chinese (simplified)'} (${lang})`;
    let status: number | string;
    let damaged: string | null = null;
    try {
      const cache = storage ? await storage.open(OCR_CACHE_NAME) : null;
      const hit = cache ? await cache.match(url) : undefined;
      if (hit) {
        damaged = await traineddataProblem(new Uint8Array(await hit.arrayBuffer()));
        if (damaged === null) continue;
        await cache!.delete(url);
      }
      const res = await fetch(url);
      if (res.ok) {
        const bytes = new Uint8Array(await res.arrayBuffer());
        damaged = await traineddataProblem(bytes);
        if (damaged === null) {
          if (cache) await cache.put(url, new Response(bytes, { headers: res.headers }));
          continue;
        }
        if (cache) await cache.delete(url);
        throw new AppError(
          'OCR_FAILED',
          `The ${name} language data for text recognition that was downloaded is damaged: ${damaged}. It was not kept. A network login page or a proxy may have answered in its place: check the connection and try again, or choose another OCR language for this document.`,
          { reason: 'LANGUAGE_DATA_DAMAGED', language: lang },
        );
      }
      void res.body?.cancel().catch(() => undefined);
      status = res.status;
    } catch (e) {
      if (e instanceof AppError) throw e;
      status = e instanceof Error ? e.message : String(e);
    }
    throw new AppError(
      'OCR_FAILED',
      damaged !== null
        ? `The ${name} language data for text recognition stored on this device was damaged (${damaged}) and has been deleted; it could not be downloaded again (${status}). Connect to the network and try again, or choose another OCR language for this document.`
        : `The ${name} language data for text recognition could not be loaded (${status}). It is stored for offline use the first time a page is recognised in that language while online: connect once and try again, or choose another OCR language for this document.`,
      damaged !== null ? { reason: 'LANGUAGE_DATA_DAMAGED', language: lang } : { language: lang },
    );
  }
}

/** Renders into a detached canvas, white background, and encodes it as PNG. */
export const canvasRasteriser: PageRasteriser = async (page: PDFPageProxy, scale: number) => {
  const viewport = page.getViewport({ scale });
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(viewport.width);
  canvas.height = Math.ceil(viewport.height);
  try {
    await page.render({ canvas, viewport, background: 'rgb(255,255,255)' }).promise;
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (!blob) throw new Error('the rendered page could not be encoded');
    return new Uint8Array(await blob.arrayBuffer());
  } finally {
    // Free the pixels now rather than when the canvas is collected.
    canvas.width = 0;
    canvas.height = 0;
  }
};
