// Scans stored as CCITT G4 fax images (most black-and-white scanners' format) are decoded: pdf.js 6 decodes
// them only with its wasm decoder, which the project's pdf.js environment now points it at (wasmUrl). The page
// is rendered as OCR renders it (nodeRasteriser, pdf.js's own Node canvas) and its pixels are read back. The
// same page opened without wasmUrl — how every pdf.js call of the project opened PDFs before — renders the image
// as nothing (white), which is what OCR then saw.
import { loadImage, createCanvas } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { extractPdf } from '../../src/pdf/extract';
import { nodeRasteriser } from '../../src/pdf/ocr-node';
import { getPdfjsEnvironment } from '../../src/pdf/pdfjs-env';
import { buildCcittPdf, CCITT_IMAGE_BOX } from './pdf-ccitt-helpers';

const PAGE_HEIGHT_PT = 288;
// Top half of the image black, bottom half white.
const BARS = [true, true, true, true, false, false, false, false];
const pdf = buildCcittPdf('Invoice scanned on the office copier', BARS);

/** Grey levels (0 black … 255 white) at the middle of the image's black half and of its white half. */
async function renderedBars(withWasm: boolean): Promise<{ blackHalf: number; whiteHalf: number }> {
  const env = await getPdfjsEnvironment();
  expect(env.wasmUrl, 'the environment names the wasm decoders').toBeTruthy();
  const task = env.lib.getDocument({
    data: pdf.slice(),
    standardFontDataUrl: env.standardFontDataUrl,
    ...(withWasm ? { wasmUrl: env.wasmUrl } : {}),
    verbosity: 0,
  });
  try {
    const doc = await task.promise;
    const png = await nodeRasteriser(doc)(await doc.getPage(1), 1);
    const image = await loadImage(Buffer.from(png));
    const canvas = createCanvas(image.width, image.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(image, 0, 0);
    const grey = (xPt: number, yPt: number) => ctx.getImageData(Math.round(xPt), Math.round(PAGE_HEIGHT_PT - yPt), 1, 1).data[0];
    const b = CCITT_IMAGE_BOX;
    return { blackHalf: grey(b.x + b.width / 2, b.y + (b.height * 3) / 4), whiteHalf: grey(b.x + b.width / 2, b.y + b.height / 4) };
  } finally {
    await task.destroy();
  }
}

describe('CCITT G4 scans', () => {
  // First: pdf.js keeps the decoder it loaded for the rest of the process, so the control runs before any
  // document has been opened with wasmUrl.
  it('without wasmUrl pdf.js paints the image as nothing: the page is white where the scan is black', async () => {
    const { blackHalf } = await renderedBars(false);
    expect(blackHalf).toBeGreaterThan(192);
  });

  it('render with the image decoded (the wasm decoder given to pdf.js)', async () => {
    const { blackHalf, whiteHalf } = await renderedBars(true);
    expect(blackHalf).toBeLessThan(64);
    expect(whiteHalf).toBeGreaterThan(192);
  });

  it('the text on the same page still extracts', async () => {
    const res = await extractPdf(pdf);
    expect(res.pages[0].text).toContain('Invoice scanned on the office copier');
  });
});
