// How much of a page its images cover, from pdf.js's operator list: each painted image is the unit square
// mapped by the current transform (q/Q, cm, form XObjects' matrices are followed), its bounding box is clipped
// to the page, and the union of the boxes is measured (so a background and a photo on top of it, or a scan cut
// into strips, count once). Used to recognise a scanned page that carries a small text stamp (extract.ts).
import type { PDFPageProxy } from 'pdfjs-dist/types/src/display/api';
import type { Pdfjs } from './pdfjs-env';
import { walkOperators } from './operator-walk';
import { multiply, type Matrix } from './positioned-text';

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** More placed images than this on one page is not a scan (tiled patterns, icons): the walk stops counting. */
const MAX_IMAGES = 2000;

/** Share (0..1) of the page's visible area (its view box: CropBox within MediaBox) that images cover. */
export async function imageCoverage(page: PDFPageProxy, ops: Pdfjs['OPS']): Promise<number> {
  const list = await page.getOperatorList();
  const [vx0, vy0, vx1, vy1] = page.view;
  const view: Box = { x0: Math.min(vx0, vx1), y0: Math.min(vy0, vy1), x1: Math.max(vx0, vx1), y1: Math.max(vy0, vy1) };
  return coverageOf(imageBoxes(list.fnArray, list.argsArray as unknown[], ops), view);
}

/** One image an operator list paints: the transform that maps its unit square onto the page, its size in pixels (0 when unknown). */
export interface PlacedImage {
  ctm: Matrix;
  width: number;
  height: number;
}

/**
 * The images an operator list paints, each with its placement (operator-walk.ts follows q/Q, cm and form
 * XObjects' matrices; also ocr.ts, which sizes its rendering from them); at most MAX_IMAGES.
 */
export function placedImages(fnArray: ArrayLike<number>, argsArray: ArrayLike<unknown>, ops: Pdfjs['OPS']): PlacedImage[] {
  const out: PlacedImage[] = [];
  walkOperators(fnArray, argsArray, ops, (fn, args, { ctm }) => {
    if (fn === ops.paintImageXObject) {
      out.push({ ctm, width: Number(args?.[1]) || 0, height: Number(args?.[2]) || 0 });
    } else if (fn === ops.paintInlineImageXObject || fn === ops.paintImageMaskXObject) {
      const img = args?.[0] as { width?: number; height?: number } | undefined;
      out.push({ ctm, width: img?.width ?? 0, height: img?.height ?? 0 });
    } else if (fn === ops.paintImageXObjectRepeat && args) {
      // [objId, scaleX, scaleY, positions]: the same image placed at several points.
      const sx = Number(args[1]);
      const sy = Number(args[2]);
      const positions = args[3] as ArrayLike<number> | undefined;
      for (let k = 0; positions && k + 1 < positions.length && out.length < MAX_IMAGES; k += 2) {
        out.push({ ctm: multiply(ctm, [sx, 0, 0, sy, positions[k], positions[k + 1]]), width: 0, height: 0 });
      }
    }
    return out.length < MAX_IMAGES;
  });
  return out;
}

/** Bounding boxes, in PDF user space, of the images an operator list paints. */
export function imageBoxes(fnArray: ArrayLike<number>, argsArray: ArrayLike<unknown>, ops: Pdfjs['OPS']): Box[] {
  return placedImages(fnArray, argsArray, ops)
    .map((p) => unitSquareBox(p.ctm))
    .filter((b) => Number.isFinite(b.x0 + b.y0 + b.x1 + b.y1) && b.x1 > b.x0 && b.y1 > b.y0);
}

/** Axis-aligned bounding box of the unit square under `m` (exact for upright and quarter-turned images). */
function unitSquareBox(m: Matrix): Box {
  const xs = [m[4], m[0] + m[4], m[2] + m[4], m[0] + m[2] + m[4]];
  const ys = [m[5], m[1] + m[5], m[3] + m[5], m[1] + m[3] + m[5]];
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}

/** Area of the union of `boxes` clipped to `view`, as a share of the view's area (a sweep over x slabs). */
export function coverageOf(boxes: readonly Box[], view: Box): number {
  const area = (view.x1 - view.x0) * (view.y1 - view.y0);
  if (!(area > 0)) return 0;
  const clipped = boxes
    .map((b) => ({ x0: Math.max(b.x0, view.x0), y0: Math.max(b.y0, view.y0), x1: Math.min(b.x1, view.x1), y1: Math.min(b.y1, view.y1) }))
    .filter((b) => b.x1 > b.x0 && b.y1 > b.y0);
  if (clipped.length === 0) return 0;
  const xs = [...new Set(clipped.flatMap((b) => [b.x0, b.x1]))].sort((a, b) => a - b);
  let covered = 0;
  for (let i = 0; i + 1 < xs.length; i++) {
    const left = xs[i];
    const right = xs[i + 1];
    const spans = clipped.filter((b) => b.x0 <= left && b.x1 >= right).map((b) => [b.y0, b.y1] as const).sort((a, b) => a[0] - b[0]);
    let length = 0;
    let start = -Infinity;
    let end = -Infinity;
    for (const [y0, y1] of spans) {
      if (y0 > end) {
        length += end - start > 0 ? end - start : 0;
        start = y0;
        end = y1;
      } else if (y1 > end) end = y1;
    }
    length += end - start > 0 ? end - start : 0;
    covered += length * (right - left);
  }
  return Math.min(1, covered / area);
}
