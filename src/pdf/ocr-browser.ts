// OCR in the browser: tesseract.js's worker, wasm core and language data come from the app's own origin
// (ocr-assets.ts), pages are rendered by pdf.js into a canvas on this thread and handed over as PNG.
import { TesseractRecogniser } from './ocr-engine';
import { TESSERACT_LANG_FILES, tesseractBrowserPaths } from './ocr-assets';
import { AppError } from '../shared/errors';
import type { PageRasteriser } from './ocr';
import type { OcrLanguage } from './ocr-types';
import type { PDFPageProxy } from 'pdfjs-dist/types/src/display/api';

export function createBrowserRecogniser(langs: readonly OcrLanguage[], appBase: string): TesseractRecogniser {
  const paths = tesseractBrowserPaths(appBase);
  return new TesseractRecogniser(langs, paths, (languages) => browserLanguageDataCheck(paths.langPath!, languages));
}

/**
 * Fetches each language's data file (through the service worker, which serves it from its cache or fetches and
 * keeps it; ocr-assets.ts) before a Tesseract worker starts: offline with a language never recognised before, the
 * document then fails with a message saying so, instead of starting a worker that tesseract.js cannot report
 * the failure of. The body is not read here: tesseract.js fetches the file again, from the cache.
 */
export async function browserLanguageDataCheck(langPath: string, languages: readonly OcrLanguage[]): Promise<void> {
  for (const lang of languages) {
    const url = `${langPath}/${TESSERACT_LANG_FILES[lang]}`;
    let status: number | string;
    try {
      const res = await fetch(url);
      void res.body?.cancel().catch(() => undefined);
      if (res.ok) continue;
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
