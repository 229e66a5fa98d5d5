// Turns pdf.js text items (and synthetic items such as form values) into "positioned runs" in a frame where
// the text runs left to right and successive lines go down: the page's /Rotate and each item's own rotation
// are undone, so rotated pages read like upright ones. Vertical writing (CJK columns) is placed the same way:
// a column is a line written downwards, the next column to its left.
import { glyphColumnItems } from './vertical-glyph-columns';
import type { TextItem, TextStyle } from 'pdfjs-dist/types/src/display/api';

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
  /** A column of vertical writing (placeVerticalRun): on an upright page its rotation is 90, like a line turned down. */
  vertical?: boolean;
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
  return { str, ...intoFrame(m[4], m[5], rotation), width: Math.max(0, width), size, rotation, rtl, order };
}

/**
 * How far a column's baseline lies from its centre line, towards the next column, in ems. reading-order.ts
 * boxes a run from 0.8 em above its baseline to 0.25 em below it; an upright glyph centred on the column
 * spans 0.5 em either side, which that box then covers. A Latin word turned a quarter clockwise to run down
 * the column (vertical setting's usual way with Latin) has its baseline about there too, so it lands on the
 * column's line.
 */
const VERTICAL_BASELINE_OFFSET = 0.3;

/**
 * Places one item of vertical writing (a font with a vertical CMap, e.g. UniGB-UCS2-V or Identity-V: CJK read
 * top to bottom, columns right to left). pdf.js reports such an item upright, its text matrix the horizontal
 * one: `transform` at the top of the first glyph, centred across the column; `height` the advance down the
 * column (`width` is only the column's width, one em). A column is a line turned a quarter clockwise (writing
 * goes down, the next column is to the left, as the next line of a rotated run is), so it is placed as a run
 * written along its text space's -y: on an upright page rotation 90, read with any other text of that
 * direction and in the same order, columns as lines.
 */
export function placeVerticalRun(str: string, textTransform: Matrix, height: number, viewportTransform: Matrix, order: number): PositionedRun | null {
  const m = multiply(viewportTransform, textTransform);
  const size = Math.hypot(m[2], m[3]);
  if (!(size > 0) || !Number.isFinite(size)) return null;
  // Down the column is -y in text space; the next column is -x.
  const rotation = quantiseRotation(Math.atan2(-m[3], -m[2]));
  const baselineX = m[4] - VERTICAL_BASELINE_OFFSET * m[0];
  const baselineY = m[5] - VERTICAL_BASELINE_OFFSET * m[1];
  return { str, ...intoFrame(baselineX, baselineY, rotation), width: Math.max(0, height), size, rotation, rtl: false, vertical: true, order };
}

/** A point of the upright page in the frame of a run written at `rotation`. */
function intoFrame(px: number, py: number, rotation: 0 | 90 | 180 | 270): { x: number; y: number } {
  // Rotate the origin by -rotation so the writing direction becomes +x (y stays "down" = next line).
  const r = (rotation * Math.PI) / 180;
  const cos = Math.round(Math.cos(r));
  const sin = Math.round(Math.sin(r));
  return { x: px * cos + py * sin, y: -px * sin + py * cos };
}

/**
 * pdf.js text items of one page → positioned runs (whitespace-only and empty items are dropped). `styles` is
 * the text content's `styles`: an item whose font writes vertically is a column (placeVerticalRun), and so is a
 * column of single glyphs set in a horizontal font (vertical-glyph-columns.ts).
 */
export function runsFromTextItems(
  items: ReadonlyArray<TextItem | { type: string }>,
  viewportTransform: Matrix,
  styles: Readonly<Record<string, Pick<TextStyle, 'vertical'>>> = {},
): PositionedRun[] {
  const runs: PositionedRun[] = [];
  const columnGlyphs = glyphColumnItems(items);
  items.forEach((item, index) => {
    if (!('str' in item) || item.str.trim() === '') return;
    const transform = item.transform as Matrix;
    let run: PositionedRun | null;
    if (styles[item.fontName]?.vertical) run = placeVerticalRun(item.str, transform, item.height, viewportTransform, runs.length);
    else if (columnGlyphs.has(index)) {
      // A glyph of a column set in a horizontal font: its matrix is at its baseline's left end; a vertical
      // font's is at the top of the glyph, centred across the column (an em wide, its top 0.88 em up).
      const [a, b, c, d, x, y] = transform;
      run = placeVerticalRun(item.str, [a, b, c, d, x + 0.5 * a, y + 0.88 * d], a, viewportTransform, runs.length);
    } else run = placeRun(item.str, transform, item.width, viewportTransform, item.dir === 'rtl', runs.length);
    if (run) runs.push(run);
  });
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
