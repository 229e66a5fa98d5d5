// A scan as office scanners store black-and-white pages: a 1-bit image compressed with CCITT Group 4 (T.6,
// /CCITTFaxDecode /K -1), which pdf.js 6 decodes only with its wasm decoder (pdfjs-dist/wasm/jbig2.wasm).
// The encoder here writes bars (rows wholly black or wholly white), which needs only four run-length codes of
// ITU-T T.4's tables besides the V0 and horizontal mode codes: enough to tell a decoded image from none.
// `buildCcittPdf` puts one such image under a line of real text, so the page is found by search and rendered.

/** T.6 codes used (MSB first): vertical 0, horizontal mode, and the white/black run lengths 0 and `width`. */
const V0 = '1';
const HORIZONTAL = '001';
const WHITE_RUN: Record<number, string> = { 0: '00110101', 16: '101010' };
const BLACK_RUN: Record<number, string> = { 0: '0000110111', 16: '0000010111' };
const EOFB = '000000000001000000000001';
export const CCITT_BAR_WIDTH = 16;

/**
 * G4 data of a CCITT_BAR_WIDTH-pixel-wide image whose row r is black when `blackRows[r]`. Each row is coded
 * against the one above (an imaginary white row above the first): the same colour again is vertical mode
 * (V0, and V0 twice for a black row: its start and its end line up with the row above), a change of colour is
 * horizontal mode with the two runs.
 */
export function ccittG4Bars(blackRows: boolean[]): Uint8Array {
  let bits = '';
  let above = false; // white
  for (const black of blackRows) {
    if (black === above) bits += black ? V0 + V0 : V0;
    else if (black) bits += HORIZONTAL + WHITE_RUN[0] + BLACK_RUN[CCITT_BAR_WIDTH];
    else bits += HORIZONTAL + WHITE_RUN[CCITT_BAR_WIDTH] + BLACK_RUN[0];
    above = black;
  }
  bits += EOFB;
  bits = bits.padEnd(Math.ceil(bits.length / 8) * 8, '0');
  const out = new Uint8Array(bits.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(bits.slice(8 * i, 8 * i + 8), 2);
  return out;
}

/** Where the image sits on the page, in PDF points from the bottom left. */
export const CCITT_IMAGE_BOX = { x: 36, y: 36, width: 288, height: 144 } as const;

/**
 * A one-page PDF (432 × 288 pt): `text` on one line at the top (Helvetica) and, below it, the G4 image of
 * `blackRows` scaled to CCITT_IMAGE_BOX.
 */
export function buildCcittPdf(text: string, blackRows: boolean[]): Uint8Array {
  const g4 = Buffer.from(ccittG4Bars(blackRows));
  const b = CCITT_IMAGE_BOX;
  const ops = `BT /F1 12 Tf 1 0 0 1 36 250 Tm (${text.replace(/[\\()]/g, (c) => '\\' + c)}) Tj ET\nq ${b.width} 0 0 ${b.height} ${b.x} ${b.y} cm /Im0 Do Q`;
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 432 288] /Resources << /Font << /F1 4 0 R >> /XObject << /Im0 5 0 R >> >> /Contents 6 0 R >>'),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'),
    Buffer.concat([
      Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${CCITT_BAR_WIDTH} /Height ${blackRows.length} /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns ${CCITT_BAR_WIDTH} /Rows ${blackRows.length} /BlackIs1 false >> /Length ${g4.length} >>\nstream\n`, 'latin1'),
      g4,
      Buffer.from('\nendstream'),
    ]),
    Buffer.from(`<< /Length ${Buffer.byteLength(ops, 'latin1')} >>\nstream\n${ops}\nendstream`, 'latin1'),
  ];
  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xE2\xE3\xCF\xD3\n', 'latin1')];
  const offsets: number[] = [];
  let length = chunks[0].length;
  objects.forEach((body, i) => {
    offsets.push(length);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    chunks.push(obj);
    length += obj.length;
  });
  let xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) xref += `${String(o).padStart(10, '0')} 00000 n \n`;
  chunks.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`));
  return new Uint8Array(Buffer.concat(chunks));
}
