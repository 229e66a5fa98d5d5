// Several Tesseract workers reading one document's pages at once (src/pdf/ocr.ts recognisePages with more than one
// recogniser; ocrPdf's `parallel`; ocr-parallelism.ts). Real recognisers on generated scans: every page is
// read by one of them, each once, in page order in the result; progress counts pages over; a Cancel ends every
// worker's page; a recogniser that cannot start ends the run (the other one starts no new page).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recognisePages } from '../../src/pdf/ocr';
import { TesseractRecogniser, type OcrRecogniser } from '../../src/pdf/ocr-engine';
import { createNodeRecogniser, nodeLanguageDataCheck, nodeRasteriser, ocrPdf } from '../../src/pdf/ocr-node';
import type { OcrPage, OcrProgress } from '../../src/pdf/ocr-types';
import { getPdfjsEnvironment } from '../../src/pdf/pdfjs-env';
import { ocrParallelism } from '../../src/pdf/ocr-parallelism';
import { errorOf } from './pdf-helpers';
import { buildScanPdf, scanText, wordRecall } from './pdf-ocr-helpers';

const LINES = [
  ['The first page tells of the harbour and its lighthouse keeper.', 'He logged the wind every evening at seven.'],
  ['The second page is about the ferry that crosses the bay.', 'It leaves the pier every hour until midnight.'],
  ['The third page lists the fishing boats and their owners.', 'Each boat must return before the storm warning.'],
  ['The fourth page describes the tides along the northern coast.', 'Spring tides rise higher than the neap tides.'],
];
const pdf = buildScanPdf(LINES.map((lines) => ({ scan: scanText({ lines, font: '"DejaVu Sans", sans-serif', sizePt: 12, dpi: 200, widthPt: 420, heightPt: 90 }) })));
const made: OcrRecogniser[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((r) => r.dispose()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** What happened, in order: each recogniser's calls by name, and the first 'recognising' progress. */
const log: string[] = [];

/** A real recogniser that counts its calls (and logs them under `name`). */
function recorded(r: OcrRecogniser = createNodeRecogniser(['eng']), name = 'r') {
  made.push(r);
  const calls: number[] = [];
  const wrapped: OcrRecogniser = {
    languages: r.languages,
    recognise: (image, opts) => (calls.push(calls.length + 1), log.push(name), r.recognise(image, opts)),
    dispose: () => r.dispose(),
  };
  return { recogniser: wrapped, calls };
}

async function run(recognisers: OcrRecogniser[], extra: { signal?: AbortSignal; onProgress?: (p: OcrProgress) => void; onPage?: (p: OcrPage) => void } = {}) {
  const env = await getPdfjsEnvironment();
  const task = env.lib.getDocument({ data: pdf.slice(), verbosity: env.lib.VerbosityLevel.ERRORS });
  try {
    const doc = await task.promise;
    return await recognisePages(doc, { pages: [1, 2, 3, 4], recognisers, rasterise: nodeRasteriser(doc), ops: env.lib.OPS, ...extra });
  } finally {
    await task.destroy();
  }
}

describe('OCR with several recognisers at once', () => {
  it('two recognisers read four pages: each page once, every page right, in page order; progress counts the pages over; the second starts once the first is working', async () => {
    const a = recorded(undefined, 'a');
    const b = recorded(undefined, 'b');
    const progress: OcrProgress[] = [];
    const seen: number[] = [];
    log.length = 0;
    const res = await run([a.recogniser, b.recogniser], {
      onProgress: (p) => {
        progress.push(p);
        if (p.stage === 'recognising' && !log.includes('recognising')) log.push('recognising');
      },
      onPage: (p) => seen.push(p.page),
    });
    // (So its language data come from the cache the first one filled: downloaded once, not once per worker.)
    expect(log.indexOf('a')).toBe(0);
    expect(log.indexOf('b')).toBeGreaterThan(log.indexOf('recognising'));
    expect(res.failed).toEqual([]);
    expect(res.pages.map((p) => p.page)).toEqual([1, 2, 3, 4]);
    res.pages.forEach((p, i) => expect(wordRecall(LINES[i].join(' '), p.text), `page ${p.page}`).toBeGreaterThanOrEqual(0.9));
    expect(a.calls.length + b.calls.length).toBe(4);
    expect(a.calls.length).toBeGreaterThanOrEqual(1);
    expect(b.calls.length).toBeGreaterThanOrEqual(1);
    expect([...seen].sort()).toEqual([1, 2, 3, 4]);
    const done = progress.filter((p) => p.stage === 'done');
    expect(done.map((p) => p.index)).toEqual([0, 1, 2, 3]);
    for (let i = 1; i < progress.length; i++) expect(progress[i].index).toBeGreaterThanOrEqual(progress[i - 1].index);
    expect(progress.every((p) => p.count === 4)).toBe(true);
  }, 120_000);

  it('a Cancel ends both workers mid-page, at once', async () => {
    const a = recorded();
    const b = recorded();
    const stop = new AbortController();
    let started = 0;
    const t0 = { at: 0 };
    const err = await errorOf(
      run([a.recogniser, b.recogniser], {
        signal: stop.signal,
        onProgress: (p) => {
          if (p.stage === 'recognising' && ++started === 1) {
            t0.at = performance.now();
            stop.abort();
          }
        },
      }),
    );
    expect(err).toMatchObject({ code: 'ABORTED' });
    expect(performance.now() - t0.at).toBeLessThan(5_000);
    expect(a.calls.length + b.calls.length).toBeLessThanOrEqual(2);
  }, 120_000);

  it('a recogniser that cannot start ends the run with its error; the other one starts no new page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdfchat-ocr-parallel-'));
    dirs.push(dir);
    const broken = recorded(new TesseractRecogniser(['eng'], { langPath: dir }, (languages) => nodeLanguageDataCheck(dir, languages)));
    const good = recorded();
    const err = await errorOf(run([good.recogniser, broken.recogniser]));
    expect(err).toMatchObject({ code: 'OCR_FAILED' });
    expect(String((err as Error).message)).toMatch(/eng/);
    expect(good.calls.length).toBeLessThanOrEqual(2);
  }, 120_000);

  it('ocrPdf with parallel 2 reads the same text as with one worker', async () => {
    const one = await ocrPdf(pdf, { languages: ['eng'] });
    const two = await ocrPdf(pdf, { languages: ['eng'], parallel: 2 });
    expect(two.pages.map((p) => p.text)).toEqual(one.pages.map((p) => p.text));
  }, 180_000);

  it('the app reads one page per core at once, at most 4, fewer with little memory', () => {
    expect(ocrParallelism(1, undefined)).toBe(1);
    expect(ocrParallelism(2, undefined)).toBe(2);
    expect(ocrParallelism(16, 8)).toBe(4);
    expect(ocrParallelism(8, 4)).toBe(2);
    expect(ocrParallelism(8, 2)).toBe(1);
    expect(ocrParallelism(0, undefined)).toBe(1);
  });
});
