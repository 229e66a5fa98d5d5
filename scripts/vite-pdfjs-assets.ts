// Vite plugin: serves pdf.js's cMaps and standard font data from the app itself, so CJK PDFs and PDFs with
// non-embedded standard fonts extract offline (pdf.js would otherwise need a CDN, or return no CJK text).
// Dev server: answers <base>pdfjs/cmaps/* and <base>pdfjs/standard_fonts/* from node_modules/pdfjs-dist.
// Build: emits the same files into the output (dist/pdfjs/...). Nothing is copied into public/ or committed.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';
import { PDFJS_CMAPS_PATH, PDFJS_STANDARD_FONTS_PATH } from '../src/pdf/asset-paths';

interface AssetDir {
  /** URL path under the app's base, e.g. 'pdfjs/cmaps/'. */
  urlPath: string;
  dir: string;
  files: Set<string>;
}

function assetDirs(): AssetDir[] {
  const dist = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
  return [
    { urlPath: PDFJS_CMAPS_PATH, dir: join(dist, 'cmaps') },
    { urlPath: PDFJS_STANDARD_FONTS_PATH, dir: join(dist, 'standard_fonts') },
  ].map((d) => ({ ...d, files: new Set(readdirSync(d.dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name)) }));
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
          res.setHeader('Content-Type', 'application/octet-stream');
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
