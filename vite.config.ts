import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pdfjsAssets } from './scripts/vite-pdfjs-assets';
import { ortAssets } from './scripts/vite-ort-assets';
import { tesseractAssets } from './scripts/vite-tesseract-assets';
import { VitePWA } from 'vite-plugin-pwa';
import { buildCsp, hubOrigins } from './src/ui/csp-policy';
import { OCR_CACHE_NAME, OCR_ROOT_DIR } from './src/pdf/ocr-assets';

const root = fileURLToPath(new URL('.', import.meta.url));

// Content-Security-Policy as a <meta> tag in the built pages (not in the dev server, whose HMR needs inline
// scripts). connect-src: 'self' + the hub origins (src/ui/csp-policy.ts; PDFCHAT_HUB_ORIGINS adds mirrors).
const cspMeta = {
  name: 'pdfchat:csp',
  apply: 'build' as const,
  transformIndexHtml: () => [
    { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: buildCsp(hubOrigins(process.env.PDFCHAT_HUB_ORIGINS)) }, injectTo: 'head-prepend' as const },
  ],
};

// PWA: manifest + Workbox service worker precaching the app shell, pdf.js (worker, cMaps, standard fonts).
// Model weights are NOT precached: the model store keeps them in Cache Storage itself.
const pwa = VitePWA({
  // A new version waits until the user reloads (src/ui/register-sw.ts): never an unasked reload mid-download.
  registerType: 'prompt',
  injectRegister: false, // src/ui/register-sw.ts registers it (production builds only)
  includeAssets: ['icons/*.png'],
  manifest: {
    name: 'PDF Chat (local)',
    short_name: 'PDF Chat',
    description: 'Chat with your PDFs entirely on this device: pdf.js, retrieval and a 4-bit Llama on WebGPU.',
    display: 'standalone',
    start_url: '.',
    scope: '.',
    theme_color: '#2457c5',
    background_color: '#f6f7f9',
    icons: [
      { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
      { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
      { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ],
  },
  workbox: {
    globPatterns: ['**/*.{js,mjs,css,html,png,svg,webmanifest}', 'pdfjs/cmaps/*.bcmap', 'pdfjs/standard_fonts/*.{pfb,ttf}', 'pdfjs/wasm/*.wasm'],
    // OCR files (worker, ~4 MB wasm core, language data) are not precached: most users never need them.
    globIgnores: [`${OCR_ROOT_DIR}**`],
    maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
    navigateFallback: 'index.html',
    navigateFallbackDenylist: [/^\/selftest/],
    cleanupOutdatedCaches: true,
    // A first visit's worker takes over the open page at once, so it is already offline-capable. An update's
    // worker waits (no skipWaiting) until a tab's user clicks Reload (it then posts SKIP_WAITING).
    clientsClaim: true,
    // Hub downloads go through the model store, never the service worker. The one run-time cache: the OCR
    // files (scripts/vite-tesseract-assets.ts), stored on first use so text recognition then works offline.
    runtimeCaching: [
      {
        // Versioned URLs (src/pdf/ocr-assets.ts): CacheFirst never serves an old version to new code. The function
        // is copied into the service worker as source text, so it names OCR_ROOT_DIR's value ('tesseract/') itself.
        urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname.includes('/tesseract/'),
        handler: 'CacheFirst',
        options: { cacheName: OCR_CACHE_NAME, cacheableResponse: { statuses: [200] } },
      },
    ],
  },
});

// The same policy as an HTTP header from `vite preview` (what `npm start` serves): unlike the <meta> tag, a header
// also binds the Web Workers (engine, pdf.js, embedder), whose scripts take their policy from their own response.
const cspHeader = { 'Content-Security-Policy': buildCsp(hubOrigins(process.env.PDFCHAT_HUB_ORIGINS)) };

export default defineConfig({
  plugins: [react(), pdfjsAssets(), ortAssets(), tesseractAssets(), cspMeta, pwa],
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1', headers: cspHeader },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      // selftest.html: the GPU self-test page (kernels vs CPU twins on this browser's adapter).
      input: { main: resolve(root, 'index.html'), selftest: resolve(root, 'selftest.html') },
    },
  },
});
