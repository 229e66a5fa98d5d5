// Chinese (or Japanese) text set letter-spaced — a justified line whose characters were spread out — comes out of
// pdf.js with a space between every two characters ("对 于 一 个 物 理 设 备", debian-reference.zh-cn.pdf p. 34).
// Chinese puts no spaces between words, so search would see single characters only. The extracted text closes such
// runs up; a space between words (a table row) stays. Real pdf.js on a PDF written here: each character placed on
// its own, 0.3 em apart.
import { describe, expect, it } from 'vitest';
import { closeLetterSpacedCjk } from '../../src/pdf/clean-text';
import { extractPdf } from '../../src/pdf/extract';
import { lexicalTerms } from '../../src/retrieval/lexical-terms';
import { buildPdf, type TextLine } from './pdf-helpers';

/** One character at a time, `trackEm` of extra space after each (size 12). */
function spread(text: string, x: number, y: number, trackEm: number): TextLine[] {
  return [...text].map((ch, i) => ({ x: x + i * 12 * (1 + trackEm), y, text: ch, font: 'cjk' as const, size: 12 }));
}

describe('letter-spaced CJK text', () => {
  it('a spread-out Chinese line is extracted closed up; the words of a table row keep their spaces', async () => {
    const row = ['软件包', '流行度', '大小'].map((w, i) => ({ x: 72 + i * 120, y: 600, text: w, font: 'cjk' as const, size: 12 }));
    const pdf = buildPdf({ pages: [{ lines: [...spread('对于一个物理设备没有特定的目录路径名', 72, 700, 0.3), ...row] }] });
    const { pages } = await extractPdf(pdf);
    const lines = pages[0].text.split('\n');
    expect(lines).toContain('对于一个物理设备没有特定的目录路径名');
    expect(lines).toContain('软件包 流行度 大小');
    // Search sees the words' character pairs again.
    expect(lexicalTerms(pages[0].text)).toEqual(expect.arrayContaining(['物理', '设备', '目录']));
  });

  it('closes runs of three or more single characters one space apart, Han and kana; leaves two, words and Hangul', () => {
    expect(closeLetterSpacedCjk('• 对 于 一 个 物 理 设 备, 是 没 有 一 个')).toBe('• 对于一个物理设备, 是没有一个');
    expect(closeLetterSpacedCjk('オ ー プ ン ソ ー ス')).toBe('オープンソース');
    expect(closeLetterSpacedCjk('我 们')).toBe('我 们');
    expect(closeLetterSpacedCjk('Debian 系统当前的 测试版')).toBe('Debian 系统当前的 测试版');
    expect(closeLetterSpacedCjk('한 국 어')).toBe('한 국 어');
    expect(closeLetterSpacedCjk('a b c d')).toBe('a b c d');
  });
});
