// Pages scanned sideways or upside down (the text turned inside the image, no /Rotate on the page): a page whose
// recognition looks wrong (mean word confidence below OCR_READABLE_CONFIDENCE) is recognised again turned 90°,
// 270° and 180°, the best reading is kept and its word boxes are mapped back into the upright page's frame; a
// page no orientation reads is kept with a warning. And one page whose recognition fails is skipped into
// `failed` (the worker is restarted), instead of failing the whole document. Real pdf.js, real Tesseract.
import { createCanvas } from '@napi-rs/canvas';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Tesseract from 'tesseract.js';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../src/shared/errors';
import { ocrWordStyle } from '../../src/ui/ocr-word-style';
import { extractPdf } from '../../src/pdf/extract';
import { recognisePages, type RecognisePagesResult } from '../../src/pdf/ocr';
import { TesseractRecogniser, type OcrRecogniser } from '../../src/pdf/ocr-engine';
import { mergeOcrPages, pagesNeedingOcr } from '../../src/pdf/ocr-merge';
import { createNodeRecogniser, nodeRasteriser } from '../../src/pdf/ocr-node';
import * as orientation from '../../src/pdf/ocr-orientation';
import type { OcrPage, OcrWord } from '../../src/pdf/ocr-types';
import { getPdfjsEnvironment } from '../../src/pdf/pdfjs-env';
import { errorOf } from './pdf-helpers';
import { OCR_SAMPLE_ENGLISH, buildScanPdf, noiseScan, scanText, turnedPoint, turnScan, wordRecall, type ScannedPage, type Turn } from './pdf-ocr-helpers';

const ENGLISH = OCR_SAMPLE_ENGLISH;
const FONT = '"DejaVu Serif", serif';
const SIZE = 11;
const upright = scanText({ lines: ENGLISH, font: FONT, sizePt: SIZE, dpi: 200, widthPt: 432, heightPt: 200 });

const eng = createNodeRecogniser(['eng']);
const dirs: string[] = [];
afterAll(async () => {
  await eng.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The real recogniser, counting its calls; `fail(call)` makes that call (1-based) fail with OCR_FAILED. */
function counting(fail?: (call: number) => boolean): OcrRecogniser & { calls: number } {
  const r = {
    calls: 0,
    languages: eng.languages,
    recognise(image: Uint8Array, opts: Parameters<OcrRecogniser['recognise']>[1]) {
      r.calls++;
      if (fail?.(r.calls)) return Promise.reject(new AppError('OCR_FAILED', 'Text recognition failed on this page (simulated).'));
      return eng.recognise(image, opts);
    },
    dispose: () => Promise.resolve(),
  };
  return r;
}

async function recognise(pdf: Uint8Array, recogniser: OcrRecogniser, pages?: number[]): Promise<RecognisePagesResult> {
  const env = await getPdfjsEnvironment();
  const task = env.lib.getDocument({ data: pdf, verbosity: env.lib.VerbosityLevel.ERRORS, cMapUrl: env.cMapUrl, cMapPacked: true, standardFontDataUrl: env.standardFontDataUrl, ...(env.wasmUrl !== undefined ? { wasmUrl: env.wasmUrl } : {}) });
  try {
    const doc = await task.promise;
    return await recognisePages(doc, { pages: pages ?? Array.from({ length: doc.numPages }, (_, i) => i + 1), recognisers: [recogniser], rasterise: nodeRasteriser(doc), ops: env.lib.OPS });
  } finally {
    await task.destroy();
  }
}

/** Width of a word as drawn by scanText, in points. */
function drawnWidth(word: string): number {
  const ctx = createCanvas(10, 10).getContext('2d');
  ctx.font = `${SIZE * 10}px ${FONT}`;
  return ctx.measureText(word).width / 10;
}

/**
 * The box the word `text` (starting at `x` points on line `line`) was drawn in on the upright scan, carried
 * onto the turned page: every corner turned, min/max.
 */
function drawnBox(scan: ScannedPage, turn: Turn, text: string, x: number, line: number) {
  const base = scan.baselinesPt[line];
  const corners = [
    turnedPoint(scan, turn, x, base - SIZE * 0.7),
    turnedPoint(scan, turn, x + drawnWidth(text), base),
  ];
  return { x0: Math.min(corners[0][0], corners[1][0]), y0: Math.min(corners[0][1], corners[1][1]), x1: Math.max(corners[0][0], corners[1][0]), y1: Math.max(corners[0][1], corners[1][1]) };
}

function expectBoxOver(word: OcrWord | undefined, drawn: ReturnType<typeof drawnBox>): void {
  expect(word, 'word found').toBeDefined();
  const w = word!;
  // The recognised box covers the middle of the drawn word, and its edges along the word are within 3 pt.
  const cx = (drawn.x0 + drawn.x1) / 2;
  const cy = (drawn.y0 + drawn.y1) / 2;
  expect(w.x0).toBeLessThan(cx);
  expect(w.x1).toBeGreaterThan(cx);
  expect(w.y0).toBeLessThan(cy);
  expect(w.y1).toBeGreaterThan(cy);
  const overlapX = Math.min(w.x1, drawn.x1) - Math.max(w.x0, drawn.x0);
  const overlapY = Math.min(w.y1, drawn.y1) - Math.max(w.y0, drawn.y0);
  const area = (drawn.x1 - drawn.x0) * (drawn.y1 - drawn.y0);
  expect((overlapX * overlapY) / area).toBeGreaterThan(0.6);
}

function report(name: string, page: OcrPage, recall: number, calls: number, ms: number): void {
  const extra = page as OcrPage & orientation.OcrPageOrientation;
  console.log(`[ocr-orientation] ${name}: recall ${recall.toFixed(3)}, mean confidence ${page.confidence}, ${page.words.length} words, turned ${extra.turned ?? 0}, doubtful ${Boolean(extra.doubtful)}, ${calls} recognitions, ${ms} ms`);
}

describe('choosing the orientation (no Tesseract)', () => {
  const reading = (words: Array<[string, number]>) => ({
    text: words.map((w) => w[0]).join(' '),
    words: words.map(([text, confidence]) => ({ text, confidence, x0: 0, y0: 0, x1: 1, y1: 1 })),
    confidence: words.length ? Math.round(words.reduce((s, w) => s + w[1], 0) / words.length) : 0,
  });
  const junk = reading([['oo', 40], ['SB', 45], ['5', 50], ['og', 48]]);
  const good = reading([['Optical', 95], ['character', 94], ['recognition', 96]]);
  const fatal = (e: unknown) => (e as AppError).code !== 'OCR_FAILED';

  it('stops at the first turn that reads well, and never retries a reading that looks right or found nothing', async () => {
    const tried: Turn[] = [];
    const read = (byTurn: Partial<Record<Turn, ReturnType<typeof reading>>>) => async (t: Turn) => (tried.push(t), byTurn[t] ?? junk);
    expect(await orientation.readBestOrientation(read({ 0: junk, 270: good }), fatal)).toMatchObject({ best: { turn: 270, text: good.text }, doubtful: false });
    expect(tried).toEqual([0, 90, 270]);
    tried.length = 0;
    expect(await orientation.readBestOrientation(read({ 0: good }), fatal)).toMatchObject({ best: { turn: 0 }, doubtful: false });
    expect(await orientation.readBestOrientation(read({ 0: reading([]) }), fatal)).toMatchObject({ best: { turn: 0 }, doubtful: false });
    expect(tried).toEqual([0, 0]);
  });

  it('a turn replaces the upright reading only when it reads well and reads more; otherwise upright stays, doubtful', async () => {
    // Upright: a poor page (mean 55) of many words; a turn finds two confident fragments (mean 92): upright stays.
    const poor = reading(Array.from({ length: 40 }, (_, i): [string, number] => [`word${i}`, 55]));
    const fragments = reading([['ll', 92], ['I', 92]]);
    expect(await orientation.readBestOrientation(async (t) => (t === 0 ? poor : fragments), fatal)).toMatchObject({ best: { turn: 0, text: poor.text }, doubtful: true });
    // A turn that reads more than the upright noise but not well (mean 50) is not taken either.
    const more = reading(Array.from({ length: 10 }, (_, i): [string, number] => [`longer${i}`, 50]));
    expect(await orientation.readBestOrientation(async (t) => (t === 0 ? junk : more), fatal)).toMatchObject({ best: { turn: 0, text: junk.text }, doubtful: true });
  });

  it('a turned rendering that fails is skipped; a turned recognition that fails ends the retries; a cancel propagates', async () => {
    const skipped = await orientation.readBestOrientation(async (t) => (t === 0 ? junk : t === 90 ? null : good), fatal);
    expect(skipped).toMatchObject({ best: { turn: 270 }, doubtful: false });
    const tried: Turn[] = [];
    const failing = await orientation.readBestOrientation(async (t) => {
      tried.push(t);
      if (t !== 0) throw new AppError('OCR_FAILED', 'failed');
      return junk;
    }, fatal);
    expect(failing).toMatchObject({ best: { turn: 0, text: junk.text }, doubtful: true });
    expect(tried).toEqual([0, 90]);
    const cancelled = await errorOf(orientation.readBestOrientation(async (t) => {
      if (t !== 0) throw new AppError('ABORTED', 'cancelled');
      return junk;
    }, fatal));
    expect(cancelled).toMatchObject({ code: 'ABORTED' });
  });

  it('warnings for several pages: one per kind, pages listed', () => {
    const p = (page: number, extra: orientation.OcrPageOrientation): OcrPage & orientation.OcrPageOrientation => ({ page, label: String(page), text: 'x', quality: 'ok', source: 'ocr', languages: ['eng'], confidence: 30, dpi: 200, width: 1, height: 1, words: [], ...extra });
    expect(orientation.ocrOrientationWarnings([p(1, {}), p(2, { turned: 90 }), p(3, { turned: 270 }), p(4, { turned: 180 }), p(5, { doubtful: true }), p(7, { doubtful: true })])).toEqual([
      'Pages 2–3 are scanned sideways: OCR read them turned 90° or 270°.',
      'Page 4 is scanned upside down: OCR read it turned 180°.',
      'Pages 5, 7 were read by OCR with low confidence in every orientation: they may be scanned sideways or upside down, be unreadable, or be in a language not chosen for OCR; check their text against the pages.',
    ]);
    // The document's warnings (app row, cli extract) carry them, with the failed pages' wording.
    const merged = mergeOcrPages(null, [p(1, { turned: 90 }), p(2, { doubtful: true })], 3, [3]);
    expect(merged.warnings).toContain('Page 1 is scanned sideways: OCR read it turned 90°.');
    expect(merged.warnings.some((w) => w.startsWith('Page 2 was read by OCR with low confidence'))).toBe(true);
    expect(merged.warnings).toContain('Page 3 could not be rendered or recognised by OCR (damaged page data, or the recogniser failed on it); the other pages are searchable.');
  });
});

describe('OCR of pages scanned sideways or upside down', () => {
  for (const turn of [90, 270, 180] as const) {
    it(`a scan whose text is turned ${turn}° inside the image is read (word recall >= 0.8) with boxes where the words are on the page`, async () => {
      const scan = turnScan(upright, turn);
      const r = counting();
      const t0 = Date.now();
      const { pages, failed } = await recognise(buildScanPdf([{ scan }]), r);
      const page = pages[0] as OcrPage & orientation.OcrPageOrientation;
      const recall = wordRecall(ENGLISH.join(' '), page.text);
      report(`turned ${turn}`, page, recall, r.calls, Date.now() - t0);
      expect(failed).toEqual([]);
      expect(recall).toBeGreaterThanOrEqual(0.8);
      expect(page).toMatchObject({ quality: 'ok', width: scan.widthPt, height: scan.heightPt });
      expect(page.confidence).toBeGreaterThanOrEqual(orientation.OCR_READABLE_CONFIDENCE);
      // Read with the page turned back: a scan turned 90° clockwise is read turned 270° clockwise.
      expect(page.turned).toBe(((360 - turn) % 360) as Turn);
      expect(page.doubtful).toBeUndefined();
      // Boxes in the upright page's frame (the one the viewer draws over): inside the page, over the words.
      for (const w of page.words) {
        expect(w.x0).toBeGreaterThanOrEqual(-0.5);
        expect(w.y0).toBeGreaterThanOrEqual(-0.5);
        expect(w.x1).toBeLessThanOrEqual(scan.widthPt + 0.5);
        expect(w.y1).toBeLessThanOrEqual(scan.heightPt + 0.5);
        expect(w.x1).toBeGreaterThan(w.x0);
        expect(w.y1).toBeGreaterThan(w.y0);
      }
      expectBoxOver(page.words.find((w) => w.text === 'Optical'), drawnBox(upright, turn, 'Optical', upright.marginPt, 0));
      const character = upright.marginPt + drawnWidth('Optical ');
      expectBoxOver(page.words.find((w) => w.text === 'character'), drawnBox(upright, turn, 'character', character, 0));
      expectBoxOver(page.words.find((w) => w.text === 'questions'), drawnBox(upright, turn, 'questions', upright.marginPt + drawnWidth('that '), 4));
      // Cost: the upright pass, then the turns tried in order until one reads — sideways text reads as fragments
      // and is tried 90, 270 (then 180); upside-down text reads as (wrong) words and is tried 180 only.
      const order = turn === 180 ? [180] : orientation.OCR_RETRY_TURNS;
      expect(r.calls).toBe(1 + order.indexOf(((360 - turn) % 360) as 90 | 180 | 270) + 1);
      expect(orientation.ocrOrientationWarnings(pages)).toEqual([`Page 1 is scanned ${turn === 180 ? 'upside down' : 'sideways'}: OCR read it turned ${(360 - turn) % 360}°.`]);
      // The viewer's selectable span over each word (ocr-word-style.ts) has a font the size of the line's, not of
      // the word's length (a sideways word's box is tall: sized from its height, "Optical" got ~3x the font).
      for (const w of page.words.filter((x) => x.text.length >= 5)) {
        const style = ocrWordStyle(w, 1, page.turned);
        expect(style.fontSize, w.text).toBeGreaterThan(SIZE * 0.4);
        expect(style.fontSize, w.text).toBeLessThan(SIZE * 1.5);
      }
    }, 180_000);
  }

  it('a page whose /Rotate turns its upright scan sideways is read turned back, boxes in the frame /Rotate applied', async () => {
    // The viewer (and the first OCR pass) show this page as /Rotate says: the text runs down the page, as on a
    // scan turned 90° clockwise. Read turned 270° more (= not at all), boxes mapped into the /Rotate 90 frame.
    const r = counting();
    const { pages } = await recognise(buildScanPdf([{ scan: upright, rotate: 90 }]), r);
    const page = pages[0] as OcrPage & orientation.OcrPageOrientation;
    report('/Rotate 90', page, wordRecall(ENGLISH.join(' '), page.text), r.calls, 0);
    expect(wordRecall(ENGLISH.join(' '), page.text)).toBeGreaterThanOrEqual(0.8);
    expect(page).toMatchObject({ width: upright.heightPt, height: upright.widthPt, turned: 270 });
    expectBoxOver(page.words.find((w) => w.text === 'Optical'), drawnBox(upright, 90, 'Optical', upright.marginPt, 0));
    expectBoxOver(page.words.find((w) => w.text === 'questions'), drawnBox(upright, 90, 'questions', upright.marginPt + drawnWidth('that '), 4));
  }, 180_000);

  it('an upright page is recognised once (no retry)', async () => {
    const r = counting();
    const { pages } = await recognise(buildScanPdf([{ scan: upright }]), r);
    expect(r.calls).toBe(1);
    expect(wordRecall(ENGLISH.join(' '), pages[0].text)).toBeGreaterThanOrEqual(0.9);
    expect((pages[0] as OcrPage & orientation.OcrPageOrientation).turned).toBeUndefined();
    expect(orientation.ocrOrientationWarnings(pages)).toEqual([]);
  }, 180_000);

  it('a page of noise is tried in every orientation, kept, and flagged with a warning; a blank page is recognised once', async () => {
    const r = counting();
    const t0 = Date.now();
    const blank = scanText({ lines: [], font: FONT, sizePt: SIZE, dpi: 150, widthPt: 300, heightPt: 200 });
    const { pages, failed } = await recognise(buildScanPdf([{ scan: noiseScan(300, 200, 150) }, { scan: blank }]), r);
    report('noise', pages[0], 0, r.calls, Date.now() - t0);
    expect(failed).toEqual([]);
    expect(pages).toHaveLength(2);
    const noise = pages[0] as OcrPage & orientation.OcrPageOrientation;
    expect(noise.doubtful).toBe(true);
    expect(noise.turned).toBeUndefined(); // the upright reading is kept
    expect(noise.confidence).toBeLessThan(orientation.OCR_READABLE_CONFIDENCE);
    // 4 for the noise (upright + 3 turns), 1 for the blank page (no words: nothing to retry).
    expect(r.calls).toBe(5);
    expect(pages[1]).toMatchObject({ quality: 'empty', words: [] });
    expect((pages[1] as OcrPage & orientation.OcrPageOrientation).doubtful).toBeUndefined();
    const warnings = orientation.ocrOrientationWarnings(pages);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Page 1 was read by OCR with low confidence in every orientation \(mean \d+ of 100\): it may be scanned sideways or upside down, be unreadable, or be in a language not chosen for OCR; check its text against the page\.$/);
  }, 180_000);
});

describe('a page whose recognition fails', () => {
  it('is skipped into `failed` like a page that cannot be rendered; the other pages, text pages included, are kept', async () => {
    const second = scanText({ lines: ['The second scanned page fails to be recognised.'], font: '"DejaVu Sans"', sizePt: 12, dpi: 200, widthPt: 400, heightPt: 60, marginPt: 12 });
    const third = scanText({ lines: ['The third scanned page is recognised again.'], font: '"DejaVu Sans"', sizePt: 12, dpi: 200, widthPt: 400, heightPt: 60, marginPt: 12 });
    const pdf = buildScanPdf([{ text: 'A page with a real text layer.' }, { scan: second }, { scan: third }]);
    const extracted = await extractPdf(pdf);
    const wanted = pagesNeedingOcr(extracted, extracted.pageCount, { garbled: false });
    expect(wanted).toEqual([2, 3]);
    const r = counting((call) => call === 1); // page 2's recognition
    const { pages, failed } = await recognise(pdf, r, wanted);
    expect(failed).toEqual([2]);
    expect(pages.map((p) => p.page)).toEqual([3]);
    expect(wordRecall('The third scanned page is recognised again.', pages[0].text)).toBeGreaterThanOrEqual(0.8);
    const merged = mergeOcrPages(extracted, pages, extracted.pageCount, failed);
    expect(merged.pages.map((p) => [p.source, p.quality])).toEqual([
      ['text', 'ok'],
      ['text', 'empty'],
      ['ocr', 'ok'],
    ]);
    expect(merged.warnings.some((w) => w.startsWith('Page 2 could not be'))).toBe(true);
  }, 180_000);

  it('TesseractRecogniser restarts its worker after a failed recognition (a crashed wasm is not reused)', async () => {
    const spy = vi.spyOn(Tesseract, 'createWorker');
    const r = createNodeRecogniser(['eng']);
    try {
      const ok = scanText({ lines: ['Recognition works after a failure.'], font: '"DejaVu Sans"', sizePt: 12, dpi: 200, widthPt: 300, heightPt: 60, marginPt: 12 });
      const before = await r.recognise(ok.png, { dpi: 200 });
      expect(before.length).toBeGreaterThan(0);
      expect(spy).toHaveBeenCalledTimes(1);
      const err = await errorOf(r.recognise(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5, 6, 7, 8]), { dpi: 200 }));
      expect(err).toMatchObject({ code: 'OCR_FAILED' });
      const after = await r.recognise(ok.png, { dpi: 200 });
      expect(after.length).toBeGreaterThan(0);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
      await r.dispose();
    }
  }, 120_000);

  it('a recogniser that cannot start still fails the whole run (no page could be recognised)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdfchat-ocr-orient-'));
    dirs.push(dir);
    const r = new TesseractRecogniser(['eng'], { langPath: dir });
    try {
      const err = await errorOf(recognise(buildScanPdf([{ scan: upright }, { scan: upright }]), r));
      expect(err).toMatchObject({ code: 'OCR_FAILED' });
      expect(String((err as Error).message)).toMatch(/could not start/);
    } finally {
      await r.dispose();
    }
  }, 60_000);
});
