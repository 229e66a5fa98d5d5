// Where the app serves tesseract.js's files (relative to its base URL): the worker script, the LSTM-only wasm
// cores (tesseract.js picks relaxed-SIMD, SIMD or plain by what the browser supports) and the gzip'd
// "best_int" language data. scripts/vite-tesseract-assets.ts copies them from node_modules into the build
// and serves them in dev; the service worker caches them on first use (vite.config.ts). Never a CDN.
// The folders carry the packages' versions: the service worker keeps these files CacheFirst (they are large and
// fetched once), so after an update that brings another tesseract.js the new code must ask for new URLs, never
// get the old worker or core from the cache. Files of earlier versions are deleted from that cache
// (pruneOutdatedOcrAssets, ocr-cache.ts).
import tesseractPackage from 'tesseract.js/package.json' with { type: 'json' };
import corePackage from 'tesseract.js-core/package.json' with { type: 'json' };
import engPackage from '@tesseract.js-data/eng/package.json' with { type: 'json' };
import chiSimPackage from '@tesseract.js-data/chi_sim/package.json' with { type: 'json' };
import chiTraPackage from '@tesseract.js-data/chi_tra/package.json' with { type: 'json' };
import type { TesseractPaths } from './ocr-engine';
import { OCR_LANGUAGES, type OcrLanguage } from './ocr-types';

/** The run-time cache (vite.config.ts workbox runtimeCaching) that holds the files below once fetched. */
export const OCR_CACHE_NAME = 'pdfchat-ocr-assets';
/** Where every OCR file lives, whatever its version. */
export const OCR_ROOT_DIR = 'tesseract/';
export const OCR_ASSET_DIR = `${OCR_ROOT_DIR}${tesseractPackage.version}-core${corePackage.version}/`;
/** The @tesseract.js-data package version of each language's file. */
export const OCR_LANG_VERSIONS: Record<OcrLanguage, string> = { eng: engPackage.version, chi_sim: chiSimPackage.version, chi_tra: chiTraPackage.version };
/** `tesseract/lang/eng<v>-chi_sim<v>-chi_tra<v>/`: one folder for all (tesseract.js loads every language from one). */
export const OCR_LANG_DIR = `${OCR_ROOT_DIR}lang/${OCR_LANGUAGES.map((l) => l + OCR_LANG_VERSIONS[l]).join('-')}/`;
/** tesseract.js/dist/worker.min.js, a classic worker script. */
export const TESSERACT_WORKER_FILE = 'worker.min.js';
/** From tesseract.js-core: the wasm inlined in each .wasm.js (one request per core). */
export const TESSERACT_CORE_FILES = ['tesseract-core-lstm.wasm.js', 'tesseract-core-simd-lstm.wasm.js', 'tesseract-core-relaxedsimd-lstm.wasm.js'] as const;
export const TESSERACT_LANG_FILES: Record<OcrLanguage, string> = { eng: 'eng.traineddata.gz', chi_sim: 'chi_sim.traineddata.gz', chi_tra: 'chi_tra.traineddata.gz' };

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
