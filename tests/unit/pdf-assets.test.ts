// The app serves pdf.js's cMaps and standard fonts itself (scripts/vite-pdfjs-assets.ts): a real Vite build
// and a real dev server over a throwaway one-page project.
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { build, createServer } from 'vite';
import { describe, expect, it } from 'vitest';
import { pdfjsAssets } from '../../scripts/vite-pdfjs-assets';
import { pdfjsDistDir } from '../../src/pdf/pdfjs-node';
import { makeTempDir } from '../temp-dir';

const cmapFile = 'UniGB-UCS2-H.bcmap';
const original = () => readFileSync(join(pdfjsDistDir(), 'cmaps', cmapFile));

function tinyProject(): string {
  const root = makeTempDir('pdfjs-assets-');
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title><p>t</p>');
  return root;
}

describe('pdf.js static assets served by the app', () => {
  it('vite build copies cMaps and standard fonts into the output (dist/pdfjs/...)', async () => {
    const root = tinyProject();
    await build({ configFile: false, root, logLevel: 'silent', plugins: [pdfjsAssets()], build: { outDir: join(root, 'dist') } });
    expect(readFileSync(join(root, 'dist/pdfjs/cmaps', cmapFile)).equals(original())).toBe(true);
    expect(existsSync(join(root, 'dist/pdfjs/standard_fonts/LiberationSans-Regular.ttf'))).toBe(true);
  }, 60_000);

  it('the dev server answers the same paths (and only files that exist there)', async () => {
    const server = await createServer({ configFile: false, root: tinyProject(), logLevel: 'silent', plugins: [pdfjsAssets()], server: { host: '127.0.0.1', port: 0 } });
    await server.listen();
    try {
      const { port } = server.httpServer!.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/pdfjs/cmaps/${cmapFile}`);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(original())).toBe(true);
      const traversal = await fetch(`http://127.0.0.1:${port}/pdfjs/cmaps/..%2Fpackage.json`);
      const body = await traversal.text();
      expect(body).not.toContain('"pdfjs-dist"');
    } finally {
      await server.close();
    }
  }, 60_000);
});
