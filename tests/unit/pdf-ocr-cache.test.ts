// OCR files are served under versioned folders (ocr-assets.ts), so the service worker's CacheFirst copy of an
// earlier tesseract.js is never handed to newer code; and the earlier versions' files are pruned from that cache.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OCR_ASSET_DIR, OCR_CACHE_NAME, OCR_LANG_DIR, OCR_ROOT_DIR, tesseractBrowserPaths } from '../../src/pdf/ocr-assets';
import { isOutdatedOcrAsset, pruneOutdatedOcrAssets } from '../../src/pdf/ocr-cache';

const BASE = 'https://app.example/pdfchat/';
const version = (pkg: string) => (JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, 'utf8')) as { version: string }).version;

/** Cache Storage as the browser has it, for one cache: what pruneOutdatedOcrAssets uses (has, open, keys, delete). */
class MemoryCaches {
  readonly entries = new Map<string, Set<string>>();
  async has(name: string) {
    return this.entries.has(name);
  }
  async open(name: string) {
    const urls = this.entries.get(name) ?? new Set<string>();
    this.entries.set(name, urls);
    return { keys: async () => [...urls].map((url) => ({ url })), delete: async (req: { url: string }) => urls.delete(req.url) };
  }
}

describe('OCR asset versions', () => {
  it('the worker/core folder and the language folder name the installed package versions', () => {
    expect(OCR_ASSET_DIR).toBe(`${OCR_ROOT_DIR}${version('tesseract.js')}-core${version('tesseract.js-core')}/`);
    expect(OCR_LANG_DIR).toBe(`${OCR_ROOT_DIR}lang/eng${version('@tesseract.js-data/eng')}-chi_sim${version('@tesseract.js-data/chi_sim')}-chi_tra${version('@tesseract.js-data/chi_tra')}/`);
    const paths = tesseractBrowserPaths(BASE);
    expect(paths.workerPath).toBe(`${BASE}${OCR_ASSET_DIR}worker.min.js`);
    expect(paths.langPath).toBe(`${BASE}${OCR_LANG_DIR}`.replace(/\/$/, ''));
    // The service worker's route names the root folder literally (its function is copied as source text).
    const config = readFileSync('vite.config.ts', 'utf8');
    expect(config).toContain(`url.pathname.includes('/${OCR_ROOT_DIR}')`);
    expect(config).toContain('cacheName: OCR_CACHE_NAME');
  });

  it('files of other versions are outdated, the current ones and other files are not', () => {
    expect(isOutdatedOcrAsset(`${BASE}tesseract/worker.min.js`, BASE)).toBe(true); // before versioned folders
    expect(isOutdatedOcrAsset(`${BASE}tesseract/lang/eng.traineddata.gz`, BASE)).toBe(true);
    expect(isOutdatedOcrAsset(`${BASE}tesseract/6.0.0-core6.0.0/worker.min.js`, BASE)).toBe(true);
    expect(isOutdatedOcrAsset(`${BASE}${OCR_ASSET_DIR}tesseract-core-simd-lstm.wasm.js`, BASE)).toBe(false);
    expect(isOutdatedOcrAsset(`${BASE}${OCR_LANG_DIR}chi_sim.traineddata.gz`, BASE)).toBe(false);
    expect(isOutdatedOcrAsset(`${BASE}pdfjs/wasm/openjpeg.wasm`, BASE)).toBe(false);
    expect(isOutdatedOcrAsset('https://other.example/pdfchat/tesseract/worker.min.js', BASE)).toBe(false);
  });

  it('pruning deletes exactly the outdated entries, and does nothing without the cache or Cache Storage', async () => {
    const caches = new MemoryCaches();
    expect(await pruneOutdatedOcrAssets(BASE, caches as unknown as CacheStorage)).toBe(0);
    const current = [`${BASE}${OCR_ASSET_DIR}worker.min.js`, `${BASE}${OCR_LANG_DIR}eng.traineddata.gz`];
    const old = [`${BASE}tesseract/worker.min.js`, `${BASE}tesseract/tesseract-core-simd-lstm.wasm.js`, `${BASE}tesseract/lang/eng.traineddata.gz`];
    caches.entries.set(OCR_CACHE_NAME, new Set([...current, ...old]));
    expect(await pruneOutdatedOcrAssets(BASE, caches as unknown as CacheStorage)).toBe(3);
    expect([...caches.entries.get(OCR_CACHE_NAME)!]).toEqual(current);
    expect(await pruneOutdatedOcrAssets(BASE, undefined)).toBe(0);
  });
});
