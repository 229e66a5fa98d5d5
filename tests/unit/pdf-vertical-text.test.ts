// Vertical CJK writing through real pdf.js: columns read top to bottom, right to left, one line per column,
// next to horizontal text on the same page. The PDFs are generated here: STSong-Light (not embedded) with the
// predefined CMaps UniGB-UCS2-V (vertical) and UniGB-UCS2-H (horizontal), which pdf.js's packed cMaps decode.
import { describe, expect, it } from 'vitest';
import { extractPdf } from '../../src/pdf/extract';
import { createNodePdfjsEnvironment } from '../../src/pdf/pdfjs-node';

// ---------------------------------------------------------------------------------------------------------
// A PDF writer for one page of text pieces in chosen fonts (pdf-helpers' buildPdf has no vertical font).

type FontKey = 'latin' | 'cjkH' | 'cjkV' | 'cjkV2';

interface Piece {
  font: FontKey;
  size: number;
  text: string;
}

/** One BT … ET: the text matrix set to (x, y) (or `matrix`), then each piece shown after its own Tf. */
interface Draw {
  x: number;
  /** PDF user space, origin bottom-left. For vertical fonts, the top of the column's first glyph. */
  y: number;
  pieces: Piece[];
  /** Text matrix [a b c d]; default upright. */
  matrix?: [number, number, number, number];
}

const FONT_NAMES: Record<FontKey, string> = { latin: '/L', cjkH: '/H', cjkV: '/V', cjkV2: '/V2' };

function ucs2Hex(s: string): string {
  let hex = '';
  for (const ch of s) hex += ch.codePointAt(0)!.toString(16).padStart(4, '0').toUpperCase();
  return `<${hex}>`;
}

function showText(p: Piece): string {
  const str = p.font === 'latin' ? '(' + p.text.replace(/[\\()]/g, (c) => '\\' + c) + ')' : ucs2Hex(p.text);
  return `${FONT_NAMES[p.font]} ${p.size} Tf ${str} Tj`;
}

/** A one-page PDF 1.4 (uncompressed, classic xref) drawing `draws` in content-stream order. */
function buildPage(draws: Draw[]): Uint8Array {
  const ops = draws.map((d) => `BT ${(d.matrix ?? [1, 0, 0, 1]).join(' ')} ${d.x} ${d.y} Tm ${d.pieces.map(showText).join(' ')} ET`).join('\n');
  const cidFont = (encoding: string) => `<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /${encoding} /DescendantFonts [4 0 R] >>`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [5 0 R] /Count 1 >>',
    '<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>',
    '<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 3 0 R /DW 1000 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /L 7 0 R /H 8 0 R /V 9 0 R /V2 10 0 R >> >> /Contents 6 0 R >>',
    `<< /Length ${Buffer.byteLength(ops, 'latin1')} >>\nstream\n${ops}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    cidFont('UniGB-UCS2-H'),
    cidFont('UniGB-UCS2-V'),
    // A second vertical font object (pdf.js loads it under another name): switching to it splits the item.
    cidFont('UniGB-UCS2-V'),
  ];
  let out = '%PDF-1.4\n%\xE2\xE3\xCF\xD3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out +=
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` +
    offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('') +
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, 'latin1'));
}

/** A vertical column at x, its first glyph's top at y. */
function column(x: number, text: string, y = 700, size = 20): Draw {
  return { x, y, pieces: [{ font: 'cjkV', size, text }] };
}

/** pdf.js's own text items for the page (what the viewer's text layer is built from), in content-stream order. */
async function textItems(pdf: Uint8Array): Promise<Array<{ str: string; vertical: boolean }>> {
  const env = await createNodePdfjsEnvironment();
  const task = env.lib.getDocument({ data: pdf.slice(), cMapUrl: env.cMapUrl, cMapPacked: true, standardFontDataUrl: env.standardFontDataUrl, disableFontFace: true });
  try {
    const doc = await task.promise;
    const content = await (await doc.getPage(1)).getTextContent();
    return content.items
      .filter((i) => 'str' in i && i.str.trim() !== '')
      .map((i) => ('str' in i ? { str: i.str, vertical: content.styles[i.fontName]?.vertical === true } : { str: '', vertical: false }));
  } finally {
    await task.destroy();
  }
}

async function pageText(pdf: Uint8Array): Promise<string> {
  const r = await extractPdf(pdf);
  expect(r.pages[0].quality).toBe('ok');
  return r.pages[0].text;
}

/** What the viewer's highlight matching compares: text without whitespace. */
const squeeze = (s: string) => s.replace(/\s+/g, '');

const COLUMNS = [column(400, '第一列的文字'), column(370, '第二列的文字'), column(340, '第三列')];

describe('vertical CJK text (pdf.js, vertical CMap)', () => {
  it('reads three columns top to bottom, right to left, a line per column', async () => {
    const pdf = buildPage(COLUMNS);
    const items = await textItems(pdf);
    // The premise: pdf.js reports these items as vertical, one per column.
    expect(items).toEqual([
      { str: '第一列的文字', vertical: true },
      { str: '第二列的文字', vertical: true },
      { str: '第三列', vertical: true },
    ]);
    const text = await pageText(pdf);
    expect(text).toBe('第一列的文字\n第二列的文字\n第三列');
    // The viewer highlights a cited passage by finding its start and end (whitespace removed) in the text
    // layer's items joined in content-stream order; a page written in reading order must match that.
    expect(squeeze(text)).toBe(squeeze(items.map((i) => i.str).join('')));

    // The order is the page's geometry, not the content stream's: columns drawn left to right read the same.
    expect(await pageText(buildPage([...COLUMNS].reverse()))).toBe('第一列的文字\n第二列的文字\n第三列');
  });

  it('reads a long column that pdf.js splits into several items as one column, in order', async () => {
    // Font and size changes inside a column (emphasis, a second font) end pdf.js's item; each column here
    // comes back in three or four pieces, and the pieces of neighbouring columns share their positions.
    const split = (x: number, parts: [string, string, string, string]): Draw => ({
      x,
      y: 740,
      pieces: [
        { font: 'cjkV', size: 20, text: parts[0] },
        { font: 'cjkV', size: 16, text: parts[1] },
        { font: 'cjkV2', size: 20, text: parts[2] },
        { font: 'cjkV', size: 20, text: parts[3] },
      ],
    });
    const pdf = buildPage([split(400, ['天地玄黄', '宇宙洪荒', '日月盈昃', '辰宿列张']), split(370, ['寒来暑往', '秋收冬藏', '闰余成岁', '律吕调阳'])]);
    const items = await textItems(pdf);
    expect(items.length).toBeGreaterThanOrEqual(6);
    expect(items.every((i) => i.vertical)).toBe(true);
    const text = await pageText(pdf);
    expect(text).toBe('天地玄黄宇宙洪荒日月盈昃辰宿列张\n寒来暑往秋收冬藏闰余成岁律吕调阳');
    expect(squeeze(text)).toBe(squeeze(items.map((i) => i.str).join('')));
  });

  it('reads a horizontal title above vertical columns first, as its own block, and a horizontal footer last', async () => {
    const pdf = buildPage([
      { x: 300, y: 750, pieces: [{ font: 'cjkH', size: 24, text: '横排标题' }] },
      ...COLUMNS,
      { x: 290, y: 60, pieces: [{ font: 'latin', size: 10, text: 'Page 1' }] },
    ]);
    expect(await pageText(pdf)).toBe('横排标题\n\n第一列的文字\n第二列的文字\n第三列\n\nPage 1');
  });

  it('keeps a Latin word turned into a column (tate-chu-yoko style, rotated 90°) in its place in the column', async () => {
    // Vertical Japanese and Chinese setting turns Latin words a quarter clockwise to run down the column.
    const pdf = buildPage([
      { x: 400, y: 700, pieces: [{ font: 'cjkV', size: 20, text: '使用' }] },
      // Baseline 0.3 em left of the column's centre line, so the Latin letters sit in the column.
      { x: 394, y: 660, matrix: [0, -1, 1, 0], pieces: [{ font: 'latin', size: 20, text: 'PDF' }] },
      { x: 400, y: 620, pieces: [{ font: 'cjkV', size: 20, text: '文件' }] },
      column(370, '第二列'),
    ]);
    const text = await pageText(pdf);
    expect(text.split('\n')).toHaveLength(2);
    expect(text.split('\n')[0].replace(/ /g, '')).toBe('使用PDF文件');
    expect(text.split('\n')[1]).toBe('第二列');
  });

  it('leaves a horizontal-only CJK page as it was (lines top to bottom, characters left to right)', async () => {
    const pdf = buildPage([
      { x: 72, y: 720, pieces: [{ font: 'latin', size: 12, text: 'Latin line before' }] },
      { x: 72, y: 690, pieces: [{ font: 'cjkH', size: 16, text: '中文测试：描述团队的共同目标' }] },
      { x: 72, y: 668, pieces: [{ font: 'cjkH', size: 16, text: '第二行的文字' }] },
    ]);
    const items = await textItems(pdf);
    expect(items.some((i) => i.vertical)).toBe(false);
    expect(await pageText(pdf)).toBe('Latin line before\n中文测试：描述团队的共同目标\n第二行的文字');
  });

  describe('set glyph by glyph in a horizontal font (LuaTeX-ja tate, kanbun: no vertical CMap)', () => {
    /** Each character its own text matrix: down a column from (x, top), `pitch` ems apart. */
    const glyphColumn = (x: number, text: string, top = 700, size = 20, pitch = 1): Draw[] =>
      Array.from(text).map((ch, i) => ({ x, y: top - i * pitch * size, pieces: [{ font: 'cjkH' as const, size, text: ch }] }));
    /** Each character its own text matrix: along a line from (left, y), `pitch` ems apart. */
    const glyphLine = (y: number, text: string, left = 72, size = 20, pitch = 1): Draw[] =>
      Array.from(text).map((ch, i) => ({ x: left + i * pitch * size, y, pieces: [{ font: 'cjkH' as const, size, text: ch }] }));

    it('columns of single glyphs read top to bottom, right to left, a line per column; the title above them first', async () => {
      const pdf = buildPage([
        { x: 200, y: 760, pieces: [{ font: 'cjkH', size: 20, text: '漢文訓讀' }] },
        ...glyphColumn(400, '子曰學而時習之'),
        ...glyphColumn(370, '不亦說乎有朋'),
        ...glyphColumn(340, '自遠方來'),
      ]);
      // The premise: pdf.js gives every glyph as an upright item of a horizontal font.
      const items = await textItems(pdf);
      expect(items.length).toBe(18);
      expect(items.every((i) => !i.vertical)).toBe(true);
      expect(await pageText(pdf)).toBe('漢文訓讀\n\n子曰學而時習之\n不亦說乎有朋\n自遠方來');
    });

    it("a horizontal manual's code listing with a lone character on line after line stays horizontal (hanzibox.pdf)", async () => {
      // Each line: Latin code, then one Han character in the CJK font (its own item), at the same x on every line.
      const listing = Array.from('十义米口田咪无基实好我你').flatMap((ch, i): Draw[] => [
        { x: 72, y: 700 - i * 22, pieces: [{ font: 'latin', size: 20, text: `${i + 1} \\hanzibox{` }] },
        { x: 250, y: 700 - i * 22, pieces: [{ font: 'cjkH', size: 20, text: ch }] },
        { x: 272, y: 700 - i * 22, pieces: [{ font: 'latin', size: 20, text: '}' }] },
      ]);
      const prose = { x: 72, y: 400, pieces: [{ font: 'cjkH' as const, size: 20, text: '基字符用于计算缩放比例及留空汉字占位处理' }] };
      const lines = (await pageText(buildPage([...listing, prose]))).split('\n');
      expect(lines[0]).toMatch(/^1 \\hanzibox\{ ?十 ?\}$/);
      expect(lines[11]).toMatch(/^12 \\hanzibox\{ ?你 ?\}$/);
    });

    it('text set glyph by glyph across the page stays horizontal, on a loose or a tight grid', async () => {
      for (const leading of [1.5, 1.1]) {
        const lines = ['港口办公室每天', '早上七点开门最', '后一班渡轮离开'];
        const pdf = buildPage(lines.flatMap((line, i) => glyphLine(700 - i * leading * 20, line)));
        expect(await pageText(pdf)).toBe(lines.join('\n'));
      }
    });
  });
});
