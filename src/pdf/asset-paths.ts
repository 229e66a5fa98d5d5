// Where the app serves pdf.js's static data (relative to the app's base URL). The Vite plugin
// (scripts/vite-pdfjs-assets.ts) copies node_modules/pdfjs-dist/{cmaps,standard_fonts,wasm} to these paths in
// the dev server and the build output; the browser worker and the viewer point pdf.js at them. Never a CDN:
// CJK and scans must work offline.
export const PDFJS_CMAPS_PATH = 'pdfjs/cmaps/';
export const PDFJS_STANDARD_FONTS_PATH = 'pdfjs/standard_fonts/';
/**
 * pdf.js's image decoders compiled to wasm: jbig2.wasm decodes CCITT fax (G3/G4) and JBIG2 images — how most
 * black-and-white scans are stored — and openjpeg.wasm JPEG 2000; qcms_bg.wasm converts ICC colours. Without
 * them pdf.js paints those images as nothing (a scan renders white and OCR finds no text).
 */
export const PDFJS_WASM_PATH = 'pdfjs/wasm/';
/** The files of pdfjs-dist/wasm/ the app serves (not the no-wasm JavaScript fallbacks, nor QuickJS for scripting). */
export const PDFJS_WASM_FILES = ['jbig2.wasm', 'openjpeg.wasm', 'qcms_bg.wasm'] as const;
