// Blank pages (a book-style manual's empty left-hand pages: octave.pdf has 24 of its 1,158) print nothing. pdf.js
// finds no text on them, like on a scan, but there is nothing for OCR to read: they are marked `blank`, OCR skips
// them, and no warning tells the user to run OCR for them. A page drawn only with paths (text turned into outlines)
// or only an image is not blank: OCR still reads it. Real pdf.js on PDFs written here.
import { describe, expect, it } from 'vitest';
import { extractPdf } from '../../src/pdf/extract';
import { mergeOcrPages, pagesNeedingOcr } from '../../src/pdf/ocr-merge';
import { paintsNothing } from '../../src/pdf/blank-page';
import type { OcrPage } from '../../src/pdf/ocr-types';
import { getPdfjsEnvironment } from '../../src/pdf/pdfjs-env';
import { bodyLines, buildPdf, errorOf } from './pdf-helpers';

const text = (s: string) => ({ lines: bodyLines([s]) });
// What a LaTeX blank page holds: a transform and colour settings, nothing painted.
const BLANK = { lines: [], raw: '1 0 0 1 72 720 cm 0 g 0 G' };
// A glyph turned into an outline: a filled path (what "convert text to curves" leaves), no text layer.
const OUTLINED = { lines: [], raw: '0 g 100 700 m 140 700 l 140 740 l 120 760 l 100 740 l h f 150 700 m 190 700 l 170 760 l h f' };
// A framed box (stroked rectangle) and nothing else: a form without its text, say.
const STROKED = { lines: [], raw: 'q 0.5 w 72 600 200 100 re S Q' };

describe('blank pages', () => {
  it('a page that prints nothing is blank: no OCR for it and no warning names it; pages drawn with paths still need OCR', async () => {
    const pdf = buildPdf({ pages: [text('Chapter one ends on this page.'), BLANK, OUTLINED, STROKED, { lines: [] }, text('Chapter two begins here.')] });
    const r = await extractPdf(pdf);
    expect(r.pages.map((p) => [p.quality, p.blank ?? false])).toEqual([
      ['ok', false],
      ['empty', true],
      ['empty', false],
      ['empty', false],
      ['empty', true],
      ['ok', false],
    ]);
    expect(pagesNeedingOcr(r, r.pageCount, { garbled: false })).toEqual([3, 4]);
    // Only the drawn pages are named; the blank ones are not.
    expect(r.warnings).toEqual(['Pages 3–4 have no text layer (images or blank pages). Run OCR on the PDF if they hold text.']);
  });

  it('once OCR has read the drawn pages, no "Run OCR" advice is left for the blank ones', async () => {
    const r = await extractPdf(buildPdf({ pages: [text('Before the blank page.'), BLANK, OUTLINED] }));
    const recognised: OcrPage = { page: 3, label: '3', text: 'AA', quality: 'ok', source: 'ocr', languages: ['eng'], confidence: 90, dpi: 300, width: 2550, height: 3300, words: [] };
    const merged = mergeOcrPages(r, [recognised], r.pageCount);
    expect(merged.pages.map((p) => [p.page, p.source, p.quality, p.blank ?? false])).toEqual([
      [1, 'text', 'ok', false],
      [2, 'text', 'empty', true],
      [3, 'ocr', 'ok', false],
    ]);
    expect(merged.warnings.filter((w) => /Run OCR/.test(w))).toEqual([]);
  });

  it('a PDF whose every page is blank fails with PDF_UNREADABLE saying so (not NO_TEXT: it is no scan, OCR would find nothing)', async () => {
    const err = await errorOf(extractPdf(buildPdf({ pages: [BLANK, { lines: [] }] })));
    expect(err).toMatchObject({ code: 'PDF_UNREADABLE' });
    expect(err.message).toMatch(/Every page of this PDF is blank/);
    // A scan among blank pages is still a scan (NO_TEXT: OCR reads it).
    const scanLike = await errorOf(extractPdf(buildPdf({ pages: [BLANK, OUTLINED] })));
    expect(scanLike).toMatchObject({ code: 'NO_TEXT' });
    // A blank page beside one that cannot be read is not "every page is blank".
    const pdf = Buffer.from(buildPdf({ pages: [BLANK, BLANK] })).toString('latin1');
    const kids = pdf.match(/\/Kids \[(\d+) 0 R (\d+) 0 R\]/)!;
    const damaged = new Uint8Array(Buffer.from(pdf.replace(kids[0], `/Kids [${kids[1]} 0 R 999 0 R]`), 'latin1'));
    const err2 = await errorOf(extractPdf(damaged));
    expect(err2.message).not.toMatch(/blank/);
  });

  it('paintsNothing: state-only operators are blank; any painting operator, or one it does not know, is not', async () => {
    const { OPS } = (await getPdfjsEnvironment()).lib;
    expect(paintsNothing([OPS.save, OPS.transform, OPS.setFillRGBColor, OPS.restore], OPS)).toBe(true);
    expect(paintsNothing([], OPS)).toBe(true);
    for (const op of [OPS.constructPath, OPS.fill, OPS.stroke, OPS.showText, OPS.paintImageXObject, OPS.shadingFill, OPS.paintInlineImageXObject]) {
      expect(paintsNothing([OPS.save, op, OPS.restore], OPS)).toBe(false);
    }
    expect(paintsNothing([OPS.save, 9999], OPS)).toBe(false);
  });
});
