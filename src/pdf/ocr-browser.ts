// OCR in the browser: tesseract.js's worker, wasm core and language data come from the app's own origin
// (ocr-assets.ts), pages are rendered by pdf.js into a canvas on this thread and handed over as PNG.
import { TesseractRecogniser } from './ocr-engine';
import { tesseractBrowserPaths } from './ocr-assets';
import type { PageRasteriser } from './ocr';
import type { OcrLanguage } from './ocr-types';
import type { PDFPageProxy } from 'pdfjs-dist/types/src/display/api';

export function createBrowserRecogniser(langs: readonly OcrLanguage[], appBase: string): TesseractRecogniser {
  return new TesseractRecogniser(langs, tesseractBrowserPaths(appBase));
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
