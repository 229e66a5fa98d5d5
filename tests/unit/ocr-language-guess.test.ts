// The OCR languages a document's own text suggests (src/pdf/ocr-language-guess.ts), on text pdf.js extracts from
// PDFs written here: a Chinese manual's text (English commands in it) is Chinese, an English one with a Chinese
// name in it is English, and a scan (no text pages) leaves the choice to the UI language.
import { describe, expect, it } from 'vitest';
import { extractPdf } from '../../src/pdf/extract';
import { ocrLanguagesFromText } from '../../src/pdf/ocr-language-guess';
import { bodyLines, buildPdf } from './pdf-helpers';

const zhLines = (texts: string[]) => texts.map((text, i) => ({ x: 72, y: 720 - 16 * i, text, font: 'cjk' as const, size: 11 }));

describe("OCR languages from the document's own text", () => {
  it('a Chinese manual with English commands in it → eng + chi_sim; an English text naming a Chinese place → eng', async () => {
    const zh = await extractPdf(buildPdf({ pages: [{ lines: zhLines(['在终端里运行 sudo apt install texlive-full 安装完整的发行版。', '安装以后用 xelatex 编译含有中文的文档，', '并在导言区加载 ctex 宏包。']) }] }));
    expect(ocrLanguagesFromText(zh.pages)).toEqual(['eng', 'chi_sim']);
    const en = await extractPdf(buildPdf({ pages: [{ lines: [...bodyLines(['The conference was held in Beijing, whose name is written', 'in Chinese characters on the cover of the proceedings.']), { x: 72, y: 600, text: '北京', font: 'cjk' }] }] }));
    expect(en.pages[0].text).toContain('北京');
    expect(ocrLanguagesFromText(en.pages)).toEqual(['eng']);
  });

  it('too little text to judge (a scan, a page number) → null; garbled and empty pages do not count', () => {
    expect(ocrLanguagesFromText([])).toBeNull();
    expect(ocrLanguagesFromText([{ quality: 'ok', text: '12' }, { quality: 'ok', text: 'Page 3' }])).toBeNull();
    expect(ocrLanguagesFromText([{ quality: 'garbled', text: '这是乱码'.repeat(40) }, { quality: 'ok', text: 'English words on the only readable page of this document, enough to judge by.' }])).toEqual(['eng']);
  });
});
