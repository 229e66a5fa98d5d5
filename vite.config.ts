import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pdfjsAssets } from './scripts/vite-pdfjs-assets';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  plugins: [react(), pdfjsAssets()],
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
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
