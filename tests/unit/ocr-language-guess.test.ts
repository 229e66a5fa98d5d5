// The OCR languages a document's own text suggests (src/pdf/ocr-language-guess.ts), on text pdf.js extracts from
// PDFs written here: a Chinese manual's text (English commands in it) is Chinese, an English one with a Chinese
// name in it is English, and a scan (no text pages) leaves the choice to the UI language.
import { describe, expect, it } from 'vitest';
import { extractPdf } from '../../src/pdf/extract';
import { documentOcrLanguages, isTraditionalLocale, ocrLanguagesFromText } from '../../src/pdf/ocr-language-guess';
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

  it('Traditional Chinese text (a Taiwan manual) → eng + chi_tra; Simplified text with a Traditional name in it stays chi_sim', async () => {
    const tw = await extractPdf(buildPdf({ pages: [{ lines: zhLines(['在終端機裡執行 sudo apt install texlive-full 安裝完整的發行版。', '安裝以後用 xelatex 編譯含有中文的文件，', '並在導言區載入 ctex 巨集套件。']) }] }));
    expect(ocrLanguagesFromText(tw.pages)).toEqual(['eng', 'chi_tra']);
    const cn = await extractPdf(buildPdf({ pages: [{ lines: zhLines(['这份说明书由臺灣的一位作者写成，但全文用简体字排印。', '安装以后用 xelatex 编译含有中文的文档，并在导言区加载 ctex 宏包。']) }] }));
    expect(ocrLanguagesFromText(cn.pages)).toEqual(['eng', 'chi_sim']);
  });

  it("the document's script decides the Chinese model over the UI's; without text to judge by, the UI's languages", () => {
    expect(documentOcrLanguages(['eng', 'chi_sim'], ['eng', 'chi_tra'])).toEqual(['eng', 'chi_tra']);
    expect(documentOcrLanguages(['eng', 'chi_tra'], ['eng', 'chi_sim'])).toEqual(['eng', 'chi_sim']);
    expect(documentOcrLanguages(['eng'], ['eng', 'chi_tra'])).toEqual(['eng', 'chi_tra']);
    expect(documentOcrLanguages(['eng', 'chi_tra'], ['eng'])).toEqual(['eng', 'chi_tra']);
    expect(documentOcrLanguages(['eng', 'chi_tra'], null)).toEqual(['eng', 'chi_tra']);
  });

  it('browser languages written in Traditional characters', () => {
    for (const tag of ['zh-TW', 'zh-hk', 'zh-MO', 'zh-Hant', 'zh-Hant-CN']) expect(isTraditionalLocale(tag)).toBe(true);
    for (const tag of ['zh', 'zh-CN', 'zh-SG', 'zh-Hans', 'zh-Hans-HK', 'en-TW']) expect(isTraditionalLocale(tag)).toBe(false);
  });
});
