// Where the page viewer puts one recognised word's transparent, selectable span: over the word's box (page points of
// the upright page, /Rotate applied, times the viewer's scale), with a font that fills the line. On a page scanned
// sideways (OcrPage.turned 90 or 270) a word's box is tall and narrow — its text runs down or up the page — so the
// font is sized from the box's width (the line's thickness), not its height (the word's length: a font that size
// made the selection boxes, and the selected text's highlight, many times too large), and the span is laid out
// along the run and turned onto it. Upside down (180) the box is as upright; the span is turned half round.
import type { OcrPage, OcrWord } from '../pdf/ocr-types';

/** A span's CSS box, in px of the viewer's layer. */
export interface OcrWordStyle {
  left: number;
  top: number;
  width: number;
  height: number;
  fontSize: number;
  /** Clockwise degrees about the span's centre (0: none). */
  rotateDeg: number;
}

/** Font size as a share of the line's thickness (room for ascenders and descenders, as pdf.js's text layer leaves). */
const FONT_SHARE = 0.85;

export function ocrWordStyle(w: Pick<OcrWord, 'x0' | 'y0' | 'x1' | 'y1'>, scale: number, turned: OcrPage['turned']): OcrWordStyle {
  const boxW = (w.x1 - w.x0) * scale;
  const boxH = (w.y1 - w.y0) * scale;
  if (turned !== 90 && turned !== 270) {
    return { left: w.x0 * scale, top: w.y0 * scale, width: boxW, height: boxH, fontSize: boxH * FONT_SHARE, rotateDeg: turned === 180 ? 180 : 0 };
  }
  // Read after turning the page 90° clockwise: its text runs bottom to top here, so the span is turned back
  // counter-clockwise (270: top to bottom, clockwise). Laid out along the run (width = the box's height), centred
  // on the box, so that turned a quarter it covers the box exactly.
  const cx = (w.x0 + w.x1) / 2 * scale;
  const cy = (w.y0 + w.y1) / 2 * scale;
  return { left: cx - boxH / 2, top: cy - boxW / 2, width: boxH, height: boxW, fontSize: boxW * FONT_SHARE, rotateDeg: turned === 90 ? -90 : 90 };
}
