// A valid PDF with zero pages (/Count 0) is PDF_UNREADABLE "This PDF has no pages", not a scan (NO_TEXT → OCR).
import { describe, expect, it } from 'vitest';
import { extractPdf } from '../../src/pdf/extract';
import { errorOf } from './pdf-helpers';

/** A well-formed PDF (correct xref offsets) whose page tree has no pages. */
function zeroPagePdf(): Uint8Array {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>'];
  let out = '%PDF-1.4\n';
  const offsets = objects.map((body, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(out);
}

describe('a PDF with no pages', () => {
  it('is PDF_UNREADABLE "This PDF has no pages", with a next step, not NO_TEXT', async () => {
    const err = await errorOf(extractPdf(zeroPagePdf()));
    expect(err.code).toBe('PDF_UNREADABLE');
    expect(err.message).toMatch(/^This PDF has no pages\./);
    expect(err.message).toMatch(/download it again/);
    expect(err.message).not.toMatch(/OCR|scan/);
  });
});
