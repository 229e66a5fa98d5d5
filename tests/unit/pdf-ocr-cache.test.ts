// OCR files are served under versioned folders (ocr-assets.ts), so the service worker's CacheFirst copy of an
// earlier tesseract.js is never handed to newer code; and the earlier versions' files are pruned from that cache.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OCR_ASSET_DIR, OCR_CACHE_NAME, OCR_LANG_DIR, OCR_ROOT_DIR, tesseractBrowserPaths } from '../../src/pdf/ocr-assets';
import { carriedOverLanguageFile, isOutdatedOcrAsset, pruneOutdatedOcrAssets } from '../../src/pdf/ocr-cache';

const BASE = 'https://app.example/pdfchat/';
const version = (pkg: string) => (JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, 'utf8')) as { version: string }).version;

/** Cache Storage as the browser has it, for one cache: what pruneOutdatedOcrAssets uses (has, open, keys, match, put, delete). */
class MemoryCaches {
  readonly entries = new Map<string, Set<string>>();
  /** Response bodies by URL (a URL in `entries` without one has the body ''). */
  readonly bodies = new Map<string, string>();
  async has(name: string) {
    return this.entries.has(name);
  }
  async open(name: string) {
    const urls = this.entries.get(name) ?? new Set<string>();
    this.entries.set(name, urls);
    const urlOf = (r: string | { url: string }) => (typeof r === 'string' ? r : r.url);
    return {
      keys: async () => [...urls].map((url) => ({ url })),
      delete: async (req: { url: string }) => urls.delete(req.url),
      match: async (r: string | { url: string }) => (urls.has(urlOf(r)) ? new Response(this.bodies.get(urlOf(r)) ?? '') : undefined),
      put: async (r: string | { url: string }, res: Response) => {
        urls.add(urlOf(r));
        this.bodies.set(urlOf(r), await res.text());
      },
    };
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

  it('a language file whose own version is unchanged moves to the current folder (a language was added); another version is deleted', async () => {
    const v = (pkg: string) => version(`@tesseract.js-data/${pkg}`);
    const before = `${BASE}tesseract/lang/eng${v('eng')}-chi_sim${v('chi_sim')}/`; // the folder before chi_tra joined
    const older = `${BASE}tesseract/lang/eng0.9.0-chi_sim0.9.0/`;
    const caches = new MemoryCaches();
    caches.entries.set(OCR_CACHE_NAME, new Set([`${before}eng.traineddata.gz`, `${before}chi_sim.traineddata.gz`, `${older}eng.traineddata.gz`, `${BASE}${OCR_LANG_DIR}chi_sim.traineddata.gz`]));
    caches.bodies.set(`${before}eng.traineddata.gz`, 'eng data');
    caches.bodies.set(`${before}chi_sim.traineddata.gz`, 'stale chi_sim');
    caches.bodies.set(`${BASE}${OCR_LANG_DIR}chi_sim.traineddata.gz`, 'current chi_sim');
    expect(await pruneOutdatedOcrAssets(BASE, caches as unknown as CacheStorage)).toBe(3);
    expect([...caches.entries.get(OCR_CACHE_NAME)!].sort()).toEqual([`${BASE}${OCR_LANG_DIR}chi_sim.traineddata.gz`, `${BASE}${OCR_LANG_DIR}eng.traineddata.gz`].sort());
    expect(caches.bodies.get(`${BASE}${OCR_LANG_DIR}eng.traineddata.gz`)).toBe('eng data');
    // A copy already in the current folder is kept as it is.
    expect(caches.bodies.get(`${BASE}${OCR_LANG_DIR}chi_sim.traineddata.gz`)).toBe('current chi_sim');
    expect(carriedOverLanguageFile(`${older}eng.traineddata.gz`, BASE)).toBeNull();
    expect(carriedOverLanguageFile(`${BASE}tesseract/lang/eng.traineddata.gz`, BASE)).toBeNull();
    expect(carriedOverLanguageFile(`${before}eng.traineddata.gz`, BASE)).toBe(`${BASE}${OCR_LANG_DIR}eng.traineddata.gz`);
  });
});
