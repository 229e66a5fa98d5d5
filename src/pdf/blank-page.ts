// A page on which nothing is printed: no text, no image, no path, no shading (the intentionally blank pages of a
// book-style manual, "This page intentionally left blank" aside, which has text). pdf.js finds no text on it, like
// on a scan; unlike a scan there is nothing for OCR to read, and nothing a warning should name. Judged from
// pdf.js's operator list: the page is blank when every operator in it only sets state (colours, transforms, the
// graphics state, marked content, clipping). Anything else — including an operator this list does not know —
// counts as painting, so a page is only ever taken for blank when it certainly paints nothing.
import type { PDFPageProxy } from 'pdfjs-dist/types/src/display/api';
import type { Pdfjs } from './pdfjs-env';

/** pdf.js operators that paint nothing (OPS names). */
const STATE_ONLY = [
  'dependency', 'save', 'restore', 'transform', 'setGState',
  'setLineWidth', 'setLineCap', 'setLineJoin', 'setMiterLimit', 'setDash', 'setRenderingIntent', 'setFlatness',
  'setStrokeColorSpace', 'setFillColorSpace', 'setStrokeColor', 'setStrokeColorN', 'setFillColor', 'setFillColorN',
  'setStrokeGray', 'setFillGray', 'setStrokeRGBColor', 'setFillRGBColor', 'setStrokeCMYKColor', 'setFillCMYKColor',
  'setStrokeTransparent', 'setFillTransparent',
  'beginText', 'endText', 'setCharSpacing', 'setWordSpacing', 'setHScale', 'setLeading', 'setFont',
  'setTextRenderingMode', 'setTextRise', 'moveText', 'setLeadingMoveText', 'setTextMatrix', 'nextLine',
  'beginMarkedContent', 'beginMarkedContentProps', 'endMarkedContent', 'markPoint', 'markPointProps',
  'beginCompat', 'endCompat', 'clip', 'eoClip', 'endPath',
  'paintFormXObjectBegin', 'paintFormXObjectEnd', 'beginGroup', 'endGroup', 'beginAnnotation', 'endAnnotation',
] as const;

/** Whether an operator list paints nothing (only the operators above). */
export function paintsNothing(fnArray: ArrayLike<number>, ops: Pdfjs['OPS']): boolean {
  const table = ops as unknown as Record<string, number | undefined>;
  const stateOnly = new Set(STATE_ONLY.map((name) => table[name]).filter((n): n is number => n !== undefined));
  for (let i = 0; i < fnArray.length; i++) if (!stateOnly.has(fnArray[i])) return false;
  return true;
}

/** A page that prints nothing at all. An operator list that cannot be built (damaged content) counts as not blank. */
export async function isBlankPage(page: PDFPageProxy, ops: Pdfjs['OPS']): Promise<boolean> {
  try {
    return paintsNothing((await page.getOperatorList()).fnArray, ops);
  } catch {
    return false;
  }
}
