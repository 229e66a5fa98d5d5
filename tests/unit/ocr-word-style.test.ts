// The page viewer's span over a recognised word (src/ui/ocr-word-style.ts): over the word's box, font sized from the
// line's thickness; on a page read turned a quarter (a sideways scan) laid along the run and turned so that it covers
// the box exactly and its text starts where the word does.
import { describe, expect, it } from 'vitest';
import { ocrWordStyle, type OcrWordStyle } from '../../src/ui/ocr-word-style';

/** The span's corners (and the middle of its left edge, where its text starts) after its turn about its centre. */
function placed(s: OcrWordStyle): { box: [number, number, number, number]; start: [number, number] } {
  const cx = s.left + s.width / 2;
  const cy = s.top + s.height / 2;
  const a = (s.rotateDeg * Math.PI) / 180; // clockwise on screen (y down), as CSS rotate()
  const turn = (x: number, y: number): [number, number] => [cx + (x - cx) * Math.cos(a) - (y - cy) * Math.sin(a), cy + (x - cx) * Math.sin(a) + (y - cy) * Math.cos(a)];
  const corners = [turn(s.left, s.top), turn(s.left + s.width, s.top), turn(s.left, s.top + s.height), turn(s.left + s.width, s.top + s.height)];
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  return { box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], start: turn(s.left, cy) };
}

describe('ocrWordStyle', () => {
  const scale = 2;
  it('an upright word: its box, font 0.85 of its height, not turned', () => {
    const s = ocrWordStyle({ x0: 10, y0: 20, x1: 70, y1: 32 }, scale, undefined);
    expect(s).toEqual({ left: 20, top: 40, width: 120, height: 24, fontSize: 24 * 0.85, rotateDeg: 0 });
  });

  it('upside down: the same box, turned half round', () => {
    const s = ocrWordStyle({ x0: 10, y0: 20, x1: 70, y1: 32 }, scale, 180);
    expect(s).toMatchObject({ left: 20, top: 40, width: 120, height: 24, fontSize: 24 * 0.85, rotateDeg: 180 });
  });

  // A word running down or up the page: 12 pt thick (the line), 60 pt long.
  const word = { x0: 100, y0: 200, x1: 112, y1: 260 };
  for (const [turned, startsAt] of [[90, 'bottom'], [270, 'top']] as const) {
    it(`read turned ${turned}°: font from the line's thickness, laid along the run, covering the box, text from its ${startsAt}`, () => {
      const s = ocrWordStyle(word, scale, turned);
      expect(s.fontSize).toBeCloseTo(12 * scale * 0.85, 6); // was 0.85 x 60 pt: five times too large
      expect(s.width).toBeCloseTo(60 * scale, 6);
      expect(s.height).toBeCloseTo(12 * scale, 6);
      const { box, start } = placed(s);
      const want = [word.x0 * scale, word.y0 * scale, word.x1 * scale, word.y1 * scale];
      box.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
      // Read after turning the page 90° clockwise, the text ran bottom to top; 270°, top to bottom.
      expect(start[0]).toBeCloseTo(((word.x0 + word.x1) / 2) * scale, 6);
      expect(start[1]).toBeCloseTo((startsAt === 'bottom' ? word.y1 : word.y0) * scale, 6);
    });
  }
});
