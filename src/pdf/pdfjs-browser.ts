// pdf.js inside our own Web Worker: the modern build, with pdf.js's worker code imported into this thread
// (we already are off the main thread, so no nested worker), and cMaps/standard fonts served by the app.
import { PDFJS_CMAPS_PATH, PDFJS_STANDARD_FONTS_PATH, PDFJS_WASM_PATH } from './asset-paths';
import type { Pdfjs, PdfjsEnvironment } from './pdfjs-env';

export async function createBrowserPdfjsEnvironment(): Promise<PdfjsEnvironment> {
  // pdf.js looks for globalThis.pdfjsWorker and then runs its "fake worker" in this thread.
  const workerModule = await import('pdfjs-dist/build/pdf.worker.mjs');
  (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = workerModule;
  const lib = (await import('pdfjs-dist')) as unknown as Pdfjs;
  const base = new URL(import.meta.env.BASE_URL, self.location.href);
  return {
    lib,
    cMapUrl: new URL(PDFJS_CMAPS_PATH, base).href,
    standardFontDataUrl: new URL(PDFJS_STANDARD_FONTS_PATH, base).href,
    wasmUrl: new URL(PDFJS_WASM_PATH, base).href,
    useWorkerFetch: true,
  };
}
