// Blank pages (a book-style manual's empty left-hand pages: octave.pdf has 24 of its 1,158) print nothing. pdf.js
// finds no text on them, like on a scan, but there is nothing for OCR to read: they are marked `blank`, OCR skips
// them, and no warning tells the user to run OCR for them. A page drawn only with paths (text turned into outlines)
// or only an image is not blank: OCR still reads it. Real pdf.js on PDFs written here.
import { describe, expect, it } from 'vitest';
import { extractPdf } from '../../src/pdf/extract';
import { mergeOcrPages, pagesNeedingOcr } from '../../src/pdf/ocr-merge';
import { showsNothingOnPage } from '../../src/pdf/blank-page';
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
// A book sent to a printer (cnbook.pdf): the page a viewer shows is the CropBox; crop marks at its corners and a
// slug line above it are drawn beyond it, on every page, the blank ones too.
const TRIM: [number, number, number, number] = [72, 72, 540, 720];
const CROP_MARKS = 'q 0.4 w 60 72 m 48 72 l S 72 60 m 72 48 l S 552 72 m 564 72 l S 540 60 m 540 48 l S 60 720 m 48 720 l S 72 732 m 72 744 l S 552 720 m 564 720 l S 540 732 m 540 744 l S Q';
const SLUG = [{ x: 80, y: 750, text: 'Manual No 3 8 Nov 2003 14:20' }];
const PRINTERS_BLANK = { lines: SLUG, raw: CROP_MARKS, cropBox: TRIM };
// One-pixel grey inline image, drawn 20 pt square at (x, y).
const inlineImage = (x: number, y: number) => `q 20 0 0 20 ${x} ${y} cm BI /W 1 /H 1 /BPC 8 /CS /G ID \x80 EI Q`;

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

  it('state-only operators show nothing; any painting operator without a place, or one the list does not know, shows something', async () => {
    const { OPS } = (await getPdfjsEnvironment()).lib;
    const paintsNothing = (fnArray: number[]) => showsNothingOnPage({ fnArray, argsArray: fnArray.map(() => null) }, [0, 0, 612, 792], OPS, true);
    expect(paintsNothing([OPS.save, OPS.setFillRGBColor, OPS.restore])).toBe(true);
    expect(paintsNothing([])).toBe(true);
    for (const op of [OPS.constructPath, OPS.fill, OPS.stroke, OPS.showText, OPS.shadingFill]) {
      expect(paintsNothing([OPS.save, op, OPS.restore])).toBe(false);
    }
    expect(paintsNothing([OPS.save, 9999])).toBe(false);
  });

  it("a printer's blank page is blank: crop marks, a slug line and an image drawn only beyond the trimmed page show nothing", async () => {
    const outsideImage = { lines: [], raw: `${CROP_MARKS} ${inlineImage(20, 750)}`, cropBox: TRIM };
    // The same pages with one thing inside the trimmed page: a short rule, an image, a line of text.
    const markInside = { lines: SLUG, raw: `${CROP_MARKS} q 0.4 w 100 100 m 110 100 l S Q`, cropBox: TRIM };
    const imageInside = { lines: SLUG, raw: `${CROP_MARKS} ${inlineImage(300, 400)}`, cropBox: TRIM };
    const hairlineAtEdge = { lines: [], raw: 'q 0 w 72.5 300 m 72.5 310 l S Q', cropBox: TRIM };
    const pdf = buildPdf({
      pages: [{ lines: [...SLUG, ...bodyLines(['The chapter ends here.'], 100, 600)], raw: CROP_MARKS, cropBox: TRIM }, PRINTERS_BLANK, outsideImage, markInside, imageInside, hairlineAtEdge],
    });
    const r = await extractPdf(pdf);
    expect(r.pages.map((p) => [p.page, p.quality, p.blank ?? false])).toEqual([
      [1, 'ok', false],
      [2, 'empty', true],
      [3, 'empty', true],
      [4, 'empty', false],
      [5, 'empty', false],
      [6, 'empty', false],
    ]);
    expect(r.pages[0].text).not.toContain('Nov 2003');
    expect(pagesNeedingOcr(r, r.pageCount, { garbled: false })).toEqual([4, 5, 6]);
  });

  it('showsNothingOnPage: paths and images count by where they land; text only while pdf.js saw a glyph on the page; annotations and groups always', async () => {
    const { OPS } = (await getPdfjsEnvironment()).lib;
    const view = [0, 0, 100, 100];
    const path = (minMax: number[]) => [OPS.fill, [new Float32Array(0)], new Float32Array(minMax)];
    const list = (ops: [number, unknown][]) => ({ fnArray: ops.map((o) => o[0]), argsArray: ops.map((o) => o[1]) });
    const show = (ops: [number, unknown][], textInView = false) => showsNothingOnPage(list(ops), view, OPS, textInView);
    expect(show([[OPS.constructPath, path([120, 10, 130, 20])]])).toBe(true);
    expect(show([[OPS.constructPath, path([50, 10, 60, 20])]])).toBe(false);
    // Moved onto the page by the CTM, or off it; a restore undoes the move.
    expect(show([[OPS.transform, [1, 0, 0, 1, -100, 0]], [OPS.constructPath, path([120, 10, 130, 20])]])).toBe(false);
    expect(show([[OPS.save, null], [OPS.transform, [1, 0, 0, 1, 200, 0]], [OPS.restore, null], [OPS.constructPath, path([50, 10, 60, 20])]])).toBe(false);
    expect(show([[OPS.transform, [2, 0, 0, 2, 0, 0]], [OPS.constructPath, path([60, 10, 70, 20])]])).toBe(true);
    // A form XObject's matrix applies until its end.
    expect(show([[OPS.paintFormXObjectBegin, [[1, 0, 0, 1, 0, 0], null]], [OPS.paintFormXObjectEnd, null], [OPS.paintImageXObject, ['img', 1, 1]]])).toBe(false);
    expect(show([[OPS.paintFormXObjectBegin, [[10, 0, 0, 10, 0, 200], null]], [OPS.paintImageXObject, ['img', 1, 1]], [OPS.paintFormXObjectEnd, null]])).toBe(true);
    // A path pdf.js gives no extent for is painting.
    expect(show([[OPS.constructPath, [OPS.fill, [], null]]])).toBe(false);
    expect(show([[OPS.showText, [[]]]], false)).toBe(true);
    expect(show([[OPS.showText, [[]]]], true)).toBe(false);
    expect(show([[OPS.beginAnnotation, []], [OPS.constructPath, path([120, 10, 130, 20])], [OPS.endAnnotation, null]])).toBe(false);
    expect(show([[OPS.beginGroup, [{}]], [OPS.paintImageXObject, ['img', 1, 1]], [OPS.endGroup, null]])).toBe(false);
    expect(show([[OPS.beginAnnotation, []], [OPS.endAnnotation, null]])).toBe(true);
    expect(show([[OPS.shadingFill, ['sh']]])).toBe(false);
  });
});
