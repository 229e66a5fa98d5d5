// Turns pdf.js text items (and synthetic items such as form values) into "positioned runs" in a frame where
// the text runs left to right and successive lines go down: the page's /Rotate and each item's own rotation
// are undone, so rotated pages read like upright ones.
import type { TextItem } from 'pdfjs-dist/types/src/display/api';

/** A piece of text placed on the page, in a frame where its writing direction is +x and lines advance +y. */
export interface PositionedRun {
  str: string;
  /** Left end of the run's baseline. */
  x: number;
  /** Baseline; grows downwards (next line has a larger y). */
  y: number;
  /** Advance width along the baseline. */
  width: number;
  /** Font size (em height) in page units. */
  size: number;
  /** Writing direction in the upright page, quantised: 0 (normal), 90, 180, 270 degrees. */
  rotation: 0 | 90 | 180 | 270;
  rtl: boolean;
  /** Index in content-stream order (ties and fragment building use it). */
  order: number;
}

/** 2D affine transform [a, b, c, d, e, f] as in PDF. */
export type Matrix = [number, number, number, number, number, number];

export function multiply(m: Matrix, n: Matrix): Matrix {
  return [
    m[0] * n[0] + m[2] * n[1],
    m[1] * n[0] + m[3] * n[1],
    m[0] * n[2] + m[2] * n[3],
    m[1] * n[2] + m[3] * n[3],
    m[0] * n[4] + m[2] * n[5] + m[4],
    m[1] * n[4] + m[3] * n[5] + m[5],
  ];
}

function quantiseRotation(radians: number): 0 | 90 | 180 | 270 {
  const deg = ((Math.round((radians * 180) / Math.PI / 90) * 90) % 360 + 360) % 360;
  return deg as 0 | 90 | 180 | 270;
}

/**
 * Places one run. `viewportTransform` maps PDF user space to the upright page with y pointing down
 * (pdf.js's page.getViewport({scale: 1}).transform); `textTransform` is the item's text matrix in user space.
 */
export function placeRun(str: string, textTransform: Matrix, width: number, viewportTransform: Matrix, rtl: boolean, order: number): PositionedRun | null {
  const m = multiply(viewportTransform, textTransform);
  const advance = Math.hypot(m[0], m[1]);
  const size = Math.hypot(m[2], m[3]);
  if (!(size > 0) || !Number.isFinite(size)) return null;
  const angle = advance > 0 ? Math.atan2(m[1], m[0]) : Math.atan2(-m[2], m[3]) ;
  const rotation = quantiseRotation(angle);
  // Rotate the origin by -rotation so the writing direction becomes +x (y stays "down" = next line).
  const r = (rotation * Math.PI) / 180;
  const cos = Math.round(Math.cos(r));
  const sin = Math.round(Math.sin(r));
  const x = m[4] * cos + m[5] * sin;
  const y = -m[4] * sin + m[5] * cos;
  return { str, x, y, width: Math.max(0, width), size, rotation, rtl, order };
}

/** pdf.js text items of one page → positioned runs (whitespace-only and empty items are dropped). */
export function runsFromTextItems(items: ReadonlyArray<TextItem | { type: string }>, viewportTransform: Matrix): PositionedRun[] {
  const runs: PositionedRun[] = [];
  for (const item of items) {
    if (!('str' in item) || item.str.trim() === '') continue;
    const run = placeRun(item.str, item.transform as Matrix, item.width, viewportTransform, item.dir === 'rtl', runs.length);
    if (run) runs.push(run);
  }
  return dropOverprints(runs);
}

/** Drops runs that repeat the same text at the same spot (fake bold and fill-then-stroke draw text twice). */
export function dropOverprints(runs: PositionedRun[]): PositionedRun[] {
  const seen = new Set<string>();
  return runs.filter((r) => {
    const q = Math.max(r.size * 0.2, 0.5);
    const key = `${r.rotation}|${Math.round(r.x / q)}|${Math.round(r.y / q)}|${r.str}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
