// Test helpers for src/pdf: the shared fixture corpus (../shared/fixtures/pdfs) and a minimal PDF writer that
// builds test documents in memory (many pages, page labels, two columns, CJK via a predefined CMap).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { AppError } from '../../src/shared/errors';

export const FIXTURE_DIR = fileURLToPath(new URL('../../../shared/fixtures/pdfs/', import.meta.url));
export const HAVE_FIXTURES = existsSync(FIXTURE_DIR + 'MANIFEST.json');
export const SKIP_REASON = `fixtures not found at ${FIXTURE_DIR} (../shared/fixtures is absent): skipping`;

export interface ManifestFile {
  name: string;
  pages: number;
  has_text: boolean;
  text_quality: string;
  encrypted: { encrypted: boolean; user_password: string | null };
  tests: string[];
  extraction_probes: Array<{ page: number; text?: string; text_expected?: string; field?: string; value?: string }>;
}

export function readManifest(): { files: ManifestFile[] } {
  return JSON.parse(readFileSync(FIXTURE_DIR + 'MANIFEST.json', 'utf8'));
}

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(FIXTURE_DIR + name));
}

// ---------------------------------------------------------------------------------------------------------
// Minimal PDF writer.

export interface TextLine {
  x: number;
  /** Baseline, PDF user space (origin bottom-left). */
  y: number;
  text: string;
  size?: number;
  /** 'latin' = Helvetica/WinAnsi (Latin-1 text only); 'cjk' = STSong-Light with the predefined UniGB-UCS2-H CMap. */
  font?: 'latin' | 'cjk';
}

export interface PageSpec {
  lines: TextLine[];
  /** /Rotate of the page. */
  rotate?: 0 | 90 | 180 | 270;
  /** Raw content-stream operators appended after the text (paths, colours, transforms). */
  raw?: string;
  /** /CropBox [x0 y0 x1 y1] (the trimmed page a viewer shows) inside the 612 × 792 MediaBox. */
  cropBox?: [number, number, number, number];
}

export interface PdfSpec {
  pages: PageSpec[];
  /** /PageLabels number tree entries: starting page index (0-based) → style ('r' roman, 'D' decimal, ...) and start. */
  pageLabels?: Array<{ from: number; style: 'D' | 'r' | 'R' | 'a' | 'A'; start?: number; prefix?: string }>;
  title?: string;
}

function pdfString(s: string): string {
  return '(' + s.replace(/[\\()]/g, (c) => '\\' + c) + ')';
}

function ucs2Hex(s: string): string {
  let hex = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp > 0xffff) throw new Error('UCS-2 only');
    hex += cp.toString(16).padStart(4, '0').toUpperCase();
  }
  return `<${hex}>`;
}

/** Builds a valid PDF 1.4 file (uncompressed, classic xref table). */
export function buildPdf(spec: PdfSpec): Uint8Array {
  const objects: string[] = []; // objects[i] is object number i + 1
  const add = (body: string) => {
    objects.push(body);
    return objects.length;
  };
  const reserve = () => add('');

  const catalog = reserve();
  const pagesRoot = reserve();
  const latin = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const cjkDescriptor = add(
    '<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>',
  );
  const cjkDescendant = add(
    `<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor ${cjkDescriptor} 0 R /DW 1000 >>`,
  );
  const cjk = add(`<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [${cjkDescendant} 0 R] >>`);

  const kids: number[] = [];
  for (const page of spec.pages) {
    const ops = page.lines
      .map((l) => {
        const font = l.font === 'cjk' ? '/F2' : '/F1';
        const str = l.font === 'cjk' ? ucs2Hex(l.text) : pdfString(l.text);
        return `BT ${font} ${l.size ?? 10} Tf 1 0 0 1 ${l.x} ${l.y} Tm ${str} Tj ET`;
      })
      .concat(page.raw ? [page.raw] : [])
      .join('\n');
    const content = add(`<< /Length ${Buffer.byteLength(ops, 'latin1')} >>\nstream\n${ops}\nendstream`);
    kids.push(
      add(
        `<< /Type /Page /Parent ${pagesRoot} 0 R /MediaBox [0 0 612 792]${page.cropBox ? ` /CropBox [${page.cropBox.join(' ')}]` : ''}${page.rotate ? ` /Rotate ${page.rotate}` : ''} ` +
          `/Resources << /Font << /F1 ${latin} 0 R /F2 ${cjk} 0 R >> >> /Contents ${content} 0 R >>`,
      ),
    );
  }
  objects[pagesRoot - 1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`;
  const labels = spec.pageLabels
    ? ` /PageLabels << /Nums [${spec.pageLabels
        .map((l) => `${l.from} << /S /${l.style}${l.start ? ` /St ${l.start}` : ''}${l.prefix ? ` /P ${pdfString(l.prefix)}` : ''} >>`)
        .join(' ')}] >>`
    : '';
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesRoot} 0 R${labels} >>`;
  const info = spec.title ? add(`<< /Title ${pdfString(spec.title)} >>`) : 0;

  const parts: string[] = ['%PDF-1.4\n%\xE2\xE3\xCF\xD3\n'];
  let offset = Buffer.byteLength(parts[0], 'latin1');
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    const obj = `${i + 1} 0 obj\n${body}\nendobj\n`;
    offsets.push(offset);
    parts.push(obj);
    offset += Buffer.byteLength(obj, 'latin1');
  });
  const xref =
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` +
    offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('') +
    `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R${info ? ` /Info ${info} 0 R` : ''} >>\nstartxref\n${offset}\n%%EOF\n`;
  parts.push(xref);
  return new Uint8Array(Buffer.from(parts.join(''), 'latin1'));
}

/** A page of single-column body text: `count` lines, 14 pt apart, starting near the top. */
export function bodyLines(texts: string[], x = 72, top = 720, size = 10): TextLine[] {
  return texts.map((text, i) => ({ x, y: top - i * 14, text, size }));
}

/** The AppError a promise rejects with (fails the test when it resolves or rejects with something else). */
export async function errorOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected a rejection');
}
