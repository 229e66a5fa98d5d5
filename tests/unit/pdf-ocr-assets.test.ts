// The app serves tesseract.js's worker, LSTM wasm cores and language data itself
// (scripts/vite-tesseract-assets.ts): a real Vite build and a real dev server over a throwaway project, and
// the URLs the browser recogniser is given all stay on the app's origin.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { build, createServer } from 'vite';
import { describe, expect, it } from 'vitest';
import { tesseractAssetFiles, tesseractAssets } from '../../scripts/vite-tesseract-assets';
import { OCR_ASSET_DIR, OCR_LANG_DIR, tesseractBrowserPaths } from '../../src/pdf/ocr-assets';
import { nodeTraineddataFile } from '../../src/pdf/ocr-node';
import { makeTempDir } from '../temp-dir';

function tinyProject(): string {
  const root = makeTempDir('ocr-assets-');
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title><p>t</p>');
  return root;
}

describe('tesseract.js files served by the app', () => {
  it('lists the worker, the three LSTM cores and the three languages, all present in node_modules', () => {
    const files = tesseractAssetFiles();
    expect([...files.keys()].sort()).toEqual([
      `${OCR_LANG_DIR}chi_sim.traineddata.gz`,
      `${OCR_LANG_DIR}chi_tra.traineddata.gz`,
      `${OCR_LANG_DIR}eng.traineddata.gz`,
      `${OCR_ASSET_DIR}tesseract-core-lstm.wasm.js`,
      `${OCR_ASSET_DIR}tesseract-core-relaxedsimd-lstm.wasm.js`,
      `${OCR_ASSET_DIR}tesseract-core-simd-lstm.wasm.js`,
      `${OCR_ASSET_DIR}worker.min.js`,
    ].sort());
    for (const file of files.values()) expect(existsSync(file)).toBe(true);
    // The same LSTM-only "best_int" data the Node path reads.
    expect(files.get(`${OCR_LANG_DIR}eng.traineddata.gz`)).toBe(nodeTraineddataFile('eng'));
  });

  it('vite build copies them into the output (dist/tesseract/...), byte for byte', async () => {
    const root = tinyProject();
    await build({ configFile: false, root, logLevel: 'silent', plugins: [tesseractAssets()], build: { outDir: join(root, 'dist') } });
    for (const [url, file] of tesseractAssetFiles()) expect(readFileSync(join(root, 'dist', url)).equals(readFileSync(file))).toBe(true);
  }, 60_000);

  it('the dev server answers the same paths, as scripts and bytes, and nothing else', async () => {
    const server = await createServer({ configFile: false, root: tinyProject(), logLevel: 'silent', plugins: [tesseractAssets()], server: { host: '127.0.0.1', port: 0 } });
    await server.listen();
    try {
      const { port } = server.httpServer!.address() as AddressInfo;
      const worker = await fetch(`http://127.0.0.1:${port}/${OCR_ASSET_DIR}worker.min.js`);
      expect(worker.status).toBe(200);
      expect(worker.headers.get('content-type')).toBe('text/javascript');
      const lang = await fetch(`http://127.0.0.1:${port}/${OCR_LANG_DIR}eng.traineddata.gz`);
      expect(lang.headers.get('content-type')).toBe('application/octet-stream');
      expect(Buffer.from(await lang.arrayBuffer()).equals(readFileSync(nodeTraineddataFile('eng')))).toBe(true);
      const traversal = await fetch(`http://127.0.0.1:${port}/${OCR_ASSET_DIR}..%2F..%2Fpackage.json`);
      expect(await traversal.text()).not.toContain('"tesseract.js"');
    } finally {
      await server.close();
    }
  }, 60_000);

  it('gives the browser recogniser same-origin URLs and no blob: worker', () => {
    const paths = tesseractBrowserPaths('https://app.example/pdfchat/');
    expect(paths).toEqual({
      workerPath: `https://app.example/pdfchat/${OCR_ASSET_DIR}worker.min.js`,
      corePath: `https://app.example/pdfchat/${OCR_ASSET_DIR}`.replace(/\/$/, ''),
      langPath: `https://app.example/pdfchat/${OCR_LANG_DIR}`.replace(/\/$/, ''),
      workerBlobURL: false,
    });
  });
});
