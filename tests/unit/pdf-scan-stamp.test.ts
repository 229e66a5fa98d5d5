// Scans that carry a little text ("Scanned with CamScanner", a Bates number): real pdf.js on PDFs built here
// with images and text on the same page. Such a page is 'empty' (OCR reads it), its stamp is kept; a text
// page over a page-size background image, a slide title over a photo and a page with a logo stay 'ok'.
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { extractPdf } from '../../src/pdf/extract';
import { coverageOf } from '../../src/pdf/image-coverage';
import { mergeOcrPages, pagesNeedingOcr, withKeptText } from '../../src/pdf/ocr-merge';
import { createNodeRecogniser, ocrPdf } from '../../src/pdf/ocr-node';
import { bodyLines, errorOf, type TextLine } from './pdf-helpers';
import { scanText, wordRecall, type ScannedPage } from './pdf-ocr-helpers';

interface Placed {
  /** Lower-left corner and size on the page, points. */
  x: number;
  y: number;
  w: number;
  h: number;
  /** The image's pixels; a flat grey 4×4 image when absent (extraction never looks at pixels). */
  scan?: ScannedPage;
  /** Drawn through a form XObject whose matrix places it (instead of a cm in the page's content). */
  viaForm?: boolean;
}

interface MixedPage {
  widthPt?: number;
  heightPt?: number;
  images: Placed[];
  lines: TextLine[];
}

/** PDF 1.4 whose pages paint images (DeviceGray, Flate) first and then Helvetica text on top. */
function buildMixedPdf(pages: MixedPage[]): Uint8Array {
  const bodies: Buffer[][] = []; // bodies[i] is object i + 1
  const add = (...parts: Buffer[]) => bodies.push(parts);
  const reserve = () => add();
  const str = (s: string) => Buffer.from(s, 'latin1');
  const catalog = reserve();
  const pagesRoot = reserve();
  const font = add(str('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'));
  const kids: number[] = [];
  for (const page of pages) {
    const w = page.widthPt ?? 612;
    const h = page.heightPt ?? 792;
    const xobjects: string[] = [];
    const ops: string[] = [];
    page.images.forEach((im, i) => {
      const pw = im.scan?.pixelWidth ?? 4;
      const ph = im.scan?.pixelHeight ?? 4;
      const data = deflateSync(im.scan?.gray ?? new Uint8Array(16).fill(200));
      const image = add(str(`<< /Type /XObject /Subtype /Image /Width ${pw} /Height ${ph} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length ${data.length} >>\nstream\n`), data, str('\nendstream'));
      if (im.viaForm) {
        const inner = '/Im0 Do';
        const form = add(str(`<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Matrix [${im.w} 0 0 ${im.h} ${im.x} ${im.y}] /Resources << /XObject << /Im0 ${image} 0 R >> >> /Length ${inner.length} >>\nstream\n${inner}\nendstream`));
        xobjects.push(`/Fm${i} ${form} 0 R`);
        ops.push(`q /Fm${i} Do Q`);
      } else {
        xobjects.push(`/Im${i} ${image} 0 R`);
        ops.push(`q ${im.w} 0 0 ${im.h} ${im.x} ${im.y} cm /Im${i} Do Q`);
      }
    });
    for (const l of page.lines) ops.push(`BT /F1 ${l.size ?? 10} Tf 1 0 0 1 ${l.x} ${l.y} Tm (${l.text.replace(/[\\()]/g, (c) => '\\' + c)}) Tj ET`);
    const content = ops.join('\n');
    const contentId = add(str(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`));
    kids.push(add(str(`<< /Type /Page /Parent ${pagesRoot} 0 R /MediaBox [0 0 ${w} ${h}] /Resources << /Font << /F1 ${font} 0 R >> /XObject << ${xobjects.join(' ')} >> >> /Contents ${contentId} 0 R >>`)));
  }
  bodies[pagesRoot - 1] = [str(`<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`)];
  bodies[catalog - 1] = [str(`<< /Type /Catalog /Pages ${pagesRoot} 0 R >>`)];
  const chunks: Buffer[] = [str('%PDF-1.4\n%\xE2\xE3\xCF\xD3\n')];
  let length = chunks[0].length;
  const offsets: number[] = [];
  bodies.forEach((parts, i) => {
    offsets.push(length);
    const obj = Buffer.concat([str(`${i + 1} 0 obj\n`), ...parts, str('\nendobj\n')]);
    chunks.push(obj);
    length += obj.length;
  });
  const xref = `xref\n0 ${bodies.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  chunks.push(str(`${xref}trailer\n<< /Size ${bodies.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${length}\n%%EOF\n`));
  return new Uint8Array(Buffer.concat(chunks));
}

const FULL_PAGE: Placed = { x: 0, y: 0, w: 612, h: 792 };
const CAMSCANNER: TextLine = { x: 480, y: 12, text: 'Scanned with CamScanner', size: 6 };
const BODY = Array.from({ length: 48 }, (_, i) => `Line ${i + 1} of a typeset page that is set over a decorative background image, as brochures are.`);
const textPage = (text: string): MixedPage => ({ images: [], lines: bodyLines([text]) });

describe('a scanned page with a text stamp', () => {
  it('a full-page image with a 6 pt "Scanned with CamScanner" footer is empty and needs OCR; the stamp is kept', async () => {
    const r = await extractPdf(buildMixedPdf([textPage('A real page of text comes first.'), { images: [FULL_PAGE], lines: [CAMSCANNER] }]));
    expect(r.pages[1]).toMatchObject({ text: 'Scanned with CamScanner', quality: 'empty' });
    expect(pagesNeedingOcr(r, r.pageCount, { garbled: false })).toEqual([2]);
    expect(r.warnings.join(' ')).toMatch(/Page 2 looks like a scan .*Run OCR/);
    expect(r.warnings.join(' ')).not.toMatch(/no text layer/);
  });

  it('a scan whose every page has a stamp (Bates number, page number) is NO_TEXT, like any scan', async () => {
    const page = (n: number): MixedPage => ({ images: [FULL_PAGE], lines: [{ x: 500, y: 20, text: `ACME-00012${n}`, size: 10 }, { x: 290, y: 20, text: `Page ${n} of 3`, size: 9 }] });
    const err = await errorOf(extractPdf(buildMixedPdf([page(1), page(2), page(3)])));
    expect(err.code).toBe('NO_TEXT');
    expect(err.message).toMatch(/no text layer beyond a little text stamped on its pages/);
  });

  it('an A4 scan on a Letter page, a scan cut into strips, and one placed by a form XObject count as covering the page', async () => {
    const strips: Placed[] = Array.from({ length: 8 }, (_, i) => ({ x: 0, y: i * 99, w: 612, h: 99 }));
    const r = await extractPdf(
      buildMixedPdf([
        textPage('A real page of text comes first.'),
        { images: [{ x: 8.5, y: -25, w: 595, h: 842 }], lines: [CAMSCANNER] },
        { images: strips, lines: [CAMSCANNER] },
        { images: [{ ...FULL_PAGE, viaForm: true }], lines: [CAMSCANNER] },
      ]),
    );
    expect(r.pages.map((p) => p.quality)).toEqual(['ok', 'empty', 'empty', 'empty']);
    expect(r.warnings.join(' ')).toMatch(/Pages 2[-–]4 look like scans/);
  });
});

describe('pages with images that are not scans stay ok', () => {
  it('a full page of text over a page-size background image', async () => {
    const r = await extractPdf(buildMixedPdf([{ images: [FULL_PAGE], lines: bodyLines(BODY, 40, 760, 10) }]));
    expect(r.pages[0].quality).toBe('ok');
    expect(r.pages[0].text).toContain('Line 48 of a typeset page');
    expect(pagesNeedingOcr(r, r.pageCount, { garbled: true })).toEqual([]);
  });

  it('a slide: a 36 pt title over a full-bleed photo', async () => {
    const r = await extractPdf(buildMixedPdf([{ widthPt: 720, heightPt: 405, images: [{ x: 0, y: 0, w: 720, h: 405 }], lines: [{ x: 60, y: 300, text: 'Quarterly results', size: 36 }] }]));
    expect(r.pages[0]).toMatchObject({ text: 'Quarterly results', quality: 'ok' });
  });

  it('a small logo and a line of text', async () => {
    const r = await extractPdf(buildMixedPdf([{ images: [{ x: 40, y: 700, w: 120, h: 60 }], lines: [{ x: 180, y: 720, text: 'ACME Corp - Invoice 42', size: 10 }] }]));
    expect(r.pages[0]).toMatchObject({ text: 'ACME Corp - Invoice 42', quality: 'ok' });
    expect(r.warnings).toEqual([]);
  });

  it('a half-page photo with a small caption', async () => {
    const r = await extractPdf(buildMixedPdf([{ images: [{ x: 0, y: 396, w: 612, h: 396 }], lines: [{ x: 72, y: 380, text: 'Figure 1: the harbour at dawn.', size: 8 }] }]));
    expect(r.pages[0].quality).toBe('ok');
  });
});

describe('image coverage and kept text', () => {
  it('measures the union of image boxes clipped to the page', () => {
    const view = { x0: 0, y0: 0, x1: 100, y1: 100 };
    expect(coverageOf([{ x0: 0, y0: 0, x1: 100, y1: 100 }, { x0: 10, y0: 10, x1: 60, y1: 60 }], view)).toBeCloseTo(1);
    expect(coverageOf([{ x0: -50, y0: 0, x1: 50, y1: 100 }], view)).toBeCloseTo(0.5);
    expect(coverageOf([{ x0: 0, y0: 0, x1: 60, y1: 60 }, { x0: 40, y0: 40, x1: 100, y1: 100 }], view)).toBeCloseTo(0.36 + 0.36 - 0.04);
    expect(coverageOf([], view)).toBe(0);
  });

  it('keeps the lines of a stamp that OCR did not read, once', () => {
    expect(withKeptText('Dear Sir,\nScanned with CamScanner', 'Scanned with CamScanner')).toBe('Dear Sir,\nScanned with CamScanner');
    expect(withKeptText('Dear Sir,', 'ACME-000123\nScanned with CamScanner')).toBe('Dear Sir,\n\nACME-000123\nScanned with CamScanner');
    expect(withKeptText('', 'ACME-000123')).toBe('ACME-000123');
    expect(withKeptText('Dear Sir,', '')).toBe('Dear Sir,');
  });

  it('a recognised page keeps the stamp next to the OCR text', () => {
    const result = { pageCount: 1, warnings: [], pages: [{ page: 1, label: '1', text: 'ACME-000123', quality: 'empty' as const }] };
    const ocr = [{ page: 1, label: '1', text: 'The letter itself.', quality: 'ok' as const, source: 'ocr' as const, languages: ['eng' as const], confidence: 90, dpi: 200, width: 612, height: 792, words: [] }];
    const merged = mergeOcrPages(result, ocr, 1);
    expect(merged.pages[0]).toMatchObject({ text: 'The letter itself.\n\nACME-000123', quality: 'ok', source: 'ocr' });
  });
});

describe('extraction then OCR', () => {
  const recogniser = createNodeRecogniser(['eng']);
  afterAll(() => recogniser.dispose());

  it('the stamped scan of a mixed PDF is recognised and keeps its stamp', async () => {
    const LINES = ['The tenant shall pay the rent on the first day', 'of each month, by bank transfer to the account', 'that the landlord names in writing.'];
    const scan = scanText({ lines: LINES, font: '"DejaVu Serif", serif', sizePt: 12, dpi: 200, widthPt: 432, heightPt: 160 });
    const pdf = buildMixedPdf([
      { widthPt: 432, heightPt: 160, images: [], lines: [{ x: 36, y: 120, text: 'Cover letter: the lease is attached.', size: 12 }] },
      { widthPt: 432, heightPt: 160, images: [{ x: 0, y: 0, w: 432, h: 160, scan }], lines: [{ x: 340, y: 8, text: 'Scanned with CamScanner', size: 6 }] },
    ]);
    const r = await extractPdf(pdf);
    const wanted = pagesNeedingOcr(r, r.pageCount, { garbled: true });
    expect(wanted).toEqual([2]);
    const ocr = await ocrPdf(pdf, { languages: ['eng'], pages: wanted, recogniser });
    const merged = mergeOcrPages(r, ocr.pages, r.pageCount, ocr.failed);
    expect(merged.pages[0]).toMatchObject({ source: 'text', quality: 'ok' });
    expect(merged.pages[1]).toMatchObject({ source: 'ocr', quality: 'ok' });
    expect(wordRecall(LINES.join(' '), merged.pages[1].text)).toBeGreaterThan(0.9);
    // OCR reads the stamp itself here (so it is not added twice); had it missed it, the text layer's copy is added.
    expect(merged.pages[1].text.match(/Scanned with CamScanner/g)?.length ?? 0).toBe(1);
    expect(merged.warnings.join(' ')).toMatch(/Page 2 has text recognised by OCR/);
  }, 120_000);
});
