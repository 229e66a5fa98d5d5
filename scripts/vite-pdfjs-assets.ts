// Vite plugin: serves pdf.js's cMaps, standard font data and image-decoder wasm from the app itself, so CJK PDFs,
// PDFs with non-embedded standard fonts and scans (CCITT fax, JBIG2, JPEG 2000 images) work offline (pdf.js
// would otherwise need a CDN, return no CJK text, or paint those images blank).
// Dev server: answers <base>pdfjs/{cmaps,standard_fonts,wasm}/* from node_modules/pdfjs-dist.
// Build: emits the same files into the output (dist/pdfjs/...). Nothing is copied into public/ or committed.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';
import { PDFJS_CMAPS_PATH, PDFJS_STANDARD_FONTS_PATH, PDFJS_WASM_FILES, PDFJS_WASM_PATH } from '../src/pdf/asset-paths';

interface AssetDir {
  /** URL path under the app's base, e.g. 'pdfjs/cmaps/'. */
  urlPath: string;
  dir: string;
  files: Set<string>;
}

function assetDirs(): AssetDir[] {
  const dist = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
  const filesOf = (dir: string) => new Set(readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name));
  return [
    { urlPath: PDFJS_CMAPS_PATH, dir: join(dist, 'cmaps'), files: filesOf(join(dist, 'cmaps')) },
    { urlPath: PDFJS_STANDARD_FONTS_PATH, dir: join(dist, 'standard_fonts'), files: filesOf(join(dist, 'standard_fonts')) },
    { urlPath: PDFJS_WASM_PATH, dir: join(dist, 'wasm'), files: new Set<string>(PDFJS_WASM_FILES) },
  ];
}

export function pdfjsAssets(): Plugin {
  let base = '/';
  return {
    name: 'pdfchat:pdfjs-assets',
    configResolved(config) {
      base = config.base.endsWith('/') ? config.base : config.base + '/';
    },
    configureServer(server) {
      const dirs = assetDirs();
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split('?')[0]);
        for (const d of dirs) {
          const prefix = base + d.urlPath;
          if (!path.startsWith(prefix)) continue;
          const name = path.slice(prefix.length);
          // Only names that exist in the folder: no path traversal.
          if (!d.files.has(name)) break;
          res.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream');
          res.setHeader('Cache-Control', 'max-age=3600');
          res.end(readFileSync(join(d.dir, name)));
          return;
        }
        next();
      });
    },
    generateBundle() {
      for (const d of assetDirs()) {
        for (const name of d.files) {
          this.emitFile({ type: 'asset', fileName: d.urlPath + name, source: readFileSync(join(d.dir, name)) });
        }
      }
    },
  };
}
