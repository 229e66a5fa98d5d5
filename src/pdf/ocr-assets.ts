// Where the app serves tesseract.js's files (relative to its base URL): the worker script, the LSTM-only wasm
// cores (tesseract.js picks relaxed-SIMD, SIMD or plain by what the browser supports) and the gzip'd
// "best_int" language data. scripts/vite-tesseract-assets.ts copies them from node_modules into the build
// and serves them in dev; the service worker caches them on first use (vite.config.ts). Never a CDN.
import type { TesseractPaths } from './ocr-engine';
import type { OcrLanguage } from './ocr-types';

export const OCR_ASSET_DIR = 'tesseract/';
export const OCR_LANG_DIR = `${OCR_ASSET_DIR}lang/`;
/** tesseract.js/dist/worker.min.js, a classic worker script. */
export const TESSERACT_WORKER_FILE = 'worker.min.js';
/** From tesseract.js-core: the wasm inlined in each .wasm.js (one request per core). */
export const TESSERACT_CORE_FILES = ['tesseract-core-lstm.wasm.js', 'tesseract-core-simd-lstm.wasm.js', 'tesseract-core-relaxedsimd-lstm.wasm.js'] as const;
export const TESSERACT_LANG_FILES: Record<OcrLanguage, string> = { eng: 'eng.traineddata.gz', chi_sim: 'chi_sim.traineddata.gz' };

/**
 * tesseract.js options for the browser. The worker is started from its own same-origin URL (not from the
 * blob: wrapper tesseract.js makes by default), and inside it the core is loaded with importScripts from the
 * same origin: both within the CSP's script-src/worker-src 'self' (+ 'wasm-unsafe-eval' for the wasm).
 */
export function tesseractBrowserPaths(appBase: string): TesseractPaths {
  const dir = new URL(OCR_ASSET_DIR, appBase).href;
  return {
    workerPath: dir + TESSERACT_WORKER_FILE,
    corePath: dir.replace(/\/$/, ''),
    langPath: new URL(OCR_LANG_DIR, appBase).href.replace(/\/$/, ''),
    workerBlobURL: false,
  };
}
