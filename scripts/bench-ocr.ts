// Seconds per page of OCR in Node (pdf.js render + Tesseract in its worker thread), one recogniser per
// language set, warmed up first (the worker and language data load once per session; that time is printed
// separately). Pages: the scanned fixture (issue7229.pdf, 200 dpi JPEG, Russian/English form, eng) and
// generated full Letter pages of text at 300 dpi (English with eng; Chinese with chi_sim and chi_sim+eng; Traditional
// Chinese with eng+chi_tra and, for comparison, chi_sim).
//   node --import ./scripts/node20-polyfills.mjs --import tsx scripts/bench-ocr.ts [--fixture-only] [--parallel N]
// --parallel N: only the several-workers comparison — four English Letter pages read by one worker and by N at once
// (src/pdf/ocr.ts; the app and the CLI take N from ocr-parallelism.ts), interleaved (1, N, 1, N), warm workers.
// The machine's load average is printed with the numbers: on a shared machine wall seconds are upper bounds;
// "CPU s" (this process, main + worker threads) depends less on other load.
import { existsSync, readFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createNodeRecogniser, nodeRasteriser, ocrPdf } from '../src/pdf/ocr-node';
import { recognisePages } from '../src/pdf/ocr';
import { getPdfjsEnvironment } from '../src/pdf/pdfjs-env';
import type { OcrLanguage } from '../src/pdf/ocr-types';
import { buildScanPdf, charRecall, scanText, wordRecall } from '../tests/unit/pdf-ocr-helpers';

const FIXTURE = fileURLToPath(new URL('../../shared/fixtures/pdfs/issue7229.pdf', import.meta.url));

const EN_SENTENCES = [
  'Scanned documents arrive as pictures of pages, and a search index cannot read pictures.',
  'Optical character recognition finds the lines of text, splits them into words and letters,',
  'and a neural network reads each line from left to right, one column of pixels at a time.',
  'The recognised words keep their boxes, so a passage can be highlighted on the page later.',
];
const ZH_SENTENCES = ['扫描的文件只有图像，搜索引擎无法直接读取。', '光学字符识别先找出文字行，再逐行识别每个字符，', '识别出的文字保留位置，以后可以在页面上高亮显示。'];
/** The same in Traditional characters (Taiwan wording). */
const ZH_TW_SENTENCES = ['掃描的檔案只有影像，搜尋引擎無法直接讀取。', '光學字元辨識先找出文字行，再逐行辨識每個字元，', '辨識出的文字保留位置，以後可以在頁面上醒目顯示。'];

function fullPage(sentences: string[], lines: number, font: string, sizePt: number): { pdf: Uint8Array; text: string } {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(sentences[i % sentences.length]);
  const scan = scanText({ lines: out, font, sizePt, dpi: 300, widthPt: 612, heightPt: 792, marginPt: 54 });
  return { pdf: buildScanPdf([{ scan }]), text: out.join('\n') };
}

async function bench(name: string, pdf: Uint8Array, languages: OcrLanguage[], reference?: { text: string; kind: 'word' | 'char' }): Promise<void> {
  const recogniser = createNodeRecogniser(languages);
  try {
    const t0 = performance.now();
    // Warm-up: a tiny page loads the worker, the wasm core and the language data.
    const tiny = scanText({ lines: ['warm up'], font: 'sans-serif', sizePt: 12, dpi: 150, widthPt: 100, heightPt: 40, marginPt: 8 });
    await ocrPdf(buildScanPdf([{ scan: tiny }]), { languages, recogniser });
    const load = (performance.now() - t0) / 1000;
    const starts = new Map<number, number>();
    const cpuStarts = new Map<number, NodeJS.CpuUsage>();
    const seconds: string[] = [];
    const cpuSeconds: string[] = [];
    const { pages } = await ocrPdf(pdf, {
      languages,
      recogniser,
      onProgress: (p) => {
        if (p.stage === 'rendering' && !starts.has(p.page)) {
          starts.set(p.page, performance.now());
          cpuStarts.set(p.page, process.cpuUsage());
        }
      },
      onPage: (p) => {
        seconds.push(((performance.now() - starts.get(p.page)!) / 1000).toFixed(1));
        const cpu = process.cpuUsage(cpuStarts.get(p.page));
        cpuSeconds.push(((cpu.user + cpu.system) / 1e6).toFixed(1));
      },
    });
    const recall = reference ? (reference.kind === 'word' ? wordRecall(reference.text, pages[0].text) : charRecall(reference.text, pages[0].text)) : undefined;
    console.log(
      `${name.padEnd(44)} ${recogniser.languages.join('+').padEnd(12)} load ${load.toFixed(1)} s | s/page ${seconds.join(', ')} (CPU s ${cpuSeconds.join(', ')}) | ${pages.map((p) => `${p.dpi} dpi ${p.words.length} words`).join('; ')}` +
        (recall !== undefined ? ` | ${reference!.kind} recall ${recall.toFixed(3)}` : ''),
    );
  } finally {
    await recogniser.dispose();
  }
}

/** Four pages read by one warm worker and by `n` at once, interleaved: wall seconds and the ratio per round. */
async function benchParallel(n: number): Promise<void> {
  const page = fullPage(EN_SENTENCES, 44, '"DejaVu Serif", serif', 10);
  const scan = scanText({ lines: page.text.split('\n'), font: '"DejaVu Serif", serif', sizePt: 10, dpi: 300, widthPt: 612, heightPt: 792, marginPt: 54 });
  const pdf = buildScanPdf([{ scan }, { scan }, { scan }, { scan }]);
  const workers = Array.from({ length: n }, () => createNodeRecogniser(['eng']));
  try {
    const tiny = buildScanPdf([{ scan: scanText({ lines: ['warm up'], font: 'sans-serif', sizePt: 12, dpi: 150, widthPt: 100, heightPt: 40, marginPt: 8 }) }]);
    await Promise.all(workers.map((recogniser) => ocrPdf(tiny, { languages: ['eng'], recogniser })));
    const time = async (k: number) => {
      const t0 = performance.now();
      const env = await getPdfjsEnvironment();
      const task = env.lib.getDocument({ data: pdf.slice(), verbosity: env.lib.VerbosityLevel.ERRORS });
      try {
        const doc = await task.promise;
        await recognisePages(doc, { pages: [1, 2, 3, 4], recognisers: workers.slice(0, k), rasterise: nodeRasteriser(doc), ops: env.lib.OPS });
      } finally {
        await task.destroy();
      }
      return (performance.now() - t0) / 1000;
    };
    for (let round = 1; round <= 2; round++) {
      const one = await time(1);
      const many = await time(n);
      console.log(`4 Letter pages, eng, round ${round}: 1 worker ${one.toFixed(1)} s, ${n} workers ${many.toFixed(1)} s: ${(one / many).toFixed(2)}x (load ${loadavg()[0].toFixed(1)})`);
    }
  } finally {
    await Promise.all(workers.map((w) => w.dispose()));
  }
}

console.log(`OCR bench: ${cpus().length} CPUs (${cpus()[0]?.model}), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const parallelAt = process.argv.indexOf('--parallel');
if (parallelAt > 0) {
  await benchParallel(Math.max(2, Number(process.argv[parallelAt + 1]) || 2));
  process.exit(0);
}
if (existsSync(FIXTURE)) await bench('issue7229.pdf (scan, 2 pages)', new Uint8Array(readFileSync(FIXTURE)), ['eng']);
else console.log(`(fixture ${FIXTURE} absent: skipped)`);
if (!process.argv.includes('--fixture-only')) {
  const en = fullPage(EN_SENTENCES, 44, '"DejaVu Serif", serif', 10);
  await bench('Letter page, English, 300 dpi, 44 lines', en.pdf, ['eng'], { text: en.text, kind: 'word' });
  const zh = fullPage(ZH_SENTENCES, 30, '"WenQuanYi Zen Hei"', 12);
  await bench('Letter page, Chinese, 300 dpi, 30 lines', zh.pdf, ['chi_sim'], { text: zh.text, kind: 'char' });
  await bench('Letter page, Chinese, 300 dpi, 30 lines', zh.pdf, ['chi_sim', 'eng'], { text: zh.text, kind: 'char' });
  const tw = fullPage(ZH_TW_SENTENCES, 30, '"WenQuanYi Zen Hei"', 12);
  await bench('Letter page, Traditional Chinese, 300 dpi', tw.pdf, ['eng', 'chi_tra'], { text: tw.text, kind: 'char' });
  await bench('Letter page, Traditional Chinese, 300 dpi', tw.pdf, ['chi_sim'], { text: tw.text, kind: 'char' });
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
