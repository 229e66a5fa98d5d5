// Reading order for one page: positioned runs → text. Columns are read one after the other, never line by
// line across the gutter.
//
// 1. Fragments: runs that follow each other in the content stream on the same baseline with no big gap
//    (a line of one column, a table cell).
// 2. Recursive cut of the fragment set (a variant of XY-cut):
//    - a vertical gutter that separates two text columns over the whole region → read left part, then right;
//    - otherwise split into horizontal strips (fragments overlapping vertically) and group consecutive strips
//      that share a gutter (a two-column stretch) or that share none (a one-column stretch); recurse per group.
//    A gutter only counts when both sides hold text-column-like fragments (a few words wide), so narrow
//    table cells are read row by row rather than column by column.
// 3. Leaves: fragments clustered into lines by baseline, lines top to bottom, runs left to right.
// Each writing direction is laid out on its own, in its own frame (positioned-text.ts); vertical CJK columns
// are lines in the rotation-90 frame, so the same steps read them top to bottom and right to left.
import type { PositionedRun } from './positioned-text';

interface Fragment {
  runs: PositionedRun[];
  x0: number;
  x1: number;
  /** Baseline of the first run. */
  y: number;
  top: number;
  bottom: number;
  size: number;
  rtl: boolean;
}

interface Interval {
  lo: number;
  hi: number;
}

/** Narrowest column gutter, in ems of the page's typical font size. */
const MIN_GUTTER_EM = 1;
const ASCENT = 0.8; // of the font size, above the baseline
const DESCENT = 0.25; // below it

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Distinct baselines among fragments. */
function lineCount(frags: Fragment[]): number {
  const ys = frags.map((f) => f.y).sort((a, b) => a - b);
  let n = 0;
  let last = -Infinity;
  for (let i = 0; i < ys.length; i++) {
    if (ys[i] - last > 0.45 * frags[0].size) n++;
    last = ys[i];
  }
  return n;
}

function buildFragments(runs: PositionedRun[]): Fragment[] {
  const fragments: Fragment[] = [];
  let cur: Fragment | null = null;
  for (const run of runs) {
    const x1 = run.x + run.width;
    if (cur) {
      const last = cur.runs[cur.runs.length - 1];
      const size = Math.min(last.size, run.size);
      const sameLine = Math.abs(run.y - last.y) < 0.35 * size;
      const gap = run.rtl ? last.x - x1 : run.x - (last.x + last.width);
      if (sameLine && gap > -0.5 * size && gap < 0.9 * size) {
        cur.runs.push(run);
        cur.x0 = Math.min(cur.x0, run.x);
        cur.x1 = Math.max(cur.x1, x1);
        cur.top = Math.min(cur.top, run.y - ASCENT * run.size);
        cur.bottom = Math.max(cur.bottom, run.y + DESCENT * run.size);
        cur.size = Math.max(cur.size, run.size);
        continue;
      }
    }
    cur = { runs: [run], x0: run.x, x1, y: run.y, top: run.y - ASCENT * run.size, bottom: run.y + DESCENT * run.size, size: run.size, rtl: run.rtl };
    fragments.push(cur);
  }
  return fragments;
}

/** Uncovered x intervals of [lo, hi] given the fragments' horizontal extents. */
function horizontalGaps(frags: Fragment[], lo: number, hi: number): Interval[] {
  const spans = frags.map((f) => ({ lo: f.x0, hi: f.x1 })).sort((a, b) => a.lo - b.lo);
  const gaps: Interval[] = [];
  let edge = lo;
  for (const s of spans) {
    if (s.lo > edge) gaps.push({ lo: edge, hi: s.lo });
    edge = Math.max(edge, s.hi);
  }
  if (hi > edge) gaps.push({ lo: edge, hi });
  return gaps;
}

function intersect(a: Interval[], b: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const p of a) for (const q of b) {
    const lo = Math.max(p.lo, q.lo);
    const hi = Math.min(p.hi, q.hi);
    if (hi > lo) out.push({ lo, hi });
  }
  return out;
}

class Layout {
  constructor(
    /** Typical font size on the page: gap thresholds scale with it. */
    private readonly em: number,
  ) {}

  private isColumnSide(frags: Fragment[]): boolean {
    // A text column holds at least one fragment a few words wide.
    return frags.some((f) => f.x1 - f.x0 >= 8 * this.em);
  }

  /** A gap (strictly inside the region) that separates two text columns, or null. */
  private gutter(frags: Fragment[], candidates: Interval[]): Interval | null {
    let best: Interval | null = null;
    for (const g of candidates) {
      if (g.hi - g.lo < MIN_GUTTER_EM * this.em) continue;
      const left = frags.filter((f) => f.x1 <= g.lo + 1e-6);
      const right = frags.filter((f) => f.x0 >= g.hi - 1e-6);
      if (left.length === 0 || right.length === 0 || left.length + right.length !== frags.length) continue;
      if (!this.isColumnSide(left) || !this.isColumnSide(right)) continue;
      // A gutter runs down several lines: a wide space inside one line is not a column break.
      const l = lineCount(left);
      const r = lineCount(right);
      if (l + r < 3) continue;
      if (!best || g.hi - g.lo > best.hi - best.lo) best = g;
    }
    return best;
  }

  /** Blocks of text (each a list of lines) in reading order. */
  blocks(frags: Fragment[]): string[][] {
    if (frags.length <= 1) return [this.lines(frags)];
    const lo = Math.min(...frags.map((f) => f.x0));
    const hi = Math.max(...frags.map((f) => f.x1));

    const g = this.gutter(frags, horizontalGaps(frags, lo, hi));
    if (g) {
      const left = frags.filter((f) => f.x1 <= g.lo + 1e-6);
      const right = frags.filter((f) => f.x0 >= g.hi - 1e-6);
      return [...this.blocks(left), ...this.blocks(right)];
    }

    const strips = this.strips(frags);
    if (strips.length <= 1) return [this.lines(frags)];
    const groups = this.groupStrips(strips, lo, hi);
    if (groups.length <= 1) return [this.lines(frags)];
    return groups.flatMap((grp) => this.blocks(grp));
  }

  /** Horizontal bands: fragments whose vertical extents overlap. */
  private strips(frags: Fragment[]): Fragment[][] {
    const sorted = [...frags].sort((a, b) => a.top - b.top || a.x0 - b.x0);
    const strips: Fragment[][] = [];
    let bottom = -Infinity;
    for (const f of sorted) {
      if (strips.length > 0 && f.top < bottom - 0.05 * this.em) {
        strips[strips.length - 1].push(f);
        bottom = Math.max(bottom, f.bottom);
      } else {
        strips.push([f]);
        bottom = f.bottom;
      }
    }
    return strips;
  }

  /** Consecutive strips that share a column gutter (or all lack one) form one group. */
  private groupStrips(strips: Fragment[][], lo: number, hi: number): Fragment[][] {
    const internal = (gaps: Interval[]) => gaps.filter((g) => g.lo > lo + 1e-6 && g.hi < hi - 1e-6 && g.hi - g.lo >= MIN_GUTTER_EM * this.em);
    const groups: Fragment[][] = [];
    let current: Fragment[] = [];
    let shared: Interval[] | null = null; // null: a one-column group
    for (const strip of strips) {
      const gaps = horizontalGaps(strip, lo, hi);
      if (current.length === 0) {
        current = [...strip];
        shared = internal(gaps).length > 0 ? internal(gaps) : null;
        continue;
      }
      if (shared) {
        const next = internal(intersect(shared, gaps));
        if (next.length > 0) {
          current.push(...strip);
          shared = next;
          continue;
        }
      } else if (internal(gaps).length === 0) {
        current.push(...strip);
        continue;
      }
      groups.push(current);
      current = [...strip];
      shared = internal(gaps).length > 0 ? internal(gaps) : null;
    }
    if (current.length > 0) groups.push(current);
    // A group only stays separate when it really is a multi-column stretch; the rest merge with their
    // one-column neighbours (so a wide space in one line does not break a paragraph into blocks).
    const merged: Fragment[][] = [];
    let lastWasColumns = true;
    for (const grp of groups) {
      const columns = this.gutter(grp, horizontalGaps(grp, lo, hi)) !== null;
      if (!columns && !lastWasColumns && merged.length > 0) merged[merged.length - 1].push(...grp);
      else merged.push(grp);
      lastWasColumns = columns;
    }
    return merged;
  }

  /** One block: fragments clustered into lines by baseline, top to bottom, left to right. */
  private lines(frags: Fragment[]): string[] {
    const sorted = [...frags].sort((a, b) => a.y - b.y || a.x0 - b.x0);
    const lines: Fragment[][] = [];
    for (const f of sorted) {
      const line = lines[lines.length - 1];
      if (line && Math.abs(f.y - line[0].y) < 0.45 * Math.min(f.size, line[0].size)) line.push(f);
      else lines.push([f]);
    }
    return lines.map((line) => {
      const rtl = line.filter((f) => f.rtl).length * 2 > line.length;
      const runs = line.flatMap((f) => f.runs).sort((a, b) => (rtl ? b.x + b.width - (a.x + a.width) : a.x - b.x) || a.order - b.order);
      let text = '';
      let prev: PositionedRun | null = null;
      for (const run of runs) {
        if (prev) {
          const gap = rtl ? prev.x - (run.x + run.width) : run.x - (prev.x + prev.width);
          const needsSpace = gap > 0.12 * Math.min(prev.size, run.size) || Math.abs(run.y - prev.y) > 0.5 * run.size;
          if (needsSpace && !/\s$/.test(text) && !/^\s/.test(run.str)) text += ' ';
        }
        text += run.str;
        prev = run;
      }
      return text;
    });
  }
}

/**
 * Page text in reading order: lines joined by '\n', blocks by '\n\n'. Runs are read by writing direction, the
 * direction holding most text first (vertical CJK columns are the rotation-90 direction, placeVerticalRun).
 */
export function layoutText(runs: PositionedRun[]): string {
  if (runs.length === 0) return '';
  const blocks: string[] = [];
  for (const list of headingsFirst(byDirection(runs))) {
    const em = median(list.map((r) => r.size)) || 10;
    const layout = new Layout(em);
    for (const block of layout.blocks(buildFragments(list))) {
      const text = block.join('\n').trim();
      if (text) blocks.push(text);
    }
  }
  return blocks.join('\n\n');
}

/** Runs grouped by writing direction, the group with the most characters first. */
function byDirection(runs: PositionedRun[]): PositionedRun[][] {
  const byRotation = new Map<number, PositionedRun[]>();
  for (const r of runs) {
    const list = byRotation.get(r.rotation) ?? [];
    list.push(r);
    byRotation.set(r.rotation, list);
  }
  const chars = (list: PositionedRun[]) => list.reduce((n, r) => n + r.str.length, 0);
  return [...byRotation.values()].sort((a, b) => chars(b) - chars(a));
}

/**
 * A page set in vertical columns often has horizontal text above them (a title, a running head): it is read
 * first, as its own group, before the columns; the page's other horizontal text (a footer, a caption) keeps
 * its place after them. Only when the columns come before the upright text: on a horizontal page with a
 * little vertical text (a label set down a margin) the upright text stays one group, so its own layout
 * (columns, title over them) is read as ever.
 */
function headingsFirst(groups: PositionedRun[][]): PositionedRun[][] {
  const upright = groups.findIndex((g) => g[0].rotation === 0);
  const columns = groups.findIndex((g) => g[0].rotation !== 0 && g.some((r) => r.vertical));
  if (upright < 0 || columns < 0 || columns > upright) return groups;
  const top = Math.min(...groups[columns].filter((r) => r.vertical).map((r) => pageSpanY(r).top));
  const above: PositionedRun[] = [];
  const below: PositionedRun[] = [];
  for (const r of groups[upright]) (pageSpanY(r).bottom <= top ? above : below).push(r);
  if (above.length === 0) return groups;
  const rest = groups.map((g, i) => (i === upright ? below : g));
  return [above, ...rest.filter((g) => g.length > 0)];
}

/** Vertical extent of a run's box (ASCENT above its baseline, DESCENT below) on the upright page. */
function pageSpanY(run: PositionedRun): { top: number; bottom: number } {
  // The frame is the page turned by -rotation (positioned-text.ts): turn the box's corners back.
  const r = (run.rotation * Math.PI) / 180;
  const cos = Math.round(Math.cos(r));
  const sin = Math.round(Math.sin(r));
  const ys: number[] = [];
  for (const x of [run.x, run.x + run.width]) {
    for (const y of [run.y - ASCENT * run.size, run.y + DESCENT * run.size]) ys.push(x * sin + y * cos);
  }
  return { top: Math.min(...ys), bottom: Math.max(...ys) };
}
