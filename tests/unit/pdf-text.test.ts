// Pure text logic of src/pdf (no pdf.js): cleaning, quality, reading order on hand-placed runs.
import { describe, expect, it } from 'vitest';
import { cleanPageText, expandLigatures, mapTexControlCodes, repairHyphenation } from '../../src/pdf/clean-text';
import { formatPageRanges, pagesSubject } from '../../src/pdf/page-ranges';
import { placeRun, type Matrix, type PositionedRun } from '../../src/pdf/positioned-text';
import { assessTextQuality } from '../../src/pdf/quality';
import { layoutText } from '../../src/pdf/reading-order';

const UPRIGHT: Matrix = [1, 0, 0, -1, 0, 792]; // pdf.js viewport of an unrotated 612x792 page at scale 1

function run(str: string, x: number, y: number, order: number, size = 10): PositionedRun {
  // ~0.5 em per character, like Helvetica on average.
  return placeRun(str, [size, 0, 0, size, x, y], str.length * 0.5 * size, UPRIGHT, false, order)!;
}

describe('cleanPageText', () => {
  it('expands Unicode ligatures and TeX T1 ligature codes, and maps T1 quotes', () => {
    expect(expandLigatures('e\uFB03cient \uFB01nd')).toBe('efficient find');
    expect(mapTexControlCodes('signi\x1Cer su\x1Ece \x10Workers\x11')).toBe('signifier suffice \u201CWorkers\u201D');
    const out = cleanPageText('The signi\x1Cer will su\x1Ece.\x07\x00 \uFEFFZero\u200Bwidth\uFFFD');
    expect(out).toBe('The signifier will suffice. Zerowidth');
    expect(out).not.toMatch(/[\x00-\x08\x0B-\x1F\uFB00-\uFB06]/);
  });

  it('removes control characters that are not T1 codes, and never leaves any', () => {
    const junk = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('');
    const out = cleanPageText(`a${junk}b \x7F\x85c`);
    expect(out).not.toMatch(/[\x00-\x08\x0B-\x1F\x7F-\x9F]/);
    expect(out.startsWith('a')).toBe(true);
  });

  it('repairs line-end hyphenation but keeps real compounds and non-word hyphens', () => {
    expect(repairHyphenation('the rela-\ntionship of')).toBe('the relationship of');
    expect(repairHyphenation('a well-known fact; it is well-\nknown')).toBe('a well-known fact; it is well-known');
    expect(repairHyphenation('Trace-\nMonkey')).toBe('Trace-\nMonkey'); // capitalised continuation: a name, not a split word
    expect(repairHyphenation('in 2026-\n2027')).toBe('in 2026-\n2027');
    expect(cleanPageText('hyphen\u00AD\nated text')).toBe('hyphenated text');
  });

  it('tidies whitespace: no-break spaces, runs of spaces, trailing spaces, blank-line runs', () => {
    expect(cleanPageText('a\u00A0\u00A0b   c  \n\n\n\nd\t e')).toBe('a b c\n\nd e');
  });
});

describe('assessTextQuality', () => {
  it('flags a control-character text layer as garbled, clean text as ok, nothing as empty', () => {
    expect(assessTextQuality('\x02\x03\x04\x05\x03\x06 \x04\x07\x08 ab').quality).toBe('garbled');
    expect(assessTextQuality('Ordinary text with two ligature codes signi\x1Cer su\x1Ece.').quality).toBe('ok');
    expect(assessTextQuality('  \n ').quality).toBe('empty');
  });
});

describe('formatPageRanges', () => {
  it('compresses runs of pages', () => expect(formatPageRanges([9, 2, 3, 4, 7, 10])).toBe('2–4, 7, 9–10'));
  it('agrees in number', () => {
    expect(pagesSubject([4])).toBe('Page 4 has');
    expect(pagesSubject([4, 5])).toBe('Pages 4–5 have');
  });
});

describe('layoutText (reading order)', () => {
  it('reads a two-column page column by column, even when the content stream interleaves the columns', () => {
    const runs: PositionedRun[] = [];
    let order = 0;
    // Content stream order: left line i, right line i, left line i+1 ... (worst case for a naive sort).
    for (let i = 0; i < 12; i++) {
      runs.push(run(`Left column sentence number ${i} goes here`, 72, 700 - i * 12, order++));
      runs.push(run(`Right column sentence number ${i} goes here`, 320, 700 - i * 12, order++));
    }
    const text = layoutText(runs);
    const lines = text.split('\n').filter(Boolean);
    expect(lines.slice(0, 12).every((l) => l.startsWith('Left'))).toBe(true);
    expect(lines.slice(12).every((l) => l.startsWith('Right'))).toBe(true);
    expect(lines[0]).toBe('Left column sentence number 0 goes here');
  });

  it('keeps a full-width title above the columns and a full-width footer below them', () => {
    const runs: PositionedRun[] = [run('A Title That Spans Both Columns Of The Page', 150, 740, 0, 14)];
    let order = 1;
    for (let i = 0; i < 6; i++) runs.push(run(`left text line ${i} with several words`, 72, 700 - i * 12, order++));
    for (let i = 0; i < 6; i++) runs.push(run(`right text line ${i} with several words`, 320, 700 - i * 12, order++));
    runs.push(run('A footer that also spans the whole width of the page, left to right', 72, 560, order++));
    const text = layoutText(runs);
    const pos = (s: string) => text.indexOf(s);
    expect(pos('A Title')).toBe(0);
    expect(pos('left text line 5')).toBeLessThan(pos('right text line 0'));
    expect(pos('right text line 5')).toBeLessThan(pos('A footer'));
  });

  it('reads table rows as rows (narrow cells are not columns), and a wide space inside a line is not a gutter', () => {
    const runs = [run('Revenue', 72, 700, 0), run('275.5', 200, 700, 1), run('295.6', 260, 700, 2), run('EBITA', 72, 688, 3), run('8.8', 200, 688, 4), run('10.3', 260, 688, 5)];
    expect(layoutText(runs)).toBe('Revenue 275.5 295.6\nEBITA 8.8 10.3');
    const sentence = [run('ers of the World, Unite!', 72, 700, 0), run('For Havel, the action was', 210, 700, 1), run('thought on the part of the petty merchant', 72, 688, 2)];
    expect(layoutText(sentence)).toBe('ers of the World, Unite! For Havel, the action was\nthought on the part of the petty merchant');
  });

  it('undoes page rotation: a /Rotate 90 page reads like an upright one', () => {
    // /Rotate 90 viewport at scale 1 for a 612x792 page (as pdf.js builds it), text drawn upwards in user space.
    const rotated: Matrix = [0, 1, 1, 0, 0, 0];
    const a = placeRun('first line', [0, 12, -12, 0, 101, 72], 60, rotated, false, 0)!;
    const b = placeRun('second line', [0, 12, -12, 0, 115, 72], 66, rotated, false, 1)!;
    expect(a.rotation).toBe(0);
    expect(layoutText([b, a])).toBe('first line\nsecond line');
  });
});
