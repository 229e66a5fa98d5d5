// Where the app serves pdf.js's static data (relative to the app's base URL). The Vite plugin
// (scripts/vite-pdfjs-assets.ts) copies node_modules/pdfjs-dist/{cmaps,standard_fonts} to these paths in the
// dev server and the build output; the browser worker points pdf.js at them. Never a CDN: CJK must work offline.
export const PDFJS_CMAPS_PATH = 'pdfjs/cmaps/';
export const PDFJS_STANDARD_FONTS_PATH = 'pdfjs/standard_fonts/';
