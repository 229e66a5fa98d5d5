// What a passage belongs under but may not contain itself: the section heading it sits under (possibly on
// an earlier page), the page's running head (often the chapter title), and the page's figure/table
// captions and footnotes. Indexed as each chunk's "context" (lexical-ranker.ts), at a lower weight than
// the chunk's own text. Works on the page text alone (lines as extracted), so the rules are heuristics:
// - heading: a short line that starts with a section number ("1.10 Executing commands …", "5.7.2 …",
//   "3.1.2 目录", "第三章 文档元素", "附录 A …", a FAQ's "38 如何注释掉…？") and does not read like a
//   sentence or a numbered code line;
// - caption: a line starting "Figure 3:", "Table 2.1", "图 3.1:", "表 A.1:";
// - footnotes: the lines after the last line that is only a small number, in the lower third of the page.
// Attachment ('page' or 'passage'): with 'page' every chunk of a page gets all of its captions and
// footnotes; with 'passage' a footnote goes to the chunk(s) holding its mark (the same small number alone on
// a line of the body, as pdf.js extracts a superscript; a note whose mark is on another page or not found
// goes to every chunk of the page, as before), and a caption to the chunks within CAPTION_REACH characters
// of it (the paragraph next to the figure or table).
import type { Chunk } from './types';

export type ContextAttachment = 'page' | 'passage';

/** Characters around a caption line within which a chunk counts as next to its figure or table. */
export const CAPTION_REACH = 400;

const SECTION_NUMBER = /^(?:\d{1,2}(?:\.\d{1,2}){1,4}|[A-Z](?:\.\d{1,2}){1,3}|第[一二三四五六七八九十百\d]+[章节部分]|附录\s*[A-Z\d]+|(?:Chapter|Appendix|Part)\s+[\dA-Z]+)\s*\S/;
const FAQ_NUMBER = /^\d{1,3}\s+\S.*[？?]$/;
const CAPTION = /^(?:Figure|Fig\.|Table|图|表)\s*[A-Z]?\d+(?:[.-]\d+)*\s*[:：.]/;
const LONE_NUMBER = /^\d{1,2}$/;
const MAX_HEADING = 90;

function isHeading(line: string): boolean {
  if (line.length < 3 || line.length > MAX_HEADING) return false;
  if (FAQ_NUMBER.test(line)) return true;
  if (!SECTION_NUMBER.test(line)) return false;
  // Sentences and leaders ("1.2 Foo . . . . 12", "… the end.") are not headings.
  return !/[.。;；,，]$/.test(line) && !/\.\s?\.\s?\./.test(line);
}

interface PageLines {
  /** Offset of each line in the page text. */
  starts: number[];
  lines: string[];
}

function splitLines(text: string): PageLines {
  const starts: number[] = [];
  const lines: string[] = [];
  let at = 0;
  for (const raw of text.split('\n')) {
    starts.push(at);
    lines.push(raw.trim());
    at += raw.length + 1;
  }
  return { starts, lines };
}

interface PageExtra {
  text: string;
  /** Offsets (in the page text) it belongs to: a caption's own line, a footnote's marks; empty = the whole page. */
  anchors: number[];
  kind: 'caption' | 'footnote';
}

function captionsAndFootnotes(p: PageLines): PageExtra[] {
  const out: PageExtra[] = [];
  p.lines.forEach((l, i) => {
    if (CAPTION.test(l)) out.push({ text: l, anchors: [p.starts[i]], kind: 'caption' });
  });
  const n = p.lines.length;
  let last = -1;
  for (let i = n - 1; i >= Math.floor((2 * n) / 3); i--) {
    if (LONE_NUMBER.test(p.lines[i])) {
      last = i;
      break;
    }
  }
  if (last >= 0) {
    let first = last;
    while (first - 2 >= Math.floor((2 * n) / 3) && LONE_NUMBER.test(p.lines[first - 2])) first -= 2;
    // Notes: each lone number starts one, the lines after it are its text.
    let note: { mark: string; lines: string[] } | undefined;
    const notes: { mark: string; lines: string[] }[] = [];
    for (let i = first; i < n; i++) {
      if (LONE_NUMBER.test(p.lines[i])) notes.push((note = { mark: p.lines[i], lines: [] }));
      else if (note && p.lines[i] !== '') note.lines.push(p.lines[i]);
    }
    for (const nt of notes) {
      if (nt.lines.length === 0) continue;
      const anchors: number[] = [];
      for (let i = 0; i < first; i++) if (p.lines[i] === nt.mark) anchors.push(p.starts[i]);
      for (const line of nt.lines) out.push({ text: line, anchors, kind: 'footnote' });
    }
  }
  return out;
}

/** The extras that belong to a chunk spanning [start, end) of its page. */
function extrasFor(extras: readonly PageExtra[], start: number, end: number, attach: ContextAttachment): string[] {
  return extras
    .filter((x) => {
      if (attach === 'page' || x.anchors.length === 0) return true;
      return x.kind === 'caption'
        ? x.anchors.some((a) => end >= a - CAPTION_REACH && start <= a + CAPTION_REACH)
        : x.anchors.some((a) => a >= start && a < end);
    })
    .map((x) => x.text);
}

/**
 * The context text of each chunk of one document (chunks in document order, as the chunker made them),
 * given the page texts they were cut from (page number → text).
 */
export function chunkContexts(chunks: readonly Chunk[], pageTexts: ReadonlyMap<number, string>, attach: ContextAttachment = 'page'): string[] {
  const out: string[] = [];
  let carried = ''; // last heading of the previous pages
  let page = -1;
  let lines: PageLines = { starts: [], lines: [] };
  let pageExtras: PageExtra[] = [];
  let runningHead = '';
  for (const c of chunks) {
    if (c.page !== page) {
      if (page !== -1) carried = lastHeadingBefore(lines, Infinity) ?? carried;
      page = c.page;
      lines = splitLines(pageTexts.get(page) ?? c.text);
      const first = lines.lines.find((l) => l !== '') ?? '';
      runningHead = first.length <= MAX_HEADING ? first : '';
      pageExtras = captionsAndFootnotes(lines);
    }
    // The heading that governs most of the chunk: the last one starting before its middle.
    const heading = lastHeadingBefore(lines, (c.start + c.end) / 2) ?? carried;
    out.push([runningHead, heading, ...extrasFor(pageExtras, c.start, c.end, attach)].filter((s) => s !== '').join('\n'));
  }
  return out;
}

/** The last heading that starts at or before `offset`; the page's first line is its running head, not one. */
function lastHeadingBefore(p: PageLines, offset: number): string | undefined {
  const first = p.lines.findIndex((l) => l !== '');
  for (let i = p.lines.length - 1; i > first; i--) {
    if (p.starts[i] <= offset && isHeading(p.lines[i])) return p.lines[i];
  }
  return undefined;
}

/** Page texts rebuilt from a document's chunks (chunk.text === page.slice(start, end); chunks overlap). */
export function pageTextsFromChunks(chunks: readonly Chunk[]): Map<number, string> {
  const pages = new Map<number, string>();
  for (const c of chunks) {
    const have = pages.get(c.page) ?? '';
    if (c.end <= have.length) continue;
    const from = Math.max(c.start, have.length);
    pages.set(c.page, have.padEnd(c.start, ' ') + c.text.slice(from - c.start));
  }
  return pages;
}
