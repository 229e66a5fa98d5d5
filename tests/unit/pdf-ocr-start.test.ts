// OCR that cannot start says so instead of waiting forever: tesseract.js reports a language file it cannot load
// only to its errorHandler (createWorker's promise never settles), so the recogniser fails the start itself;
// and the language data are checked before a worker is started (Node: the files; the browser check, a fetch
// through the service worker, is the same function over a URL and is exercised here against a local server).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TesseractRecogniser } from '../../src/pdf/ocr-engine';
import { browserLanguageDataCheck } from '../../src/pdf/ocr-browser';
import { createNodeRecogniser, nodeLanguageDataCheck, ocrPdf } from '../../src/pdf/ocr-node';
import type { OcrProgress } from '../../src/pdf/ocr-types';
import { buildScanPdf, scanText } from './pdf-ocr-helpers';
import { errorOf } from './pdf-helpers';

// A 1×1 white PNG: never recognised, the start fails first.
const PNG = new Uint8Array(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAG7buVgAAAABJRU5ErkJggg==', 'base64'));
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pdfchat-ocr-start-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('OCR that cannot start', () => {
  // (A corrupt file fails the same way, but tesseract.js 7 then also answers the failed job as resolved, which
  // throws inside its own message listener: not exercised here.)
  it('a language file that cannot be read fails with OCR_FAILED (it used to wait forever)', async () => {
    const r = new TesseractRecogniser(['eng'], { langPath: tempDir() }); // no data check: tesseract.js's own failure
    const err = await errorOf(r.recognise(PNG, { dpi: 300 }));
    expect(err).toMatchObject({ code: 'OCR_FAILED' });
    expect(String((err as Error).message)).toMatch(/could not start .*eng language data/);
    await r.dispose();
  }, 60_000);

  it('the Node recogniser checks its language files before it starts a worker', async () => {
    const dir = tempDir();
    expect(() => nodeLanguageDataCheck(dir, ['eng', 'chi_sim'])).toThrow(/language data for eng, chi_sim is missing/);
    writeFileSync(join(dir, 'eng.traineddata.gz'), 'x');
    expect(() => nodeLanguageDataCheck(dir, ['eng'])).not.toThrow();
    // The real one finds its files in node_modules (pdf-ocr.test.ts recognises with it).
    const r = createNodeRecogniser(['eng', 'chi_sim']);
    expect(r.languages).toEqual(['eng', 'chi_sim']);
    await r.dispose();
  }, 60_000);

  it('the browser check names the language that cannot be fetched (404 or no connection) and passes one that can', async () => {
    const server: Server = createServer((req, res) => {
      if (req.url === '/lang/eng.traineddata.gz') res.end('data');
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      await expect(browserLanguageDataCheck(`http://127.0.0.1:${port}/lang`, ['eng'])).resolves.toBeUndefined();
      const missing = await errorOf(browserLanguageDataCheck(`http://127.0.0.1:${port}/lang`, ['eng', 'chi_sim']));
      expect(missing).toMatchObject({ code: 'OCR_FAILED' });
      expect(String((missing as Error).message)).toMatch(/Chinese \(simplified\) \(chi_sim\) language data .* \(404\)/);
    } finally {
      await new Promise((r) => server.close(r));
    }
    const offline = await errorOf(browserLanguageDataCheck(`http://127.0.0.1:${port}/lang`, ['eng']));
    expect(offline).toMatchObject({ code: 'OCR_FAILED' });
    expect(String((offline as Error).message)).toMatch(/English \(eng\) language data .*connect once and try again/);
  }, 30_000);

  it('while the recogniser loads, progress moves from 0 to 1 (the core, then the language data) before recognition starts', async () => {
    const scan = scanText({ lines: ['Loading progress'], font: '"DejaVu Sans", sans-serif', sizePt: 12, dpi: 150, widthPt: 200, heightPt: 60 });
    const seen: OcrProgress[] = [];
    const r = createNodeRecogniser(['eng']); // a fresh one: its first recognition loads the worker
    try {
      await ocrPdf(buildScanPdf([{ scan }]), { languages: ['eng'], recogniser: r, onProgress: (p) => seen.push(p) });
    } finally {
      await r.dispose();
    }
    const loading = seen.filter((p) => p.stage === 'loading').map((p) => p.pageFraction);
    console.log(`[ocr] loading progress: ${loading.map((f) => f.toFixed(2)).join(' ')}`);
    expect(loading.length).toBeGreaterThan(1);
    expect(Math.max(...loading)).toBe(1);
    for (let i = 1; i < loading.length; i++) expect(loading[i]).toBeGreaterThanOrEqual(loading[i - 1]);
    expect(seen.findIndex((p) => p.stage === 'recognising')).toBeGreaterThan(seen.findLastIndex((p) => p.stage === 'loading'));
  }, 60_000);
});
