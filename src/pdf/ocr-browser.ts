// OCR in the browser: tesseract.js's worker, wasm core and language data come from the app's own origin
// (ocr-assets.ts), pages are rendered by pdf.js into a canvas on this thread and handed over as PNG.
import { TesseractRecogniser } from './ocr-engine';
import { OCR_CACHE_NAME, TESSERACT_LANG_FILES, tesseractBrowserPaths } from './ocr-assets';
import { AppError } from '../shared/errors';
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
 * Makes sure each language's data file can be had before a Tesseract worker starts: from the OCR cache, or fetched
 * now (through the service worker) and put into that cache, so that tesseract.js's own fetch right after is a
 * cache hit, not a second download. Offline with a language never recognised before, the document then fails
 * with a message saying so, instead of starting a worker whose failure tesseract.js does not report.
 */
export async function browserLanguageDataCheck(langPath: string, languages: readonly OcrLanguage[], storage: CacheStorage | undefined = globalThis.caches): Promise<void> {
  for (const lang of languages) {
    const url = `${langPath}/${TESSERACT_LANG_FILES[lang]}`;
    let status: number | string;
    try {
      const cache = storage ? await storage.open(OCR_CACHE_NAME) : null;
      if (cache && (await cache.match(url))) continue;
      const res = await fetch(url);
      if (res.ok) {
        if (cache) await cache.put(url, res);
        else await res.arrayBuffer();
        continue;
      }
      void res.body?.cancel().catch(() => undefined);
      status = res.status;
    } catch (e) {
      status = e instanceof Error ? e.message : String(e);
    }
    throw new AppError(
      'OCR_FAILED',
      `The ${lang === 'eng' ? 'English' : 'Chinese (simplified)'} (${lang}) language data for text recognition could not be loaded (${status}). It is stored for offline use the first time a page is recognised in that language while online: connect once and try again, or choose another OCR language for this document.`,
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
