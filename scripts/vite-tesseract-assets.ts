// Vite plugin: serve tesseract.js's worker, its LSTM wasm cores and the eng/chi_sim language data from the
// app itself (never a CDN), so OCR works offline once the service worker has them. Build: emits
// dist/tesseract/{worker.min.js, tesseract-core-*-lstm.wasm.js, lang/*.traineddata.gz}. Dev: serves the same
// URLs from node_modules. Nothing is copied into public/ or committed.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';
import { OCR_ASSET_DIR, OCR_LANG_DIR, TESSERACT_CORE_FILES, TESSERACT_LANG_FILES, TESSERACT_WORKER_FILE } from '../src/pdf/ocr-assets';

/** URL path under the app's base → file in node_modules. */
export function tesseractAssetFiles(): Map<string, string> {
  const require = createRequire(import.meta.url);
  const pkg = (name: string) => dirname(require.resolve(`${name}/package.json`));
  const files = new Map<string, string>();
  files.set(OCR_ASSET_DIR + TESSERACT_WORKER_FILE, join(pkg('tesseract.js'), 'dist', TESSERACT_WORKER_FILE));
  for (const core of TESSERACT_CORE_FILES) files.set(OCR_ASSET_DIR + core, join(pkg('tesseract.js-core'), core));
  for (const [lang, file] of Object.entries(TESSERACT_LANG_FILES)) files.set(OCR_LANG_DIR + file, join(pkg(`@tesseract.js-data/${lang}`), '4.0.0_best_int', file));
  return files;
}

function contentType(path: string): string {
  return path.endsWith('.js') ? 'text/javascript' : 'application/octet-stream';
}

export function tesseractAssets(): Plugin {
  let base = '/';
  return {
    name: 'pdfchat:tesseract-assets',
    configResolved(config) {
      base = config.base.endsWith('/') ? config.base : config.base + '/';
    },
    configureServer(server) {
      const files = tesseractAssetFiles();
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split('?')[0]);
        // Only the listed names: no path traversal.
        const file = path.startsWith(base) ? files.get(path.slice(base.length)) : undefined;
        if (!file) return next();
        res.setHeader('Content-Type', contentType(file));
        res.end(readFileSync(file));
      });
    },
    generateBundle() {
      for (const [url, file] of tesseractAssetFiles()) {
        if (!existsSync(file)) this.error(`tesseract file ${file} is missing: run npm ci.`);
        this.emitFile({ type: 'asset', fileName: url, source: readFileSync(file) });
      }
    },
  };
}
