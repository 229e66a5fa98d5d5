// Deletes OCR files of earlier app versions from the service worker's run-time cache (ocr-assets.ts: their
// URLs carry the package versions, so an update asks for new ones and the old ones — a 4 MB wasm core each, and
// the language data — would otherwise stay in the browser's storage for good). Called once at start.
import { OCR_ASSET_DIR, OCR_CACHE_NAME, OCR_LANG_DIR, OCR_ROOT_DIR } from './ocr-assets';

/** Whether `url` is an OCR file of the app at `appBase` that the current version no longer asks for. */
export function isOutdatedOcrAsset(url: string, appBase: string): boolean {
  const root = new URL(OCR_ROOT_DIR, appBase).href;
  if (!url.startsWith(root)) return false; // not one of this app's OCR files
  return !url.startsWith(new URL(OCR_ASSET_DIR, appBase).href) && !url.startsWith(new URL(OCR_LANG_DIR, appBase).href);
}

/** Removes the outdated entries of the OCR cache; returns how many. Without Cache Storage (or on any failure): 0. */
export async function pruneOutdatedOcrAssets(appBase: string, storage: CacheStorage | undefined = globalThis.caches): Promise<number> {
  if (!storage) return 0;
  try {
    if (!(await storage.has(OCR_CACHE_NAME))) return 0;
    const cache = await storage.open(OCR_CACHE_NAME);
    let removed = 0;
    for (const req of await cache.keys()) {
      if (isOutdatedOcrAsset(req.url, appBase) && (await cache.delete(req))) removed++;
    }
    return removed;
  } catch {
    return 0; // storage refused: the files stay, nothing else is affected
  }
}
