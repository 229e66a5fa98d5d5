// OCR that cannot start says so instead of waiting forever: tesseract.js reports a language file it cannot load
// only to its errorHandler (createWorker's promise never settles), so the recogniser fails the start itself;
// and the language data are checked before a worker is started (Node: the files; the browser check, a fetch
// through the service worker, is the same function over a URL and is exercised here against a local server).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TesseractRecogniser } from '../../src/pdf/ocr-engine';
import { browserLanguageDataCheck } from '../../src/pdf/ocr-browser';
import { createNodeRecogniser, nodeLanguageDataCheck, nodeTraineddataFile, ocrPdf } from '../../src/pdf/ocr-node';
import { traineddataProblem } from '../../src/pdf/traineddata-check';
import { isOcrStartFailure } from '../../src/pdf/ocr-engine';
import type { OcrProgress } from '../../src/pdf/ocr-types';
import { buildScanPdf, scanText } from './pdf-ocr-helpers';
import { errorOf } from './pdf-helpers';

const ENG = new Uint8Array(readFileSync(nodeTraineddataFile('eng')));
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
  it('a language file that cannot be read fails with OCR_FAILED (it used to wait forever)', async () => {
    const r = new TesseractRecogniser(['eng'], { langPath: tempDir() }); // no data check: tesseract.js's own failure
    const err = await errorOf(r.recognise(PNG, { dpi: 300 }));
    expect(err).toMatchObject({ code: 'OCR_FAILED' });
    expect(String((err as Error).message)).toMatch(/could not start .*eng language data/);
    await r.dispose();
  }, 60_000);

  it('a damaged language file fails the start with OCR_FAILED saying so, and no uncaught exception (tesseract.js would throw one)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'eng.traineddata.gz'), ENG.subarray(0, ENG.length - 1000));
    const r = new TesseractRecogniser(['eng'], { langPath: dir }, (languages) => nodeLanguageDataCheck(dir, languages));
    const err = await errorOf(r.recognise(PNG, { dpi: 300 }));
    expect(err).toMatchObject({ code: 'OCR_FAILED', details: { reason: 'LANGUAGE_DATA_DAMAGED', language: 'eng' } });
    expect(isOcrStartFailure(err)).toBe(true);
    expect(String((err as Error).message)).toMatch(/language data for eng \(.*eng\.traineddata\.gz\) is damaged: its compressed data is .*npm ci/);
    // The file put right, the same recogniser starts and reads.
    copyFileSync(nodeTraineddataFile('eng'), join(dir, 'eng.traineddata.gz'));
    const scan = scanText({ lines: ['Damaged data mended'], font: '"DejaVu Sans", sans-serif', sizePt: 12, dpi: 150, widthPt: 220, heightPt: 60 });
    const blocks = await r.recognise(scan.png, { dpi: 150 });
    expect(JSON.stringify(blocks)).toMatch(/mended/);
    await r.dispose();
  }, 60_000);

  it('the Node recogniser checks its language files before it starts a worker', async () => {
    const dir = tempDir();
    await expect(nodeLanguageDataCheck(dir, ['eng', 'chi_sim'])).rejects.toThrow(/language data for eng, chi_sim is missing/);
    copyFileSync(nodeTraineddataFile('eng'), join(dir, 'eng.traineddata.gz'));
    await expect(nodeLanguageDataCheck(dir, ['eng'])).resolves.toBeUndefined();
    // The real one finds its files in node_modules (pdf-ocr.test.ts recognises with it).
    const r = createNodeRecogniser(['eng', 'chi_sim']);
    expect(r.languages).toEqual(['eng', 'chi_sim']);
    await r.dispose();
  }, 60_000);

  it('the browser check names the language that cannot be fetched (404 or no connection) and passes one that can', async () => {
    const server: Server = createServer((req, res) => {
      if (req.url === '/lang/eng.traineddata.gz') res.end(ENG);
      else if (req.url === '/encoded/eng.traineddata.gz') res.writeHead(200, { 'content-encoding': 'gzip' }).end(ENG);
      else if (req.url === '/portal/eng.traineddata.gz') res.end('<!DOCTYPE html><html><body>Sign in to the Wi-Fi</body></html>');
      else if (req.url === '/cut/eng.traineddata.gz') res.end(ENG.subarray(0, ENG.length >> 1));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      await expect(browserLanguageDataCheck(`http://127.0.0.1:${port}/lang`, ['eng'])).resolves.toBeUndefined();
      // Served as Content-Encoding: gzip (as the app's own server does), fetch hands over the archive itself.
      await expect(browserLanguageDataCheck(`http://127.0.0.1:${port}/encoded`, ['eng'])).resolves.toBeUndefined();
      const missing = await errorOf(browserLanguageDataCheck(`http://127.0.0.1:${port}/lang`, ['eng', 'chi_sim']));
      expect(missing).toMatchObject({ code: 'OCR_FAILED' });
      expect(String((missing as Error).message)).toMatch(/Chinese \(simplified\) \(chi_sim\) language data .* \(404\)/);
      // A network login page answering with 200 in the file's place, and a download cut short: damaged, not kept.
      const portal = await errorOf(browserLanguageDataCheck(`http://127.0.0.1:${port}/portal`, ['eng']));
      expect(portal).toMatchObject({ code: 'OCR_FAILED', details: { reason: 'LANGUAGE_DATA_DAMAGED', language: 'eng' } });
      expect(String((portal as Error).message)).toMatch(/English \(eng\) language data .* is damaged: it is not a Tesseract language file .*it starts with "<!DOCTYPE html><html>.*check the connection and try again/);
      const cut = await errorOf(browserLanguageDataCheck(`http://127.0.0.1:${port}/cut`, ['eng']));
      expect(cut).toMatchObject({ code: 'OCR_FAILED', details: { reason: 'LANGUAGE_DATA_DAMAGED' } });
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

describe('language file check (traineddata-check.ts)', () => {
  const CHI = new Uint8Array(readFileSync(nodeTraineddataFile('chi_sim')));
  const raw = (entries: number, present: Record<number, number>, size: number) => {
    const b = new Uint8Array(size);
    const v = new DataView(b.buffer);
    v.setInt32(0, entries, true);
    for (let i = 0; i < entries; i++) v.setBigInt64(4 + 8 * i, BigInt(present[i] ?? -1), true);
    return b;
  };

  it('passes the shipped eng and chi_sim files', async () => {
    expect(await traineddataProblem(ENG)).toBeNull();
    expect(await traineddataProblem(CHI)).toBeNull();
  });

  it('names what is wrong with a damaged one', async () => {
    expect(await traineddataProblem(new Uint8Array())).toMatch(/not a Tesseract language file \(it is empty\)/);
    expect(await traineddataProblem(new TextEncoder().encode('Not Found'))).toMatch(/not a Tesseract language file .*it starts with "Not Found"/);
    // The archive itself (what a browser's fetch hands over when the file is served with Content-Encoding: gzip).
    expect(await traineddataProblem(gunzipSync(ENG))).toBeNull();
    expect(await traineddataProblem(gunzipSync(ENG).subarray(0, 3_000_000))).toMatch(/entry \d+ .* outside the file or backwards/);
    expect(await traineddataProblem(ENG.subarray(0, 100_000))).toMatch(/compressed data is (cut short|damaged)/);
    const flipped = ENG.slice();
    flipped[flipped.length >> 1]! ^= 0x10;
    expect(await traineddataProblem(flipped)).toMatch(/compressed data is (cut short|damaged)/);
    const trailer = ENG.slice();
    trailer[trailer.length - 1]! ^= 0x01; // the length in the trailer alone
    expect(await traineddataProblem(trailer)).toMatch(/compressed data is (cut short|damaged)/);
    expect(await traineddataProblem(gzipSync(Buffer.from('<html>login</html>')))).toMatch(/not a Tesseract language file .*it starts with "<html>login<\/html>"/);
    // A table of contents pointing past the end, or backwards; one without the LSTM entries (a legacy-only file).
    expect(await traineddataProblem(gzipSync(raw(24, { 17: 196, 21: 5000, 22: 300 }, 1000)))).toMatch(/entry 21 .* outside the file or backwards/);
    expect(await traineddataProblem(gzipSync(raw(24, { 17: 196, 21: 400, 22: 300 }, 1000)))).toMatch(/entry 22 .* outside the file or backwards/);
    expect(await traineddataProblem(gzipSync(raw(24, { 0: 196, 1: 300 }, 1000)))).toMatch(/no LSTM model, LSTM character set, LSTM recoder/);
    expect(await traineddataProblem(gzipSync(raw(24, { 17: 196, 21: 300, 22: 400 }, 1000)))).toBeNull();
  });
});
