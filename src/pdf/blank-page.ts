// A page on which nothing is printed: no text, no image, no path, no shading (the intentionally blank pages of a
// book-style manual, "This page intentionally left blank" aside, which has text). pdf.js finds no text on it, like
// on a scan; unlike a scan there is nothing for OCR to read, and nothing a warning should name. Judged from
// pdf.js's operator list: the page is blank when every operator in it only sets state (colours, transforms, the
// graphics state, marked content, clipping), or paints wholly outside the page box. A book sent to a printer
// (cnbook.pdf, TeX for the Impatient in Chinese: 30 of its 429 pages) has crop marks and a slug line ("TEX 急就帖
// No 3 8 Nov 2003") drawn beyond the trimmed page on every page, its blank ones too; nobody sees them, and pdf.js
// itself leaves text outside the page out of the text layer. Anything else — including an operator this list does
// not know, a path whose extent it cannot read, or painting inside an annotation or a transparency group, whose
// placement it does not follow — counts as painting, so a page is only ever taken for blank when it certainly
// shows nothing.
import type { PDFPageProxy } from 'pdfjs-dist/types/src/display/api';
import type { Pdfjs } from './pdfjs-env';
import { isFiniteMatrix, walkOperators } from './operator-walk';
import type { Matrix } from './positioned-text';

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

function isNumbers(v: unknown, n: number): v is ArrayLike<number> {
  if (v === null || typeof v !== 'object' || (v as ArrayLike<unknown>).length !== n) return false;
  for (let i = 0; i < n; i++) if (!Number.isFinite((v as ArrayLike<unknown>)[i])) return false;
  return true;
}

/** Whether the box [minX, minY, maxX, maxY] in user space, grown by `pad` user units, through `ctm` overlaps the page box. */
function boxOnPage(box: ArrayLike<number>, pad: number, ctm: Matrix, view: ArrayLike<number>): boolean {
  const [x0, y0, x1, y1] = [box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad];
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [x, y] of [[x0, y0], [x0, y1], [x1, y0], [x1, y1]]) {
    xs.push(ctm[0] * x + ctm[2] * y + ctm[4]);
    ys.push(ctm[1] * x + ctm[3] * y + ctm[5]);
  }
  const [vx0, vx1] = [Math.min(view[0], view[2]), Math.max(view[0], view[2])];
  const [vy0, vy1] = [Math.min(view[1], view[3]), Math.max(view[1], view[3])];
  return Math.max(...xs) > vx0 && Math.min(...xs) < vx1 && Math.max(...ys) > vy0 && Math.min(...ys) < vy1;
}

export interface OperatorListLike {
  fnArray: ArrayLike<number>;
  argsArray: ArrayLike<unknown>;
}

/**
 * Whether an operator list shows nothing on the page box `view` ([x0, y0, x1, y1], PDF user space): every
 * operator only sets state, or paints a path or an image that lies wholly outside the box, or shows text while
 * `textInView` is false (pdf.js found no glyph of the page inside the box: getTextContent gave no item).
 */
export function showsNothingOnPage(list: OperatorListLike, view: ArrayLike<number>, ops: Pdfjs['OPS'], textInView: boolean): boolean {
  const table = ops as unknown as Record<string, number | undefined>;
  const stateOnly = new Set(STATE_ONLY.map((name) => table[name]).filter((n): n is number => n !== undefined));
  const op = (name: string) => table[name] ?? -1;
  const [ANNOTATION_BEGIN, ANNOTATION_END, GROUP_BEGIN, GROUP_END] = [op('beginAnnotation'), op('endAnnotation'), op('beginGroup'), op('endGroup')];
  const PATH = op('constructPath');
  const UNIT_SQUARE = new Set(['paintImageXObject', 'paintInlineImageXObject', 'paintImageMaskXObject', 'paintSolidColorImageMask'].map(op));
  const TEXT = new Set(['showText', 'showSpacedText', 'nextLineShowText', 'nextLineSetSpacingShowText'].map(op));

  let nothing = true;
  /** Inside an annotation's appearance or a transparency group: placement not followed, painting counts. */
  let unfollowed = 0;
  const shows = (fn: number, args: unknown[] | null | undefined, { ctm, lineWidth }: { ctm: Matrix; lineWidth: number }): boolean => {
    // A cm or form matrix that is not six numbers: nothing after it can be placed.
    if ((fn === ops.transform || fn === ops.paintFormXObjectBegin) && !isFiniteMatrix(ctm)) return true;
    if (fn === ANNOTATION_BEGIN || fn === GROUP_BEGIN) unfollowed++;
    else if (fn === ANNOTATION_END || fn === GROUP_END) unfollowed = Math.max(0, unfollowed - 1);
    else if (stateOnly.has(fn)) return false;
    else if (unfollowed > 0) return true;
    else if (fn === PATH) {
      // pdf.js: [paint operator, [path data], minMax = [minX, minY, maxX, maxY] in the path's user space].
      const minMax = args?.[2];
      // A zero-width line is drawn one device pixel wide; grow every path by at least a point.
      return !isNumbers(minMax, 4) || boxOnPage(minMax, Math.max(lineWidth / 2, 1), ctm, view);
    } else if (UNIT_SQUARE.has(fn)) return boxOnPage([0, 0, 1, 1], 0, ctm, view);
    else if (TEXT.has(fn)) return textInView;
    else return true;
    return false;
  };
  walkOperators(list.fnArray, list.argsArray, ops, (fn, args, state) => {
    if (shows(fn, args, state)) nothing = false;
    return nothing;
  });
  return nothing;
}

/**
 * A page that shows nothing at all. `textItems`: how many items pdf.js's getTextContent gave for it (pdf.js
 * leaves out glyphs outside the page box). An operator list that cannot be built (damaged content) counts as not
 * blank.
 */
export async function isBlankPage(page: PDFPageProxy, ops: Pdfjs['OPS'], textItems: number): Promise<boolean> {
  try {
    return showsNothingOnPage(await page.getOperatorList(), page.view, ops, textItems > 0);
  } catch {
    return false;
  }
}
