// Test documents for OCR: text drawn into pixels with @napi-rs/canvas (Skia; the canvas pdf.js itself uses in
// Node, installed with pdfjs-dist) using the system fonts (DejaVu, and WenQuanYi Zen Hei for Chinese, which
// scripts/setup-system.sh installs), then packed as full-page grey images (Flate) into an image-only PDF: no
// text layer, like a scan. Also the recall measures the OCR tests assert on.
import { createCanvas } from '@napi-rs/canvas';
import { deflateSync } from 'node:zlib';

export interface ScanSpec {
  lines: string[];
  /** CSS font family list. */
  font: string;
  /** Font size in points. */
  sizePt: number;
  dpi: number;
  /** Page size in points (1/72 in). */
  widthPt: number;
  heightPt: number;
  /** Rotates the text block about the page centre by this many degrees (a scan fed in slightly askew). */
  rotateDeg?: number;
  /** Left margin and first baseline, points. */
  marginPt?: number;
}

export interface ScannedPage {
  widthPt: number;
  heightPt: number;
  pixelWidth: number;
  pixelHeight: number;
  /** 8-bit grey, row-major, top row first. */
  gray: Uint8Array;
  /** The same pixels as a PNG file (for handing to a recogniser directly). */
  png: Uint8Array;
  /** Baseline of each line in page points from the top (before rotation). */
  baselinesPt: number[];
  marginPt: number;
}

export function lineGapPt(sizePt: number): number {
  return sizePt * 1.6;
}

/** Draws the lines black on white at `dpi`, as a scanner would deliver them. */
export function scanText(spec: ScanSpec): ScannedPage {
  const px = spec.dpi / 72;
  const w = Math.round(spec.widthPt * px);
  const h = Math.round(spec.heightPt * px);
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, w, h);
  if (spec.rotateDeg) {
    ctx.translate(w / 2, h / 2);
    ctx.rotate((spec.rotateDeg * Math.PI) / 180);
    ctx.translate(-w / 2, -h / 2);
  }
  ctx.fillStyle = '#000000';
  ctx.font = `${spec.sizePt * px}px ${spec.font}`;
  const margin = spec.marginPt ?? 36;
  const baselinesPt: number[] = [];
  spec.lines.forEach((line, i) => {
    const y = margin + spec.sizePt + i * lineGapPt(spec.sizePt);
    baselinesPt.push(y);
    ctx.fillText(line, margin * px, y * px);
  });
  const rgba = ctx.getImageData(0, 0, w, h).data;
  const gray = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) gray[i] = Math.round(0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]);
  const png = new Uint8Array(canvas.toBuffer('image/png'));
  return { widthPt: spec.widthPt, heightPt: spec.heightPt, pixelWidth: w, pixelHeight: h, gray, png, baselinesPt, marginPt: margin };
}

/** A page of the test PDF: a scanned image, or one line of real (Helvetica) text. */
export type TestPage =
  | { scan: ScannedPage; /** The page's /Rotate (degrees clockwise). */ rotate?: number }
  | { text: string; widthPt?: number; heightPt?: number; /** Chinese text (STSong-Light, UniGB-UCS2-H) instead of Helvetica. */ cjk?: boolean };

/** An uncompressed-structure PDF 1.4 whose scan pages are one Flate-compressed DeviceGray image each. */
export function buildScanPdf(pages: TestPage[]): Uint8Array {
  const chunks: Buffer[] = [];
  const offsets: number[] = [];
  let length = 0;
  const push = (b: Buffer) => {
    chunks.push(b);
    length += b.length;
  };
  let next = 3; // 1 = catalog, 2 = pages, 3 = font
  const pageIds: number[] = [];
  const bodies: Array<{ id: number; parts: Buffer[] }> = [];
  const font = 3;
  bodies.push({ id: font, parts: [Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>')] });
  const [cjkDescriptor, cjkDescendant, cjkFont] = [++next, ++next, ++next];
  bodies.push({ id: cjkDescriptor, parts: [Buffer.from('<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>')] });
  bodies.push({ id: cjkDescendant, parts: [Buffer.from(`<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor ${cjkDescriptor} 0 R /DW 1000 >>`)] });
  bodies.push({ id: cjkFont, parts: [Buffer.from(`<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [${cjkDescendant} 0 R] >>`)] });
  for (const page of pages) {
    const pageId = ++next;
    const contentId = ++next;
    pageIds.push(pageId);
    if ('scan' in page) {
      const s = page.scan;
      const imageId = ++next;
      const data = deflateSync(s.gray);
      bodies.push({
        id: imageId,
        parts: [Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${s.pixelWidth} /Height ${s.pixelHeight} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length ${data.length} >>\nstream\n`, 'latin1'), data, Buffer.from('\nendstream')],
      });
      const ops = `q ${s.widthPt} 0 0 ${s.heightPt} 0 0 cm /Im0 Do Q`;
      bodies.push({ id: contentId, parts: [Buffer.from(`<< /Length ${ops.length} >>\nstream\n${ops}\nendstream`)] });
      bodies.push({ id: pageId, parts: [Buffer.from(`<< /Type /Page /Parent 2 0 R${page.rotate ? ` /Rotate ${page.rotate}` : ''} /MediaBox [0 0 ${s.widthPt} ${s.heightPt}] /Resources << /XObject << /Im0 ${imageId} 0 R >> >> /Contents ${contentId} 0 R >>`)] });
    } else {
      const w = page.widthPt ?? 432;
      const h = page.heightPt ?? 288;
      const shown = page.cjk
        ? `<${[...page.text].map((ch) => ch.codePointAt(0)!.toString(16).padStart(4, '0')).join('')}>`
        : `(${page.text.replace(/[\\()]/g, (c) => '\\' + c)})`;
      const ops = `BT /${page.cjk ? 'F2' : 'F1'} 12 Tf 1 0 0 1 36 ${h - 48} Tm ${shown} Tj ET`;
      bodies.push({ id: contentId, parts: [Buffer.from(`<< /Length ${Buffer.byteLength(ops, 'latin1')} >>\nstream\n${ops}\nendstream`, 'latin1')] });
      bodies.push({ id: pageId, parts: [Buffer.from(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} ${h}] /Resources << /Font << /F1 ${font} 0 R /F2 ${cjkFont} 0 R >> >> /Contents ${contentId} 0 R >>`)] });
    }
  }
  bodies.push({ id: 1, parts: [Buffer.from('<< /Type /Catalog /Pages 2 0 R >>')] });
  bodies.push({ id: 2, parts: [Buffer.from(`<< /Type /Pages /Kids [${pageIds.map((p) => `${p} 0 R`).join(' ')}] /Count ${pageIds.length} >>`)] });

  push(Buffer.from('%PDF-1.4\n%\xE2\xE3\xCF\xD3\n', 'latin1'));
  for (const b of bodies.sort((a, b) => a.id - b.id)) {
    offsets[b.id] = length;
    push(Buffer.from(`${b.id} 0 obj\n`));
    for (const p of b.parts) push(p);
    push(Buffer.from('\nendobj\n'));
  }
  const xrefAt = length;
  let xref = `xref\n0 ${next + 1}\n0000000000 65535 f \n`;
  for (let id = 1; id <= next; id++) xref += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  push(Buffer.from(`${xref}trailer\n<< /Size ${next + 1} /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`));
  return new Uint8Array(Buffer.concat(chunks));
}

/** Lower-cased words (letters/digits, apostrophes inside words) of a text. */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu) ?? [];
}

/** Share of the reference's items found in the recognised ones, each item matched at most once. */
export function multisetRecall(reference: string[], recognised: string[]): number {
  const pool = new Map<string, number>();
  for (const r of recognised) pool.set(r, (pool.get(r) ?? 0) + 1);
  let hit = 0;
  for (const r of reference) {
    const n = pool.get(r) ?? 0;
    if (n > 0) {
      hit++;
      pool.set(r, n - 1);
    }
  }
  return reference.length ? hit / reference.length : 1;
}

export function wordRecall(reference: string, recognised: string): number {
  return multisetRecall(wordsOf(reference), wordsOf(recognised));
}

/** Han characters of a text. */
export function hanOf(text: string): string[] {
  return [...text].filter((c) => /\p{Script=Han}/u.test(c));
}

export function charRecall(reference: string, recognised: string): number {
  return multisetRecall(hanOf(reference), hanOf(recognised));
}

/** A quarter turn count: the scan turned clockwise by this many degrees. */
export type Turn = 0 | 90 | 180 | 270;

/**
 * The scan turned clockwise by `deg` inside the image (a page fed into the scanner sideways or upside down; the
 * PDF page has no /Rotate): pixels and page size turned. Use turnedPoint to find where a point of the original
 * (upright) scan lies on the turned page.
 */
export function turnScan(scan: ScannedPage, deg: Turn): ScannedPage {
  const { pixelWidth: w, pixelHeight: h, gray } = scan;
  const quarter = deg === 90 || deg === 270;
  const tw = quarter ? h : w;
  const th = quarter ? w : h;
  const out = new Uint8Array(tw * th);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [tx, ty] = deg === 90 ? [h - 1 - y, x] : deg === 180 ? [w - 1 - x, h - 1 - y] : deg === 270 ? [y, w - 1 - x] : [x, y];
      out[ty * tw + tx] = gray[y * w + x];
    }
  }
  return {
    ...scan,
    widthPt: quarter ? scan.heightPt : scan.widthPt,
    heightPt: quarter ? scan.widthPt : scan.heightPt,
    pixelWidth: tw,
    pixelHeight: th,
    gray: out,
    png: grayPng(out, tw, th),
  };
}

/** A grey image (one byte per pixel, row-major) as PNG bytes. */
function grayPng(gray: Uint8Array, w: number, h: number): Uint8Array {
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = gray[i];
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return new Uint8Array(canvas.toBuffer('image/png'));
}

/** Where the point (x, y) of the upright scan (points, y down) lies on the page of turnScan(scan, deg). */
export function turnedPoint(scan: ScannedPage, deg: Turn, x: number, y: number): [number, number] {
  const { widthPt: w, heightPt: h } = scan;
  if (deg === 90) return [h - y, x];
  if (deg === 180) return [w - x, h - y];
  if (deg === 270) return [y, w - x];
  return [x, y];
}

/** A scan of random grey speckle (no text), as an unreadable page would be. */
export function noiseScan(widthPt: number, heightPt: number, dpi: number, seed = 1): ScannedPage {
  const px = dpi / 72;
  const w = Math.round(widthPt * px);
  const h = Math.round(heightPt * px);
  const gray = new Uint8Array(w * h);
  let s = seed >>> 0 || 1;
  const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  // Blobs a few pixels across, so Tesseract finds "components" to read, not one flat grey.
  const cell = 3;
  for (let cy = 0; cy < h; cy += cell) {
    for (let cx = 0; cx < w; cx += cell) {
      const v = rand() < 0.3 ? 0 : 255;
      for (let y = cy; y < Math.min(h, cy + cell); y++) for (let x = cx; x < Math.min(w, cx + cell); x++) gray[y * w + x] = v;
    }
  }
  return { widthPt, heightPt, pixelWidth: w, pixelHeight: h, gray, png: grayPng(gray, w, h), baselinesPt: [], marginPt: 0 };
}

/** Five lines of English prose for OCR scans (pdf-ocr.test.ts, pdf-ocr-orientation.test.ts). */
export const OCR_SAMPLE_ENGLISH = [
  'Optical character recognition turns the pixels of a scanned',
  'page back into letters and words. Each page is rendered at',
  'the resolution of its image, handed to the recogniser, and',
  'the text that comes back is indexed like any other page, so',
  'that questions about the document can find it again.',
];
