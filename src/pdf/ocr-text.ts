// Tesseract's block → paragraph → line → word tree to page text and word boxes in page coordinates.
// Words on a line are joined by a space, except between two CJK characters (Tesseract puts a "word" boundary
// between most Chinese characters, which are written without spaces). Lines are joined by '\n', paragraphs by
// '\n\n', then the text is cleaned like extracted text (hyphenation repaired, whitespace tidied).
import { cleanPageText } from './clean-text';
import type { OcrWord } from './ocr-types';

/** The part of tesseract.js's result we read (RecognizeResult.data with output {blocks: true}). */
export interface TesseractBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
export interface TesseractWordLike {
  text: string;
  confidence: number;
  bbox: TesseractBox;
}
export interface TesseractBlockLike {
  paragraphs: Array<{ lines: Array<{ words: TesseractWordLike[]; bbox?: TesseractBox }> }>;
}

/** Han, kana, Hangul, CJK punctuation and full-width forms: scripts written without spaces between words. */
const CJK = /[\u2E80-\u2FFF\u3000-\u30FF\u3100-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF]/u;

export function isCjkChar(ch: string | undefined): boolean {
  return ch !== undefined && CJK.test(ch);
}

const PUNCTUATION_ONLY = /^\p{P}+$/u;
/** ASCII marks as Chinese text writes them (full width). */
const FULL_WIDTH: Record<string, string> = { ',': '，', ';': '；', ':': '：', '!': '！', '?': '？' };

/**
 * Punctuation read as a word of its own after Chinese, as Chinese writes it: chi_tra reads a full-width comma as
 * ",", and a full stop as ",。" (a comma never comes right before a full stop).
 */
function chinesePunctuation(word: string): string {
  const marks = word.replace(/^,(?=[。．.])/u, '');
  return Array.from(marks, (ch) => FULL_WIDTH[ch] ?? ch).join('');
}

/**
 * Joins a line's words: a space between words, none where both neighbours are CJK, and none around a word of
 * punctuation alone next to CJK (chi_tra reads a full-width comma as its own word ","; "影像 , 沒有" → "影像，沒有":
 * after CJK such a word is written full width).
 */
export function joinLineWords(words: readonly string[]): string {
  let line = '';
  let punctuationAfterCjk = false;
  for (const w of words) {
    if (!w) continue;
    const last = line.at(-1);
    const punctuation = PUNCTUATION_ONLY.test(w);
    const attach = isCjkChar(last) && (isCjkChar(w[0]) || punctuation);
    if (line && !attach && !(punctuationAfterCjk && isCjkChar(w[0]))) line += ' ';
    punctuationAfterCjk = punctuation && (attach || punctuationAfterCjk);
    line += punctuation && attach ? chinesePunctuation(w) : w;
  }
  return line;
}

export interface PageTextAndWords {
  text: string;
  words: OcrWord[];
  confidence: number;
}

/** Maps a point of the recognised image (pixels, y down) to the page's upright viewport at scale 1 (points). */
export type ImageToPage = (x: number, y: number) => [number, number];

/**
 * `toPage` is the render scale (image pixels per page point), boxes divided by it so they land in the page's
 * viewport at scale 1; or, for an image rendered turned (a page scanned sideways, see ocr-orientation.ts), the
 * map from image pixels to that viewport: each box's corners are mapped (a quarter turn keeps boxes upright).
 * Boxes are tidied in the image's frame, the one the text is read in. Boxes are tidied per line so a highlight reads as one band, as on a text
 * layer: every word spans the line's height, a word ends where the next one starts when the gap between
 * them is narrower than the line is high (an inter-word space), and never runs past the next word's start
 * (Tesseract's boxes for CJK characters sometimes stretch over their neighbours).
 */
export function pageFromTesseract(blocks: readonly TesseractBlockLike[] | null | undefined, toPage: number | ImageToPage): PageTextAndWords {
  const words: OcrWord[] = [];
  const paragraphs: string[] = [];
  const round = (v: number) => Math.round(v * 100) / 100;
  const map: ImageToPage = typeof toPage === 'number' ? (x, y) => [x / toPage, y / toPage] : toPage;
  const box = (x0: number, y0: number, x1: number, y1: number): Pick<OcrWord, 'x0' | 'y0' | 'x1' | 'y1'> => {
    const [ax, ay] = map(x0, y0);
    const [bx, by] = map(x1, y1);
    return { x0: round(Math.min(ax, bx)), y0: round(Math.min(ay, by)), x1: round(Math.max(ax, bx)), y1: round(Math.max(ay, by)) };
  };
  for (const block of blocks ?? []) {
    for (const para of block.paragraphs) {
      const lines: string[] = [];
      for (const line of para.lines) {
        const texts: string[] = [];
        const kept = line.words.filter((w) => w.text.trim());
        kept.forEach((w, i) => {
          const raw = w.text.trim();
          // The word keeps the page text's form of a mark after Chinese (the highlight matches one against the other).
          const text = i > 0 && PUNCTUATION_ONLY.test(raw) && isCjkChar(texts[i - 1].at(-1)) ? chinesePunctuation(raw) : raw;
          texts.push(text);
          const y0 = line.bbox ? Math.min(line.bbox.y0, w.bbox.y0) : w.bbox.y0;
          const y1 = line.bbox ? Math.max(line.bbox.y1, w.bbox.y1) : w.bbox.y1;
          let x1 = w.bbox.x1;
          const next = kept[i + 1];
          if (next && next.bbox.x0 > w.bbox.x0) {
            if (x1 > next.bbox.x0 || next.bbox.x0 - x1 < y1 - y0) x1 = next.bbox.x0;
          }
          words.push({ text, ...box(w.bbox.x0, y0, x1, y1), confidence: Math.round(w.confidence) });
        });
        const joined = joinLineWords(texts);
        if (joined) lines.push(joined);
      }
      if (lines.length) paragraphs.push(lines.join('\n'));
    }
  }
  const text = cleanPageText(paragraphs.join('\n\n'), { texControlCodes: false });
  const confidence = words.length ? Math.round(words.reduce((s, w) => s + w.confidence, 0) / words.length) : 0;
  return { text, words, confidence };
}
