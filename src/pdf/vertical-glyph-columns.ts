// Vertical writing set glyph by glyph in a horizontal font: LuaTeX-ja's tate and kanbun output (kanbun-example.pdf
// in texlive-lang-japanese) place every character with its own text matrix, stacked down a column, in a font
// without a vertical CMap. pdf.js then reports each glyph as an upright item of its own (`vertical: false`), and a
// horizontal layout reads the page across the columns, one character from each. Such a page is told apart by its
// single CJK glyphs: far more of them sit one em below another of the same size than one em beside one (text set
// glyph by glyph across the page, or on a grid, has as many neighbours beside as below), and they hold most of the
// page's CJK text (a code listing's lone 我 on line after line of a horizontal manual does not: hanzibox.pdf). The
// glyphs that are part of a column are then placed as vertical writing (positioned-text.ts placeVerticalRun).
// A vertical example inside a horizontal page is left as it is.
import type { TextItem } from 'pdfjs-dist/types/src/display/api';

/** One CJK character (Han, kana, CJK and full-width punctuation, vertical presentation forms). */
const CJK_GLYPH = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\ufe10-\ufe1f\ufe30-\ufe4f\uff01-\uff60]$/u;
/** A neighbour is this far from the glyph along the line or column (in ems) … */
const PITCH = [0.85, 1.25] as const;
/** … and at most this far off it across (in ems). */
const ACROSS = 0.2;
/** Fewer glyphs stacked in columns than this is no vertical page (a label, a stacked table heading). */
const MIN_PAIRS = 10;
/** Stacked pairs must outnumber side-by-side ones this many times. */
const DOMINANCE = 3;
/** The glyphs in columns hold at least this share of the page's CJK characters. */
const MIN_SHARE = 0.5;
const CJK_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/gu;

interface Glyph {
  index: number;
  x: number;
  y: number;
  size: number;
}

/** Of the page's pdf.js text items, the indices of single CJK glyphs set in vertical columns (empty on other pages). */
export function glyphColumnItems(items: ReadonlyArray<TextItem | { type: string }>): Set<number> {
  const bySize = new Map<number, Glyph[]>();
  let cjkChars = 0;
  items.forEach((item, index) => {
    if (!('str' in item)) return;
    cjkChars += item.str.match(CJK_CHAR)?.length ?? 0;
    const s = item.str.trim();
    if (Array.from(s).length !== 1 || !CJK_GLYPH.test(s)) return;
    const [a, b, c, d, x, y] = item.transform as number[];
    // Upright and unscaled only: a turned or stretched glyph is something else.
    if (!(a > 0) || Math.abs(b) > 1e-6 * a || Math.abs(c) > 1e-6 * a || Math.abs(a - d) > 0.01 * a) return;
    const key = Math.round(a * 10);
    const list = bySize.get(key) ?? [];
    list.push({ index, x, y, size: a });
    bySize.set(key, list);
  });
  let stacked = 0;
  let beside = 0;
  const inColumn = new Set<number>();
  for (const glyphs of bySize.values()) {
    const size = glyphs[0].size;
    const cell = ACROSS * size;
    const byX = bucket(glyphs, (g) => Math.round(g.x / cell));
    const byY = bucket(glyphs, (g) => Math.round(g.y / cell));
    for (const g of glyphs) {
      for (const h of near(byX, Math.round(g.x / cell))) {
        const down = (g.y - h.y) / size;
        if (Math.abs(h.x - g.x) < cell && down >= PITCH[0] && down <= PITCH[1]) {
          stacked++;
          inColumn.add(g.index).add(h.index);
        }
      }
      for (const h of near(byY, Math.round(g.y / cell))) {
        const along = (h.x - g.x) / size;
        if (Math.abs(h.y - g.y) < cell && along >= PITCH[0] && along <= PITCH[1]) beside++;
      }
    }
  }
  return stacked >= MIN_PAIRS && stacked >= DOMINANCE * beside && inColumn.size >= MIN_SHARE * cjkChars ? inColumn : new Set();
}

function bucket(glyphs: Glyph[], key: (g: Glyph) => number): Map<number, Glyph[]> {
  const out = new Map<number, Glyph[]>();
  for (const g of glyphs) {
    const k = key(g);
    const list = out.get(k) ?? [];
    list.push(g);
    out.set(k, list);
  }
  return out;
}

function near(buckets: Map<number, Glyph[]>, k: number): Glyph[] {
  return [...(buckets.get(k - 1) ?? []), ...(buckets.get(k) ?? []), ...(buckets.get(k + 1) ?? [])];
}
