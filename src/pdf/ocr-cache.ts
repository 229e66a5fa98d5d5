// Deletes OCR files of earlier app versions from the service worker's run-time cache (ocr-assets.ts: their
// URLs carry the package versions, so an update asks for new ones and the old ones — a 4 MB wasm core each, and
// the language data — would otherwise stay in the browser's storage for good). Called once at start.
// A language file whose own package version did not change (the folder was renamed because another language
// was added or updated) is moved to the current folder rather than deleted: OCR in that language keeps working
// offline after an update, without fetching megabytes again.
import { OCR_ASSET_DIR, OCR_CACHE_NAME, OCR_LANG_DIR, OCR_LANG_VERSIONS, OCR_ROOT_DIR, TESSERACT_LANG_FILES } from './ocr-assets';
import { OCR_LANGUAGES } from './ocr-types';

/** Whether `url` is an OCR file of the app at `appBase` that the current version no longer asks for. */
export function isOutdatedOcrAsset(url: string, appBase: string): boolean {
  const root = new URL(OCR_ROOT_DIR, appBase).href;
  if (!url.startsWith(root)) return false; // not one of this app's OCR files
  return !url.startsWith(new URL(OCR_ASSET_DIR, appBase).href) && !url.startsWith(new URL(OCR_LANG_DIR, appBase).href);
}

/**
 * Where an outdated language file belongs now: the current folder's URL when its folder names the same package
 * version of that language as the current one (`tesseract/lang/eng1.0.0-chi_sim1.0.0/eng.traineddata.gz` after
 * chi_tra joined), else null (another version of the data, or not a language file of a versioned folder).
 */
export function carriedOverLanguageFile(url: string, appBase: string): string | null {
  const langRoot = new URL(`${OCR_ROOT_DIR}lang/`, appBase).href;
  if (!url.startsWith(langRoot)) return null;
  const [folder, file, ...rest] = url.slice(langRoot.length).split('/');
  if (!folder || !file || rest.length > 0) return null;
  const lang = OCR_LANGUAGES.find((l) => TESSERACT_LANG_FILES[l] === file);
  if (!lang) return null;
  const had = folder.split('-').find((part) => part.startsWith(lang) && /^\d/.test(part.slice(lang.length)));
  if (had !== lang + OCR_LANG_VERSIONS[lang]) return null;
  const current = new URL(OCR_LANG_DIR + file, appBase).href;
  return current === url ? null : current;
}

/** The part of Cache that pruning uses (the browser's Cache has all of it). */
type PrunableCache = Pick<Cache, 'keys' | 'delete' | 'match' | 'put'>;

/**
 * Removes the outdated entries of the OCR cache, first moving unchanged language files to the current folder
 * (carriedOverLanguageFile); returns how many entries were removed. Without Cache Storage (or on any failure): 0.
 */
export async function pruneOutdatedOcrAssets(appBase: string, storage: CacheStorage | undefined = globalThis.caches): Promise<number> {
  if (!storage) return 0;
  try {
    if (!(await storage.has(OCR_CACHE_NAME))) return 0;
    const cache: PrunableCache = await storage.open(OCR_CACHE_NAME);
    let removed = 0;
    for (const req of await cache.keys()) {
      if (!isOutdatedOcrAsset(req.url, appBase)) continue;
      const moveTo = carriedOverLanguageFile(req.url, appBase);
      if (moveTo && !(await cache.match(moveTo))) {
        const old = await cache.match(req);
        if (old) await cache.put(moveTo, old);
      }
      if (await cache.delete(req)) removed++;
    }
    return removed;
  } catch {
    return 0; // storage refused: the files stay, nothing else is affected
  }
}
