// Vite plugin: serve onnxruntime-web's wasm runtime from the app itself (never a CDN) so transformers.js
// embeddings work offline. Build: emits dist/ort/<file>. Dev: serves /ort/<file> from node_modules.
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';
import { ORT_ASSET_DIR, ORT_WASM_FILES } from '../src/retrieval/ort-assets';

function ortDistDir(): string {
  const require = createRequire(import.meta.url);
  // onnxruntime-web's package "exports" hide package.json; resolve its main entry and take its folder.
  return dirname(require.resolve('onnxruntime-web'));
}

export function ortAssets(): Plugin {
  const files = Object.values(ORT_WASM_FILES);
  return {
    name: 'pdfchat-ort-assets',
    configureServer(server) {
      const dist = ortDistDir();
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0];
        const prefix = `${server.config.base}${ORT_ASSET_DIR}/`;
        const name = url.startsWith(prefix) ? url.slice(prefix.length) : '';
        if (!files.includes(name as (typeof files)[number])) return next();
        res.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        createReadStream(join(dist, name)).pipe(res);
      });
    },
    generateBundle(_options, bundle) {
      // onnxruntime-web names its wasm with `new URL(…, import.meta.url)`, so Rollup also emits a hashed 27 MB copy
      // under assets/. It is never fetched (transformers.js is always given the ort/ paths: ort-assets.ts) nor
      // precached; it is left out of the build.
      for (const fileName of Object.keys(bundle)) if (/^assets\/ort-wasm[^/]*\.wasm$/.test(fileName)) delete bundle[fileName];
      const dist = ortDistDir();
      for (const name of files) {
        const path = join(dist, name);
        if (!existsSync(path)) this.error(`onnxruntime-web file ${path} is missing: run npm ci.`);
        this.emitFile({ type: 'asset', fileName: `${ORT_ASSET_DIR}/${name}`, source: readFileSync(path) });
      }
    },
  };
}
