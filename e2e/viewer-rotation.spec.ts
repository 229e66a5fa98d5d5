// The page viewer on rotated pages (/Rotate 0, 90, 180, 270): the cited passage's highlight boxes lie over the
// passage's ink on the canvas, for pages with a text layer (pdf.js's TextLayer, which rotates its layer with CSS)
// and for scanned pages whose recognised words (boxes in the upright, already rotated page) replace that layer.
// Each page holds only the cited passage, so the canvas's dark pixels are its ink and must lie inside the
// highlighted boxes, and the boxes must not stretch far beyond that ink.
import { deflateSync } from 'node:zlib';
import { expect, test, type Page } from '@playwright/test';
import { buildPdf } from '../tests/unit/pdf-helpers';
import { scanText, turnScan, type ScannedPage } from '../tests/unit/pdf-ocr-helpers';
import { ask, DESKTOP, documentRow, openApp, SCREENSHOTS, waitReady } from './app-helpers';

type Rotation = 0 | 90 | 180 | 270;
interface Box { x0: number; y0: number; x1: number; y1: number }
interface Placement { ink: Box | null; hl: Box | null; hlCount: number; canvas: { width: number; height: number }; ocr: string | undefined }

/** Bounding box (CSS px, relative to the canvas) of the canvas's dark pixels and of the highlighted boxes. */
async function placement(page: Page): Promise<Placement> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('dialog.viewer .page-wrap canvas')!;
    const rect = canvas.getBoundingClientRect();
    const { width, height } = canvas;
    const data = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
    const sx = rect.width / width;
    const sy = rect.height / height;
    let ink: { x0: number; y0: number; x1: number; y1: number } | null = null;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = 4 * (y * width + x);
        if (data[i + 3] > 128 && 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2] < 100) {
          if (!ink) ink = { x0: x, y0: y, x1: x + 1, y1: y + 1 };
          else {
            ink.x0 = Math.min(ink.x0, x);
            ink.y0 = Math.min(ink.y0, y);
            ink.x1 = Math.max(ink.x1, x + 1);
            ink.y1 = Math.max(ink.y1, y + 1);
          }
        }
      }
    }
    if (ink) ink = { x0: ink.x0 * sx, y0: ink.y0 * sy, x1: ink.x1 * sx, y1: ink.y1 * sy };
    const layer = canvas.parentElement!.querySelector<HTMLElement>('.textLayer')!;
    const marked = [...layer.querySelectorAll<HTMLElement>('.hl')].map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0 && r.height > 0);
    const hl = marked.length
      ? {
          x0: Math.min(...marked.map((r) => r.left)) - rect.left,
          y0: Math.min(...marked.map((r) => r.top)) - rect.top,
          x1: Math.max(...marked.map((r) => r.right)) - rect.left,
          y1: Math.max(...marked.map((r) => r.bottom)) - rect.top,
        }
      : null;
    return { ink, hl, hlCount: marked.length, canvas: { width: rect.width, height: rect.height }, ocr: layer.dataset.ocr };
  });
}

/** The ink lies inside the highlight (within `tol` px), and the highlight hugs the ink (within `slack` px). Soft: every page is checked. */
function expectHighlightOnInk(p: Placement, label: string, tol: number, slack: number): void {
  expect(p.ink, `${label}: ink on the canvas`).not.toBeNull();
  expect(p.hl, `${label}: highlighted boxes`).not.toBeNull();
  const ink = p.ink!;
  const hl = p.hl!;
  const detail = `${label}: ink ${JSON.stringify(round(ink))} highlight ${JSON.stringify(round(hl))} canvas ${JSON.stringify(p.canvas)}`;
  expect.soft(hl.x0, detail).toBeLessThanOrEqual(ink.x0 + tol);
  expect.soft(hl.y0, detail).toBeLessThanOrEqual(ink.y0 + tol);
  expect.soft(hl.x1, detail).toBeGreaterThanOrEqual(ink.x1 - tol);
  expect.soft(hl.y1, detail).toBeGreaterThanOrEqual(ink.y1 - tol);
  expect.soft(hl.x0, detail).toBeGreaterThanOrEqual(ink.x0 - slack);
  expect.soft(hl.y0, detail).toBeGreaterThanOrEqual(ink.y0 - slack);
  expect.soft(hl.x1, detail).toBeLessThanOrEqual(ink.x1 + slack);
  expect.soft(hl.y1, detail).toBeLessThanOrEqual(ink.y1 + slack);
}

function round(b: Box): Box {
  return { x0: Math.round(b.x0), y0: Math.round(b.y0), x1: Math.round(b.x1), y1: Math.round(b.y1) };
}

/** Asks, opens the first source (which must be `file` page `pageNo`), and returns where its highlight landed. */
async function openCited(page: Page, question: string, file: string, pageNo: number, minHighlights: number): Promise<Placement> {
  await ask(page, question);
  const source = page.getByTestId('answer').last().getByTestId('source').first();
  await expect(source).toHaveAttribute('data-file', file);
  await expect(source).toHaveAttribute('data-page', String(pageNo));
  await source.getByRole('button').click();
  await expect(page.getByTestId('viewer')).toBeVisible();
  await expect(page.getByTestId('viewer-page')).toHaveAttribute('data-page', String(pageNo));
  await expect.poll(async () => Number(await page.getByTestId('viewer-page').getAttribute('data-highlights')), { timeout: 30_000 }).toBeGreaterThanOrEqual(minHighlights);
  // This page's rendering is done (its layer marked): not a count left from the page opened before.
  await expect.poll(() => page.locator('dialog.viewer .textLayer[data-ocr] .hl').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(minHighlights);
  return placement(page);
}

async function closeViewer(page: Page): Promise<void> {
  await page.getByTestId('viewer-close').click();
  await expect(page.getByTestId('viewer')).toBeHidden();
}

const TEXT_PAGES: Array<{ rotate: Rotation; lines: string[]; question: string }> = [
  { rotate: 0, lines: ['The orchard keeper prunes the apple trees', 'every winter before the buds appear.'], question: 'When does the orchard keeper prune the apple trees?' },
  { rotate: 90, lines: ['The bakery ovens are lit at four o\'clock', 'so the bread is warm when the shop opens.'], question: 'When are the bakery ovens lit?' },
  { rotate: 180, lines: ['The museum guard locks the sculpture hall', 'after the last visitors have gone home.'], question: 'Who locks the sculpture hall at the museum?' },
  { rotate: 270, lines: ['The railway signalman checks the junction', 'lamps twice during every night shift.'], question: 'What does the railway signalman check during the night shift?' },
];

test('text pages rotated 0/90/180/270: the highlighted text-layer spans lie over the passage on the canvas', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  await openApp(page);
  const pdf = buildPdf({ pages: TEXT_PAGES.map((p) => ({ rotate: p.rotate, lines: p.lines.map((text, i) => ({ x: 72, y: 700 - i * 22, text, size: 16 })) })) });
  await page.getByTestId('pdf-input').setInputFiles({ name: 'rotated-text.pdf', mimeType: 'application/pdf', buffer: Buffer.from(pdf) });
  await waitReady(page, 'rotated-text.pdf');
  await expect(documentRow(page, 'rotated-text.pdf').getByTestId('page-count')).toHaveText('4 pages');
  for (const [i, p] of TEXT_PAGES.entries()) {
    const at = await openCited(page, p.question, 'rotated-text.pdf', i + 1, 2);
    await page.screenshot({ path: SCREENSHOTS + `desktop-viewer-rotate-${p.rotate}.png` });
    expect(at.ocr).toBe('false');
    // Upright pages are wider than tall, sideways ones taller than wide.
    expect(at.canvas.width > at.canvas.height, `rotation ${p.rotate}: canvas ${JSON.stringify(at.canvas)}`).toBe(p.rotate % 180 !== 0);
    expectHighlightOnInk(at, `text page, /Rotate ${p.rotate}`, 3, 16);
    await closeViewer(page);
  }
  await context.close();
});

/** A one-image page showing `scan` upright once the page's /Rotate is applied (the image is stored turned back). */
function storedImage(scan: ScannedPage, rotate: Rotation): { gray: Uint8Array; width: number; height: number } {
  const { pixelWidth: w, pixelHeight: h, gray } = scan;
  if (rotate === 0) return { gray, width: w, height: h };
  const sideways = rotate % 180 !== 0;
  const width = sideways ? h : w;
  const height = sideways ? w : h;
  const out = new Uint8Array(width * height);
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      // Displaying the stored image turned `rotate` degrees clockwise puts stored pixel (u, v) at upright (X, Y).
      const [X, Y] = rotate === 90 ? [height - 1 - v, u] : rotate === 180 ? [w - 1 - u, h - 1 - v] : [v, width - 1 - u];
      out[v * width + u] = gray[Y * w + X];
    }
  }
  return { gray: out, width, height };
}

/** An image-only PDF (no text at all, so the app recognises it): one scan per page, each with its /Rotate. */
function rotatedScanPdf(pages: Array<{ scan: ScannedPage; rotate: Rotation }>): Buffer {
  const objects: Buffer[][] = [];
  const add = (...parts: Buffer[]) => objects.push(parts);
  add(Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'));
  add(Buffer.from(`<< /Type /Pages /Kids [${pages.map((_, i) => `${3 + 3 * i} 0 R`).join(' ')}] /Count ${pages.length} >>`));
  for (const [i, { scan, rotate }] of pages.entries()) {
    const image = storedImage(scan, rotate);
    const sideways = rotate % 180 !== 0;
    const wPt = sideways ? scan.heightPt : scan.widthPt;
    const hPt = sideways ? scan.widthPt : scan.heightPt;
    const ops = `q ${wPt} 0 0 ${hPt} 0 0 cm /Im0 Do Q`;
    const data = deflateSync(image.gray);
    const [pageId, contentId, imageId] = [3 + 3 * i, 4 + 3 * i, 5 + 3 * i];
    add(Buffer.from(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${wPt} ${hPt}]${rotate ? ` /Rotate ${rotate}` : ''} /Resources << /XObject << /Im0 ${imageId} 0 R >> >> /Contents ${contentId} 0 R >>`));
    add(Buffer.from(`<< /Length ${ops.length} >>\nstream\n${ops}\nendstream`));
    add(
      Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${image.width} /Height ${image.height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length ${data.length} >>\nstream\n`),
      data,
      Buffer.from('\nendstream'),
    );
    expect(pageId).toBe(objects.length - 2);
  }
  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xE2\xE3\xCF\xD3\n', 'latin1')];
  let length = chunks[0].length;
  const offsets: number[] = [];
  objects.forEach((parts, i) => {
    offsets.push(length);
    for (const b of [Buffer.from(`${i + 1} 0 obj\n`), ...parts, Buffer.from('\nendobj\n')]) {
      chunks.push(b);
      length += b.length;
    }
  });
  const xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` + offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  chunks.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`));
  return Buffer.concat(chunks);
}

const SCAN_PAGES: Array<{ rotate: Rotation; lines: string[]; question: string }> = [
  { rotate: 0, lines: ['The harbour office opens at seven in the morning', 'and closes when the last ferry has left the quay.'], question: 'When does the harbour office open?' },
  { rotate: 90, lines: ['Every evening the lighthouse keeper writes down', 'the wind speed and the height of the waves.'], question: 'Who writes down the wind speed every evening?' },
  { rotate: 180, lines: ['The village choir rehearses in the old chapel', 'on Thursday nights from October to March.'], question: 'Where does the village choir rehearse?' },
  { rotate: 270, lines: ['A glacier moves a few metres down the valley', 'in a year, grinding the rock beneath it.'], question: 'How far does a glacier move in a year?' },
];

test('a scan with pages rotated 0/90/180/270: the highlighted recognised words lie over the passage on the canvas', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  await openApp(page);
  const pdf = rotatedScanPdf(SCAN_PAGES.map((p) => ({ rotate: p.rotate, scan: scanText({ lines: p.lines, font: '"DejaVu Serif", serif', sizePt: 12, dpi: 200, widthPt: 432, heightPt: 130 }) })));
  await page.getByTestId('pdf-input').setInputFiles({ name: 'rotated-scan.pdf', mimeType: 'application/pdf', buffer: pdf });
  await waitReady(page, 'rotated-scan.pdf', 240_000);
  await expect(documentRow(page, 'rotated-scan.pdf').getByTestId('ocr-badge')).toBeVisible();
  for (const [i, p] of SCAN_PAGES.entries()) {
    const at = await openCited(page, p.question, 'rotated-scan.pdf', i + 1, 4);
    await page.screenshot({ path: SCREENSHOTS + `desktop-ocr-viewer-rotate-${p.rotate}.png` });
    expect(at.ocr).toBe('true');
    expect(at.canvas.width > at.canvas.height, `rotation ${p.rotate}: canvas ${JSON.stringify(at.canvas)}`).toBe(true); // shown upright
    expectHighlightOnInk(at, `scan page, /Rotate ${p.rotate}`, 4, 16);
    await closeViewer(page);
  }
  await context.close();
});

test('a page scanned sideways (text turned inside the image, no /Rotate): the recognised words are laid along the text, their font the size of the line', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  await openApp(page);
  const lines = ['The ferry timetable changes in the spring', 'when the evening crossings start again.'];
  const upright = scanText({ lines, font: '"DejaVu Serif", serif', sizePt: 12, dpi: 200, widthPt: 432, heightPt: 130 });
  await page.getByTestId('pdf-input').setInputFiles({ name: 'sideways-scan.pdf', mimeType: 'application/pdf', buffer: rotatedScanPdf([{ rotate: 0, scan: turnScan(upright, 90) }]) });
  await waitReady(page, 'sideways-scan.pdf', 240_000);
  const at = await openCited(page, 'When does the ferry timetable change?', 'sideways-scan.pdf', 1, 4);
  await page.screenshot({ path: SCREENSHOTS + 'desktop-ocr-viewer-sideways.png' });
  expect(at.canvas.height > at.canvas.width, `canvas ${JSON.stringify(at.canvas)}`).toBe(true); // the page as scanned: tall
  expectHighlightOnInk(at, 'sideways scan', 4, 16);
  // Each highlighted word: turned a quarter clockwise (the scan's text runs down the page: it is read turned 270°),
  // covering a tall box, with a font no larger
  // than the line is thick (sized from the box's height it was ~3x the line for a word like "timetable").
  const words = await page.locator('dialog.viewer .textLayer[data-ocr="true"] .ocr-word.hl').evaluateAll((spans) =>
    spans.map((s) => {
      const r = s.getBoundingClientRect();
      return { text: s.textContent, w: r.width, h: r.height, font: parseFloat(getComputedStyle(s).fontSize), transform: (s as HTMLElement).style.transform };
    }),
  );
  expect(words.length).toBeGreaterThanOrEqual(4);
  for (const w of words.filter((x) => (x.text ?? '').trim().length >= 5)) {
    expect(w.transform, w.text ?? '').toBe('rotate(90deg)');
    expect(w.h, w.text ?? '').toBeGreaterThan(w.w);
    expect(w.font, `${w.text}: font ${w.font}px over a ${w.w.toFixed(1)} x ${w.h.toFixed(1)} box`).toBeLessThanOrEqual(w.w * 1.2);
  }
  await closeViewer(page);
  await context.close();
});
