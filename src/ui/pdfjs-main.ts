// pdf.js on the main thread for the page viewer: its worker script and data served by the app (offline).
import * as pdfjs from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.mjs?url';
import { PDFJS_CMAPS_PATH, PDFJS_STANDARD_FONTS_PATH, PDFJS_WASM_PATH } from '../pdf/asset-paths';

pdfjs.GlobalWorkerOptions.workerSrc = workerUrl;

export { pdfjs };

export function openPdf(data: Uint8Array, password?: string) {
  const base = new URL(import.meta.env.BASE_URL, location.href);
  return pdfjs.getDocument({
    data: data.slice(), // pdf.js transfers (detaches) the buffer it gets
    ...(password !== undefined ? { password } : {}),
    cMapUrl: new URL(PDFJS_CMAPS_PATH, base).href,
    cMapPacked: true,
    standardFontDataUrl: new URL(PDFJS_STANDARD_FONTS_PATH, base).href,
    // CCITT fax / JBIG2 / JPEG 2000 images (scans) are decoded by these; without them they render blank.
    wasmUrl: new URL(PDFJS_WASM_PATH, base).href,
    enableXfa: false,
  });
}

/** Whitespace-collapsed, lower-cased text for matching text-layer spans against a passage. */
export function normaliseForMatch(s: string): string {
  return s.normalize('NFKC').replace(/[\u00ad\u200b]/g, '').replace(/\s+/g, ' ').trim().toLowerCase();
}
