// src/pdf on PDFs generated in memory: page labels, CJK through pdf.js cMaps, error codes, and scale
// (a 1,000-page document streams with progress and can be cancelled; 300 pages extract in seconds).
import { describe, expect, it } from 'vitest';
import { extractPdf, extractPdfWith } from '../../src/pdf/extract';
import { createNodePdfjsEnvironment } from '../../src/pdf/pdfjs-node';
import { bodyLines, buildPdf, errorOf, type PageSpec } from './pdf-helpers';


function manyPages(n: number, linesPerPage: number): PageSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    lines: bodyLines(Array.from({ length: linesPerPage }, (_, j) => `Page ${i + 1} line ${j + 1}: the quick brown fox jumps over the lazy dog.`)),
  }));
}

describe('page labels and metadata', () => {
  it('reports printed labels (roman front matter, decimal body, prefixed appendix) next to physical numbers', async () => {
    const pdf = buildPdf({
      title: 'Labelled Test Book',
      pages: Array.from({ length: 6 }, (_, i) => ({ lines: bodyLines([`Physical page ${i + 1}`]) })),
      pageLabels: [
        { from: 0, style: 'r' },
        { from: 3, style: 'D' },
        { from: 5, style: 'D', prefix: 'A-' },
      ],
    });
    const r = await extractPdf(pdf);
    expect(r.pages.map((p) => [p.page, p.label])).toEqual([
      [1, 'i'],
      [2, 'ii'],
      [3, 'iii'],
      [4, '1'],
      [5, '2'],
      [6, 'A-1'],
    ]);
    expect(r.pages[4].text).toBe('Physical page 5');
    expect(r.title).toBe('Labelled Test Book');
  });

  it('falls back to physical numbers when the PDF has no labels', async () => {
    const r = await extractPdf(buildPdf({ pages: manyPages(3, 1) }));
    expect(r.pages.map((p) => p.label)).toEqual(['1', '2', '3']);
  });
});

describe('CJK through pdf.js cMaps', () => {
  // Chinese drawn with the predefined CMap UniGB-UCS2-H and a non-embedded font: pdf.js needs the packed
  // cMap file to decode it (the shared fixture issue12823.pdf carries its own ToUnicode maps, so it cannot
  // show this dependency).
  const pdf = buildPdf({
    pages: [
      {
        lines: [
          { x: 72, y: 700, text: 'Latin line before', size: 12 },
          { x: 72, y: 670, text: '中文测试：描述团队的共同目标', size: 16, font: 'cjk' },
        ],
      },
    ],
  });

  it('extracts the Chinese text with the cMaps wired in', async () => {
    const r = await extractPdf(pdf);
    expect(r.pages[0].text).toContain('中文测试：描述团队的共同目标');
  });

  it('without cMaps the Chinese text is silently missing (so the cMap wiring is what makes it work)', async () => {
    const r = await extractPdfWith(await createNodePdfjsEnvironment({ cMaps: false }), pdf);
    expect(r.pages[0].text).toContain('Latin line before');
    expect(r.pages[0].text).not.toMatch(/\p{Script=Han}/u);
  });
});

describe('two columns through pdf.js', () => {
  it('does not interleave columns even when the content stream alternates between them', async () => {
    const lines = [];
    for (let i = 0; i < 10; i++) {
      lines.push({ x: 72, y: 700 - i * 12, text: `Left ${i} column text with several words in it` });
      lines.push({ x: 330, y: 700 - i * 12, text: `Right ${i} column text with several words in it` });
    }
    const r = await extractPdf(buildPdf({ pages: [{ lines }] }));
    const order = r.pages[0].text.split(/\n+/).map((l) => l.split(' ').slice(0, 2).join(' '));
    expect(order).toEqual([...Array.from({ length: 10 }, (_, i) => `Left ${i}`), ...Array.from({ length: 10 }, (_, i) => `Right ${i}`)]);
  });
});

describe('errors a user can act on', () => {
  it('NOT_PDF for a file without a PDF header, PDF_UNREADABLE for a broken one', async () => {
    expect((await errorOf(extractPdf(new TextEncoder().encode('name,value\nx,1\n')))).code).toBe('NOT_PDF');
    expect((await errorOf(extractPdf(new Uint8Array(0)))).code).toBe('NOT_PDF');
    const broken = await errorOf(extractPdf(new TextEncoder().encode('%PDF-1.4\nnot really a pdf\n%%EOF\n')));
    expect(broken.code).toBe('PDF_UNREADABLE');
    const truncated = buildPdf({ pages: manyPages(2, 3) }).subarray(0, 300);
    expect((await errorOf(extractPdf(truncated))).code).toBe('PDF_UNREADABLE');
  });

  // A page with no text layer that prints something (here a filled shape, as text turned into outlines): a scan
  // for extraction's purposes. (A page that prints nothing at all is blank: pdf-blank-pages.test.ts.)
  const drawnOnly = { lines: [], raw: '0 g 72 600 m 200 600 l 136 700 l h f' };

  it('NO_TEXT when no page has text, naming OCR', async () => {
    const err = await errorOf(extractPdf(buildPdf({ pages: [drawnOnly, drawnOnly] })));
    expect(err.code).toBe('NO_TEXT');
    expect(err.message).toMatch(/OCR/);
  });

  it('empty pages among text pages are flagged per page with a warning', async () => {
    const r = await extractPdf(buildPdf({ pages: [{ lines: bodyLines(['Some text']) }, drawnOnly] }));
    expect(r.pages.map((p) => p.quality)).toEqual(['ok', 'empty']);
    expect(r.warnings.join(' ')).toMatch(/Page 2 has no text layer/);
  });

  it('a damaged page tree: readable pages still come out, the broken page is reported', async () => {
    const pdf = buildPdf({ pages: [1, 2, 3].map((i) => ({ lines: bodyLines([`Page ${i} text`]) })) });
    const src = Buffer.from(pdf).toString('latin1');
    const kids = src.match(/\/Kids \[(\d+) 0 R (\d+) 0 R (\d+) 0 R\]/)!;
    // Point the second kid at an object that does not exist.
    const damaged = new Uint8Array(Buffer.from(src.replace(kids[0], `/Kids [${kids[1]} 0 R 999 0 R ${kids[3]} 0 R]`), 'latin1'));
    const r = await extractPdf(damaged);
    expect(r.pages[0]).toMatchObject({ page: 1, text: 'Page 1 text', quality: 'ok' });
    expect(r.pages[1]).toMatchObject({ page: 2, text: '', quality: 'empty' });
    expect(r.warnings.join(' ')).toMatch(/Page 2 could not be read/);
  });

  it('leaves the caller’s bytes intact (pdf.js may detach the buffer it is given)', async () => {
    const pdf = buildPdf({ pages: manyPages(1, 1) });
    const before = pdf.length;
    await extractPdf(pdf);
    expect(pdf.length).toBe(before);
    expect(pdf[0]).toBe(0x25); // '%'
  });
});

describe('scale: streaming, progress, cancellation', () => {
  it('a 1,000-page PDF streams page by page with progress and stops promptly when aborted', async () => {
    const pdf = buildPdf({ pages: manyPages(1000, 20) });
    const controller = new AbortController();
    const progress: Array<{ page: number; pageCount: number }> = [];
    const pages: number[] = [];
    let abortedAt = 0;
    const t0 = performance.now();
    const err = await errorOf(
      extractPdf(pdf, {
        signal: controller.signal,
        onPage: (p) => pages.push(p.page),
        onProgress: (p) => {
          progress.push(p);
          if (p.page === 40) {
            abortedAt = performance.now();
            controller.abort();
          }
        },
      }),
    );
    const stopMs = performance.now() - abortedAt;
    console.log(`1000-page PDF: 40 pages streamed in ${(abortedAt - t0).toFixed(0)} ms, aborted ${stopMs.toFixed(0)} ms after abort()`);
    expect(err.code).toBe('ABORTED');
    expect(progress[0]).toEqual({ page: 1, pageCount: 1000 });
    expect(progress.map((p) => p.page)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(pages).toEqual(Array.from({ length: 40 }, (_, i) => i + 1)); // not one page after abort()
  });

  it('an already-aborted signal rejects with ABORTED before any work', async () => {
    const controller = new AbortController();
    controller.abort();
    let called = false;
    const err = await errorOf(extractPdf(buildPdf({ pages: manyPages(2, 1) }), { signal: controller.signal, onProgress: () => (called = true) }));
    expect(err.code).toBe('ABORTED');
    expect(called).toBe(false);
  });

  it('300 pages extract completely, with progress (the time is printed, not asserted)', async () => {
    const pdf = buildPdf({ pages: manyPages(300, 30) });
    let last = 0;
    const t0 = performance.now();
    const r = await extractPdf(pdf, { onProgress: (p) => (last = p.page) });
    const ms = performance.now() - t0;
    console.log(`300 pages (30 lines each, ${(pdf.length / 1e6).toFixed(1)} MB): extracted in ${(ms / 1000).toFixed(2)} s (${(ms / 300).toFixed(1)} ms/page)`);
    expect(r.pages).toHaveLength(300);
    expect(last).toBe(300);
    expect(r.pages[299].text.split('\n')[29]).toBe('Page 300 line 30: the quick brown fox jumps over the lazy dog.');
  });
});
