// `cli extract --ocr`: the same JSON as plain extract plus "source" per page ("text" from pdf.js, "ocr" from
// Tesseract, with "confidence"); a scan without --ocr fails with NO_TEXT and says how to recognise it.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../temp-dir';
import { buildScanPdf, charRecall, scanText, wordRecall } from './pdf-ocr-helpers';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '--silent', 'cli', '--', ...args], { cwd: repoRoot, timeout: 240_000 }, (err, stdout) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout });
    });
  });
}

const SCANNED = ['A scanned page between two pages of text.', 'Recognition fills in the missing words.'];
const CHINESE_SCANNED = ['扫描的页面只有图像。', '识别以后就能搜索了。'];

describe('cli extract --ocr', () => {
  it('recognises the scanned page of a mixed PDF and marks each page with its source; without --ocr a scan is NO_TEXT', async () => {
    const dir = makeTempDir('pdf-ocr-cli-');
    const mixed = join(dir, 'mixed.pdf');
    const scan = scanText({ lines: SCANNED, font: '"DejaVu Sans"', sizePt: 12, dpi: 200, widthPt: 400, heightPt: 120 });
    writeFileSync(mixed, buildScanPdf([{ text: 'This page has a text layer.' }, { scan }]));
    const scanOnly = join(dir, 'scan.pdf');
    writeFileSync(scanOnly, buildScanPdf([{ scan }]));

    const [withOcr, without, badLang] = await Promise.all([
      cli(['extract', '--pdf', mixed, '--ocr', '--ocr-lang', 'eng']),
      cli(['extract', '--pdf', scanOnly]),
      cli(['extract', '--pdf', scanOnly, '--ocr', '--ocr-lang', 'klingon']),
    ]);

    expect(withOcr.code).toBe(0);
    const out = JSON.parse(withOcr.stdout);
    expect(Object.keys(out).sort()).toEqual(['pages', 'warnings']);
    expect(out.pages[0]).toEqual({ page: 1, label: '1', text: 'This page has a text layer.', quality: 'ok', source: 'text' });
    expect(Object.keys(out.pages[1]).sort()).toEqual(['confidence', 'label', 'page', 'quality', 'source', 'text']);
    expect(out.pages[1]).toMatchObject({ page: 2, label: '2', quality: 'ok', source: 'ocr' });
    expect(wordRecall(SCANNED.join(' '), out.pages[1].text)).toBeGreaterThanOrEqual(0.9);
    expect(out.warnings).toEqual(['Page 2 has text recognised by OCR (eng); recognised text can contain mistakes, so check quotes against the page.']);

    expect(without.code).toBe(2);
    const err = JSON.parse(without.stdout).error;
    expect(err.code).toBe('NO_TEXT');
    expect(err.message).toMatch(/no text layer/);
    expect(err.message).toMatch(/--ocr/);

    expect(badLang.code).toBe(2);
    expect(JSON.parse(badLang.stdout).error).toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringMatching(/klingon/) });
  }, 240_000);

  it('without --ocr-lang, a Chinese PDF\'s scanned page is recognised in Chinese (the language of its own text), not in the English default', async () => {
    const dir = makeTempDir('pdf-ocr-cli-lang-');
    const chinese = join(dir, 'chinese.pdf');
    const texts = ['前三页有文字层，最后一页是扫描的图像。', '为了能搜索扫描页，需要识别它的文字。', '扫描页上的文字是中文，要用中文识别。'];
    const scan = scanText({ lines: CHINESE_SCANNED, font: '"WenQuanYi Zen Hei"', sizePt: 12, dpi: 300, widthPt: 300, heightPt: 90 });
    writeFileSync(chinese, buildScanPdf([...texts.map((text) => ({ text, cjk: true })), { scan }]));
    const r = await cli(['extract', '--pdf', chinese, '--ocr']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.pages.slice(0, 3)).toMatchObject(texts.map((text) => ({ quality: 'ok', source: 'text', text })));
    expect(out.pages[3]).toMatchObject({ quality: 'ok', source: 'ocr' });
    expect(charRecall(CHINESE_SCANNED.join(''), out.pages[3].text)).toBeGreaterThanOrEqual(0.85);
    expect(out.warnings).toContain('Page 4 has text recognised by OCR (eng+chi_sim); recognised text can contain mistakes, so check quotes against the page.');
  }, 240_000);

  it('without --ocr-lang, a scan with no text to judge by is read in the languages its first page reads best with: Traditional Chinese in eng+chi_tra, English in eng', async () => {
    const dir = makeTempDir('pdf-ocr-cli-trial-');
    const traditional = join(dir, 'traditional.pdf');
    const lines = ['這本手冊介紹港口和燈塔的日常工作。', '颱風來臨前，漁船都要回到港內避風。', '燈塔的光每十五秒閃一次。'];
    const second = ['港口辦公室每天早上七點開門，', '最後一班渡輪離開碼頭後關門。'];
    const page = (l: string[]) => ({ scan: scanText({ lines: l, font: '"WenQuanYi Zen Hei"', sizePt: 12, dpi: 300, widthPt: 320, heightPt: 110 }) });
    writeFileSync(traditional, buildScanPdf([page(lines), page(second)]));
    const english = join(dir, 'english.pdf');
    writeFileSync(english, buildScanPdf([{ scan: scanText({ lines: SCANNED, font: '"DejaVu Sans"', sizePt: 12, dpi: 200, widthPt: 400, heightPt: 120 }) }]));
    const [tw, en] = [await cli(['extract', '--pdf', traditional, '--ocr']), await cli(['extract', '--pdf', english, '--ocr'])];
    expect(tw.code).toBe(0);
    const out = JSON.parse(tw.stdout);
    expect(out.pages.map((p: { page: number }) => p.page)).toEqual([1, 2]);
    expect(out.warnings).toContain('Pages 1–2 have text recognised by OCR (eng+chi_tra); recognised text can contain mistakes, so check quotes against the page.');
    expect(charRecall(lines.join(''), out.pages[0].text)).toBeGreaterThanOrEqual(0.85);
    expect(charRecall(second.join(''), out.pages[1].text)).toBeGreaterThanOrEqual(0.85);
    expect(en.code).toBe(0);
    expect(JSON.parse(en.stdout).warnings).toEqual(['Page 1 has text recognised by OCR (eng); recognised text can contain mistakes, so check quotes against the page.']);
  }, 240_000);

  it('without --ocr-lang, a scan whose first page says too little (a cover with a short title) is judged by the next page: Traditional Chinese in eng+chi_tra, the cover too', async () => {
    const dir = makeTempDir('pdf-ocr-cli-cover-');
    const file = join(dir, 'cover.pdf');
    const lines = ['這本手冊介紹港口和燈塔的日常工作。', '颱風來臨前，漁船都要回到港內避風。', '燈塔的光每十五秒閃一次。'];
    const cover = { scan: scanText({ lines: ['港口手冊'], font: '"WenQuanYi Zen Hei"', sizePt: 28, dpi: 300, widthPt: 320, heightPt: 200 }) };
    const body = { scan: scanText({ lines, font: '"WenQuanYi Zen Hei"', sizePt: 12, dpi: 300, widthPt: 320, heightPt: 110 }) };
    writeFileSync(file, buildScanPdf([cover, body]));
    const r = await cli(['extract', '--pdf', file, '--ocr']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    // (Judged by the cover alone, the English guess stood and the body came out as Latin letters: recall 0.)
    expect(out.warnings).toContain('Pages 1–2 have text recognised by OCR (eng+chi_tra); recognised text can contain mistakes, so check quotes against the page.');
    expect(charRecall(lines.join(''), out.pages[1].text)).toBeGreaterThanOrEqual(0.85);
    expect(charRecall('港口手冊', out.pages[0].text)).toBeGreaterThanOrEqual(0.75);
  }, 240_000);
});
