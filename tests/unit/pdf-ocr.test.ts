// OCR of image-only PDFs in Node (real pdf.js rendering, real Tesseract in a worker thread): English at 200 dpi
// and (slightly rotated) 150 dpi, Chinese at 300 dpi, generated here from rendered text; the scanned fixture
// becomes searchable; Cancel stops inside a page; scans without OCR still fail with NO_TEXT.
import { afterAll, describe, expect, it } from 'vitest';
import { extractPdf } from '../../src/pdf/extract';
import { createNodeRecogniser, ocrPdf } from '../../src/pdf/ocr-node';
import { mergeOcrPages, pagesNeedingOcr } from '../../src/pdf/ocr-merge';
import { joinLineWords, pageFromTesseract } from '../../src/pdf/ocr-text';
import { parseOcrLanguages } from '../../src/pdf/ocr-types';
import type { OcrPage } from '../../src/pdf/ocr-types';
import { DocumentLibrary } from '../../src/retrieval/library';
import { MemoryStore } from '../../src/retrieval/store';
import { errorOf, fixture, HAVE_FIXTURES, SKIP_REASON } from './pdf-helpers';
import { OCR_SAMPLE_ENGLISH, buildScanPdf, charRecall, scanText, wordRecall } from './pdf-ocr-helpers';

const ENGLISH = OCR_SAMPLE_ENGLISH;
const CHINESE = ['扫描的文件只有图像，没有文字层。', '光学字符识别把页面上的像素变回文字，', '这样就可以搜索和引用这些页面。', '每一页都会在浏览器里单独识别。'];
// The same in Traditional characters and Taiwan wording.
const TRADITIONAL = ['掃描的檔案只有影像，沒有文字層。', '光學字元辨識把頁面上的像素變回文字，', '這樣就可以搜尋和引用這些頁面。', '每一頁都會在瀏覽器裡單獨辨識。'];

const english200 = scanText({ lines: ENGLISH, font: '"DejaVu Serif", serif', sizePt: 11, dpi: 200, widthPt: 432, heightPt: 200 });
const englishRotated150 = scanText({ lines: ENGLISH, font: '"DejaVu Sans", sans-serif', sizePt: 11, dpi: 150, widthPt: 432, heightPt: 220, rotateDeg: 1.5 });
const chinese300 = scanText({ lines: CHINESE, font: '"WenQuanYi Zen Hei"', sizePt: 12, dpi: 300, widthPt: 300, heightPt: 160 });
const traditional300 = scanText({ lines: TRADITIONAL, font: '"WenQuanYi Zen Hei"', sizePt: 12, dpi: 300, widthPt: 300, heightPt: 160 });

// One recogniser per language set for the whole file: the worker and its language data load once.
const eng = createNodeRecogniser(['eng']);
const chi = createNodeRecogniser(['chi_sim']);
const both = createNodeRecogniser(['chi_sim', 'eng']);
const traditional = createNodeRecogniser(['eng', 'chi_tra']);
afterAll(async () => {
  await Promise.all([eng.dispose(), chi.dispose(), both.dispose(), traditional.dispose()]);
});

function report(name: string, page: OcrPage, recall: number): void {
  console.log(`[ocr] ${name}: recall ${recall.toFixed(3)}, ${page.dpi} dpi, mean confidence ${page.confidence}, ${page.words.length} words`);
}

describe('OCR text assembly', () => {
  it('joins words with spaces, but not between two CJK characters', () => {
    expect(joinLineWords(['Hello', 'world.'])).toBe('Hello world.');
    expect(joinLineWords(['扫描', '的', '文件', '，', '共', '3', '页'])).toBe('扫描的文件，共 3 页');
    expect(joinLineWords(['PDF', '文件'])).toBe('PDF 文件');
    // Punctuation read as a word of its own (chi_tra's commas) joins the Chinese on either side; not English.
    // … written full width after Chinese, and ",。" (chi_tra's reading of a full stop) is the full stop.
    expect(joinLineWords(['影像', ',', '沒有', '文字層', ',。'])).toBe('影像，沒有文字層。');
    expect(joinLineWords(['是否', '?', 'PDF', ':', 'yes'])).toBe('是否？ PDF : yes');
    expect(joinLineWords(['yes', '-', 'no', ','])).toBe('yes - no ,');
  });

  it('turns Tesseract boxes (render pixels) into page points and lines/paragraphs into text', () => {
    const w = (text: string, x0: number, x1 = x0 + 50) => ({ text, confidence: 90, bbox: { x0, y0: 100, x1, y1: 130 } });
    const line = (words: ReturnType<typeof w>[]) => ({ words, bbox: { x0: 0, y0: 96, x1: 400, y1: 136 } });
    const blocks = [
      { paragraphs: [{ lines: [line([w('recog-', 0)]), line([w('nition', 0), w('works', 60), w('灯塔', 200, 400), w('看', 240)])] }, { lines: [{ words: [w('Next', 0), w(' ', 40)] }] }] },
    ];
    const out = pageFromTesseract(blocks, 2);
    expect(out.text).toBe('recognition works 灯塔看\n\nNext');
    expect(out.words.map((x) => x.text)).toEqual(['recog-', 'nition', 'works', '灯塔', '看', 'Next']);
    // Halved (scale 2); the line's height; a narrow gap closed (nition → works); a box that runs over the next
    // word cut at its start (灯塔 → 看); a wide gap kept (works → 灯塔).
    expect(out.words[1]).toMatchObject({ x0: 0, y0: 48, x1: 30, y1: 68 });
    expect(out.words[2]).toMatchObject({ x0: 30, y0: 48, x1: 55, y1: 68 });
    expect(out.words[3]).toMatchObject({ x0: 100, x1: 120 });
    expect(out.words[5]).toMatchObject({ x0: 0, y0: 50, x1: 25, y1: 65 });
    expect(out.confidence).toBe(90);
    // A mark read as its own word after Chinese is full width in the words too, as in the text.
    const marks = pageFromTesseract([{ paragraphs: [{ lines: [line([w('影像', 0), w(',', 50), w('沒有', 60), w(',。', 110)])] }] }], 1);
    expect(marks.text).toBe('影像，沒有。');
    expect(marks.words.map((x) => x.text)).toEqual(['影像', '，', '沒有', '。']);
  });

  it('accepts eng, chi_sim, chi_tra and English with either, and rejects other languages', () => {
    expect(parseOcrLanguages('eng')).toEqual(['eng']);
    expect(parseOcrLanguages('chi_tra+eng')).toEqual(['eng', 'chi_tra']);
    // English first, whatever the order asked for (see tesseractOrder).
    expect(parseOcrLanguages('chi_sim+eng')).toEqual(['eng', 'chi_sim']);
    expect(() => parseOcrLanguages('deu')).toThrow(/Unknown OCR language "deu"/);
  });

  it('merges recognised pages into an extraction result and rewrites the OCR advice', () => {
    const result = {
      pageCount: 3,
      pages: [
        { page: 1, label: '1', text: 'Real text', quality: 'ok' as const },
        { page: 2, label: '2', text: '', quality: 'empty' as const },
        { page: 3, label: '3', text: '', quality: 'garbled' as const },
      ],
      warnings: ['Page 2 has no text layer (images or blank pages). Run OCR on the PDF if they hold text.'],
    };
    expect(pagesNeedingOcr(result, 3, { garbled: false })).toEqual([2]);
    expect(pagesNeedingOcr(result, 3, { garbled: true })).toEqual([2, 3]);
    expect(pagesNeedingOcr(null, 3, { garbled: false })).toEqual([1, 2, 3]);
    const ocr = (page: number, text: string): OcrPage => ({ page, label: String(page), text, quality: text ? 'ok' : 'empty', source: 'ocr', languages: ['eng'], confidence: 80, dpi: 300, width: 612, height: 792, words: [] });
    const merged = mergeOcrPages(result, [ocr(2, 'Scanned words'), ocr(3, '')], 3);
    expect(merged.pages.map((p) => [p.source, p.quality, p.text])).toEqual([
      ['text', 'ok', 'Real text'],
      ['ocr', 'ok', 'Scanned words'],
      ['ocr', 'empty', ''],
    ]);
    expect(merged.warnings).toEqual([
      'Page 2 has text recognised by OCR (eng); recognised text can contain mistakes, so check quotes against the page.',
      'Page 3 has no text that OCR could recognise (blank pages or pictures).',
    ]);
    expect(() => mergeOcrPages(null, [ocr(1, '')], 1)).toThrow(/not even by OCR/);
  });
});

describe('OCR of image-only PDFs', () => {
  it('without OCR, an image-only PDF still fails with NO_TEXT', async () => {
    const err = await errorOf(extractPdf(buildScanPdf([{ scan: english200 }])));
    expect(err.code).toBe('NO_TEXT');
    expect(err.message).toMatch(/no text layer/);
  });

  it('recognises English scanned at 200 dpi (word recall >= 0.9) with word boxes where the words are', async () => {
    const { pages, failed, pageCount } = await ocrPdf(buildScanPdf([{ scan: english200 }]), { languages: ['eng'], recogniser: eng });
    expect(failed).toEqual([]);
    expect(pageCount).toBe(1);
    const page = pages[0];
    const recall = wordRecall(ENGLISH.join(' '), page.text);
    report('English 200 dpi', page, recall);
    expect(recall).toBeGreaterThanOrEqual(0.9);
    expect(page).toMatchObject({ page: 1, label: '1', source: 'ocr', quality: 'ok', dpi: 200, width: 432, height: 200, languages: ['eng'] });
    // Boxes are in page points: every one inside the page, and the first word starts at the left margin on
    // the first baseline.
    for (const w of page.words) {
      expect(w.x0).toBeGreaterThanOrEqual(0);
      expect(w.x1).toBeLessThanOrEqual(432);
      expect(w.y1).toBeLessThanOrEqual(200);
      expect(w.x1).toBeGreaterThan(w.x0);
    }
    const first = page.words.find((w) => w.text === 'Optical')!;
    expect(Math.abs(first.x0 - english200.marginPt)).toBeLessThan(3);
    expect(first.y0).toBeLessThan(english200.baselinesPt[0]);
    expect(first.y1).toBeGreaterThan(english200.baselinesPt[0] - 1);
    const last = page.words.find((w) => w.text === 'again.')!;
    expect(last.y0).toBeLessThan(english200.baselinesPt[4]);
    expect(last.y1).toBeGreaterThan(english200.baselinesPt[4] - 1);
  }, 180_000);

  it('recognises English scanned askew (1.5 degrees) at 150 dpi with word recall >= 0.9', async () => {
    const { pages } = await ocrPdf(buildScanPdf([{ scan: englishRotated150 }]), { languages: ['eng'], recogniser: eng });
    const recall = wordRecall(ENGLISH.join(' '), pages[0].text);
    report('English 150 dpi, rotated 1.5 degrees', pages[0], recall);
    expect(pages[0].dpi).toBe(150);
    expect(recall).toBeGreaterThanOrEqual(0.9);
  }, 180_000);

  it('recognises Chinese scanned at 300 dpi (character recall >= 0.85), without spaces between characters', async () => {
    const { pages } = await ocrPdf(buildScanPdf([{ scan: chinese300 }]), { languages: ['chi_sim'], recogniser: chi });
    const recall = charRecall(CHINESE.join(''), pages[0].text);
    report('Chinese 300 dpi', pages[0], recall);
    expect(pages[0].dpi).toBe(300);
    expect(recall).toBeGreaterThanOrEqual(0.85);
    expect(pages[0].text).not.toMatch(/\p{Script=Han} \p{Script=Han}/u);
    expect(pages[0].text.split('\n')).toHaveLength(CHINESE.length);
  }, 180_000);

  it('recognises Traditional Chinese at 300 dpi with eng+chi_tra (character recall >= 0.85), where chi_sim misreads it', async () => {
    const pdf = buildScanPdf([{ scan: traditional300 }]);
    const { pages } = await ocrPdf(pdf, { languages: ['chi_tra', 'eng'], recogniser: traditional });
    expect(pages[0].languages).toEqual(['eng', 'chi_tra']);
    const recall = charRecall(TRADITIONAL.join(''), pages[0].text);
    report('Traditional Chinese 300 dpi (eng+chi_tra)', pages[0], recall);
    expect(recall).toBeGreaterThanOrEqual(0.85);
    expect(pages[0].text).not.toMatch(/\p{Script=Han} [,.;:!?，。] ?\p{Script=Han}/u);
    // The Simplified model on the same page: it writes Simplified forms and misreads others (頁 → 真).
    const sim = (await ocrPdf(pdf, { languages: ['chi_sim'], recogniser: chi })).pages[0];
    const simRecall = charRecall(TRADITIONAL.join(''), sim.text);
    report('Traditional Chinese 300 dpi (chi_sim)', sim, simRecall);
    expect(simRecall).toBeLessThan(recall - 0.2);
  }, 180_000);

  it('recognises a page of English and Chinese with both languages (eng+chi_sim)', async () => {
    const lines = [ENGLISH[0], CHINESE[0], ENGLISH[1], CHINESE[1]];
    const mixed = scanText({ lines, font: '"DejaVu Sans", "WenQuanYi Zen Hei"', sizePt: 11, dpi: 300, widthPt: 432, heightPt: 150 });
    const { pages } = await ocrPdf(buildScanPdf([{ scan: mixed }]), { languages: ['chi_sim', 'eng'], recogniser: both });
    expect(pages[0].languages).toEqual(['eng', 'chi_sim']);
    const words = wordRecall(`${ENGLISH[0]} ${ENGLISH[1]}`, pages[0].text);
    const chars = charRecall(CHINESE[0] + CHINESE[1], pages[0].text);
    report('English + Chinese 300 dpi (words)', pages[0], words);
    report('English + Chinese 300 dpi (characters)', pages[0], chars);
    expect(words).toBeGreaterThanOrEqual(0.9);
    expect(chars).toBeGreaterThanOrEqual(0.85);
  }, 180_000);

  it('Cancel stops inside a page (the worker is terminated), and the recogniser works again afterwards', async () => {
    const controller = new AbortController();
    let abortedAt = -1;
    let pagesDone = 0;
    const run = ocrPdf(buildScanPdf([{ scan: english200 }, { scan: english200 }]), {
      languages: ['eng'],
      recogniser: eng,
      signal: controller.signal,
      onProgress: (p) => {
        // Abort part-way through Tesseract's pass over the first page.
        if (!controller.signal.aborted && p.stage === 'recognising' && p.pageFraction > 0 && p.pageFraction < 1) {
          abortedAt = p.pageFraction;
          controller.abort();
        }
      },
      onPage: () => pagesDone++,
    });
    const err = await errorOf(run);
    expect(err.code).toBe('ABORTED');
    expect(abortedAt).toBeGreaterThan(0);
    expect(pagesDone).toBe(0);
    // A new worker is started for the next page.
    const small = scanText({ lines: ['Recognition resumes after a cancel.'], font: '"DejaVu Sans"', sizePt: 12, dpi: 200, widthPt: 300, heightPt: 60, marginPt: 12 });
    const { pages } = await ocrPdf(buildScanPdf([{ scan: small }]), { languages: ['eng'], recogniser: eng });
    expect(wordRecall('Recognition resumes after a cancel.', pages[0].text)).toBeGreaterThanOrEqual(0.8);
  }, 180_000);
});

describe('one recogniser, several documents', () => {
  it('queues recognitions; cancelling one that waits leaves the running one alone', async () => {
    const line = (text: string) => scanText({ lines: [text], font: '"DejaVu Sans"', sizePt: 12, dpi: 200, widthPt: 300, heightPt: 60, marginPt: 12 }).png;
    const text = (blocks: Awaited<ReturnType<typeof eng.recognise>>) => pageFromTesseract(blocks, 1).text;
    const waiting = new AbortController();
    // All three enter the queue at once; the third is cancelled while the first runs.
    const first = eng.recognise(line('The first document is recognised.'), { dpi: 200 });
    const second = eng.recognise(line('The second document waits its turn.'), { dpi: 200 });
    const third = eng.recognise(line('The third document is cancelled.'), { dpi: 200, signal: waiting.signal });
    waiting.abort();
    expect((await errorOf(third)).code).toBe('ABORTED');
    expect(wordRecall('The first document is recognised.', text(await first))).toBeGreaterThanOrEqual(0.8);
    expect(wordRecall('The second document waits its turn.', text(await second))).toBeGreaterThanOrEqual(0.8);
  }, 180_000);
});

describe.skipIf(!HAVE_FIXTURES)('fixtures: a scan and a garbled text layer', () => {
  if (!HAVE_FIXTURES) console.warn(SKIP_REASON);
  it('has no text layer, and after OCR its page is found by a search for the words on it', async () => {
    const data = fixture('issue7229.pdf');
    expect((await errorOf(extractPdf(data))).code).toBe('NO_TEXT');
    // Page 1 only: the test should not take a minute per page on a slow machine.
    const { pages, pageCount } = await ocrPdf(data, { languages: ['eng'], recogniser: eng, pages: [1] });
    expect(pageCount).toBe(2);
    const page = pages[0];
    console.log(`[ocr] issue7229.pdf page 1: ${page.dpi} dpi, ${page.words.length} words, mean confidence ${page.confidence}`);
    expect(page.dpi).toBe(200);
    expect(page.text).toMatch(/Certificate of periodic technical inspection/i);
    const merged = mergeOcrPages(null, pages, pageCount);
    const lib = await DocumentLibrary.open({ store: new MemoryStore() });
    await lib.add('scan', 'issue7229.pdf', merged.pages.filter((p) => p.quality === 'ok'));
    const res = await lib.search('periodic technical inspection certificate', { topK: 3 });
    expect(res.results[0]).toMatchObject({ docId: 'scan', page: 1 });
  }, 240_000);

  it('recognises a page whose text layer is garbled (TAMReview.pdf page 2, vector text: rendered at 300 dpi)', async () => {
    const data = fixture('TAMReview.pdf');
    const extracted = await extractPdf(data);
    expect(extracted.pages[1].quality).toBe('garbled');
    expect(pagesNeedingOcr(extracted, extracted.pageCount, { garbled: true })).toContain(2);
    const { pages } = await ocrPdf(data, { languages: ['eng'], recogniser: eng, pages: [2] });
    expect(pages[0].dpi).toBe(300);
    expect(pages[0].text).toMatch(/Overview of the Technology Acceptance Model/);
    const merged = mergeOcrPages(extracted, pages, extracted.pageCount);
    expect(merged.pages[1]).toMatchObject({ page: 2, source: 'ocr', quality: 'ok' });
    expect(merged.pages[2]).toMatchObject({ page: 3, source: 'text', quality: 'garbled' });
    expect(merged.pages[0]).toMatchObject({ page: 1, source: 'text', quality: 'ok' });
  }, 240_000);
});
