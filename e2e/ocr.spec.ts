// OCR in the app: a dropped scan (image-only PDF, generated here from rendered text) is recognised in
// tesseract.js's worker with files from the app's own origin, its row says "text recognised (OCR)", a question
// finds the scanned page and the cited page opens with the passage highlighted over the scan. After a reload,
// offline, nothing is recognised again, the page still opens highlighted, and a new scan is recognised from
// the service worker's cache; a damaged copy there is deleted and downloaded again. The CSP (as an HTTP header, so it binds the workers) is never violated.
import { expect, test } from '@playwright/test';
import { OCR_ASSET_DIR, OCR_CACHE_NAME, OCR_LANG_DIR } from '../src/pdf/ocr-assets';
import { addPdfs, ask, DESKTOP, documentRow, foreignRequests, hasFixtures, holdLanguageData, openApp, recordRequests, scanPdf, SCREENSHOTS, waitForServiceWorker, waitReady } from './app-helpers';

const PAGE_1 = ['The harbour office opens at seven in the morning', 'and closes when the last ferry has left the quay.'];
const PAGE_2 = ['Every evening the lighthouse keeper writes down', 'the wind speed and the height of the waves.'];
const QUARRY = ['Slate is cut from the quarry in thin grey sheets', 'and stacked by the road to dry in the wind.'];
const LATER = ['A glacier moves a few metres down the valley', 'in a year, grinding the rock beneath it.'];

const ZH_PAGE_1 = ['港口办公室每天早上七点开门，', '最后一班渡轮离开码头后关门。'];
const ZH_PAGE_2 = ['每天晚上，灯塔看守人记录风速', '和海浪的高度。'];

test('a dropped scan is recognised, cited and highlighted, and stays searchable offline without recognising again', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const urls = recordRequests(context);
  const page = await context.newPage();
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
  await openApp(page);
  // The service worker must control the page before the OCR files are first fetched, so it caches them.
  await waitForServiceWorker(page);

  await page.getByTestId('pdf-input').setInputFiles({ name: 'harbour-scan.pdf', mimeType: 'application/pdf', buffer: scanPdf([PAGE_1, PAGE_2]) });
  const row = documentRow(page, 'harbour-scan.pdf');
  await expect(row).toHaveAttribute('data-status', 'recognising', { timeout: 60_000 });
  await expect(row.getByTestId('ocr-progress')).toContainText('Recognising text (OCR)');
  await waitReady(page, 'harbour-scan.pdf', 240_000);
  await expect(row.getByTestId('ocr-badge')).toHaveText('text recognised (OCR)');
  await expect(row.getByTestId('page-count')).toHaveText('2 pages');
  await page.screenshot({ path: SCREENSHOTS + 'desktop-ocr-row.png' });
  const tesseractFiles = urls.filter((u) => u.includes('/tesseract/'));
  expect(tesseractFiles.some((u) => u.endsWith(`/${OCR_ASSET_DIR}worker.min.js`))).toBe(true);
  expect(tesseractFiles.some((u) => u.endsWith(`/${OCR_LANG_DIR}eng.traineddata.gz`))).toBe(true);

  // The question is answered from the scanned page 2; its source opens that page with the words highlighted.
  await ask(page, 'Who writes down the wind speed every evening?');
  const source = page.getByTestId('answer').last().getByTestId('source').first();
  await expect(source).toHaveAttribute('data-file', 'harbour-scan.pdf');
  await expect(source).toHaveAttribute('data-page', '2');
  await source.getByRole('button').click();
  await expect(page.getByTestId('viewer-page')).toHaveAttribute('data-page', '2');
  await expect.poll(async () => Number(await page.getByTestId('viewer-page').getAttribute('data-highlights')), { timeout: 30_000 }).toBeGreaterThan(3);
  await expect(page.locator('.textLayer[data-ocr="true"] .ocr-word.hl').first()).toBeVisible();
  await page.screenshot({ path: SCREENSHOTS + 'desktop-ocr-viewer.png' });
  await page.keyboard.press('Escape');

  // Offline reload: the document is ready at once from IndexedDB; no OCR file is even asked for.
  await context.setOffline(true);
  const before = urls.length;
  await page.reload();
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  await waitReady(page, 'harbour-scan.pdf', 30_000);
  await expect(row.getByTestId('ocr-badge')).toBeVisible();
  await ask(page, 'When does the harbour office open?');
  const offlineSource = page.getByTestId('answer').last().getByTestId('source').first();
  await expect(offlineSource).toHaveAttribute('data-page', '1');
  await offlineSource.getByRole('button').click();
  await expect.poll(async () => Number(await page.getByTestId('viewer-page').getAttribute('data-highlights')), { timeout: 30_000 }).toBeGreaterThan(3);
  await page.keyboard.press('Escape');
  expect(urls.slice(before).filter((u) => u.includes('/tesseract/'))).toEqual([]);

  // Still offline, a new scan is recognised with the OCR files the service worker cached on first use.
  await page.getByTestId('pdf-input').setInputFiles({ name: 'glacier-scan.pdf', mimeType: 'application/pdf', buffer: scanPdf([LATER]) });
  await waitReady(page, 'glacier-scan.pdf', 240_000);
  await expect(documentRow(page, 'glacier-scan.pdf').getByTestId('ocr-badge')).toBeVisible();
  await ask(page, 'How far does a glacier move in a year?');
  await expect(page.getByTestId('answer').last().getByTestId('source').first()).toHaveAttribute('data-file', 'glacier-scan.pdf');

  // The stored English data damaged (cut short in the cache): offline, the next scan fails saying so and that copy
  // is deleted; back online, "Recognise text" downloads it again and recognises the scan.
  const langFile = `${OCR_LANG_DIR}eng.traineddata.gz`;
  const cachedLength = (file: string) =>
    page.evaluate(async ({ cacheName, file }) => {
      const cache = await caches.open(cacheName);
      const key = (await cache.keys()).find((r) => r.url.endsWith(file));
      return key ? (await (await cache.match(key))!.arrayBuffer()).byteLength : 0;
    }, { cacheName: OCR_CACHE_NAME, file });
  const soundLength = await cachedLength(langFile);
  expect(soundLength).toBeGreaterThan(1_000_000);
  await page.evaluate(async ({ cacheName, file }) => {
    const cache = await caches.open(cacheName);
    const key = (await cache.keys()).find((r) => r.url.endsWith(file))!;
    const bytes = new Uint8Array(await (await cache.match(key))!.arrayBuffer());
    await cache.put(key, new Response(bytes.slice(0, bytes.length >> 1)));
  }, { cacheName: OCR_CACHE_NAME, file: langFile });
  await page.reload(); // a new recogniser, which checks its data before it starts
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  await page.getByTestId('pdf-input').setInputFiles({ name: 'quarry-scan.pdf', mimeType: 'application/pdf', buffer: scanPdf([QUARRY]) });
  const quarry = documentRow(page, 'quarry-scan.pdf');
  await expect(quarry).toHaveAttribute('data-status', 'failed', { timeout: 60_000 });
  await expect(quarry.getByRole('alert')).toHaveAttribute('data-code', 'OCR_FAILED');
  await expect(quarry.getByRole('alert')).toContainText(/English \(eng\) language data .* was damaged .* has been deleted.*Connect to the network and try again/);
  expect(await cachedLength(langFile)).toBe(0);
  await context.setOffline(false);
  await quarry.getByTestId('ocr-recognise').click();
  await waitReady(page, 'quarry-scan.pdf', 240_000);
  expect(await cachedLength(langFile)).toBe(soundLength);
  await ask(page, 'What is cut from the quarry?');
  await expect(page.getByTestId('answer').last().getByTestId('source').first()).toHaveAttribute('data-file', 'quarry-scan.pdf');

  // After an update that renamed the language folder (here: before chi_tra joined it), the English data cached
  // under the earlier folder is moved to the current one at start, and a scan is recognised offline again.
  await context.setOffline(true);
  const previousFolder = OCR_LANG_DIR.replace(/-chi_tra[^/-]*\/$/, '/');
  expect(previousFolder).not.toBe(OCR_LANG_DIR);
  await page.evaluate(async ({ cacheName, file, current, previous }) => {
    const cache = await caches.open(cacheName);
    const key = (await cache.keys()).find((r) => r.url.endsWith(file))!;
    await cache.put(key.url.replace(current, previous), (await cache.match(key))!);
    await cache.delete(key);
  }, { cacheName: OCR_CACHE_NAME, file: langFile, current: OCR_LANG_DIR, previous: previousFolder });
  expect(await cachedLength(langFile)).toBe(0);
  await page.reload();
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  await expect.poll(() => cachedLength(langFile), { timeout: 30_000 }).toBe(soundLength);
  await page.getByTestId('pdf-input').setInputFiles({ name: 'ferry-scan.pdf', mimeType: 'application/pdf', buffer: scanPdf([PAGE_2]) });
  await waitReady(page, 'ferry-scan.pdf', 240_000);
  await expect(documentRow(page, 'ferry-scan.pdf').getByTestId('ocr-badge')).toBeVisible();

  expect(foreignRequests(urls)).toEqual([]);
  expect(cspViolations).toEqual([]);
  await context.close();
});

test('Chinese UI: a Chinese scan is recognised in Chinese + English; Cancel stops it and "Recognise text" resumes', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' });
  const page = await context.newPage();
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
  await openApp(page);
  await page.getByTestId('pdf-input').setInputFiles({ name: 'lighthouse-zh.pdf', mimeType: 'application/pdf', buffer: scanPdf([ZH_PAGE_1, ZH_PAGE_2], { font: '"WenQuanYi Zen Hei"', dpi: 300 }) });
  const row = documentRow(page, 'lighthouse-zh.pdf');

  await row.getByTestId('ocr-cancel').click({ timeout: 60_000 });
  await expect(row).toHaveAttribute('data-status', 'failed', { timeout: 30_000 });
  await expect(row.getByRole('alert')).toContainText('文字识别已取消');
  // The UI language chose the OCR languages.
  await expect(row.getByTestId('ocr-language')).toHaveValue('eng+chi_sim');

  await row.getByTestId('ocr-recognise').click();
  await waitReady(page, 'lighthouse-zh.pdf', 240_000);
  await expect(row.getByTestId('ocr-badge')).toHaveText('文字已识别（OCR）');

  await ask(page, '灯塔看守人每天晚上记录什么？');
  const source = page.getByTestId('answer').last().getByTestId('source').first();
  await expect(source).toHaveAttribute('data-file', 'lighthouse-zh.pdf');
  await expect(source).toHaveAttribute('data-page', '2');
  await source.getByRole('button').click();
  await expect.poll(async () => Number(await page.getByTestId('viewer-page').getAttribute('data-highlights')), { timeout: 30_000 }).toBeGreaterThan(3);
  await page.screenshot({ path: SCREENSHOTS + 'desktop-ocr-viewer-zh.png' });
  expect(cspViolations).toEqual([]);
  await context.close();
});

// The same document in Simplified and in Traditional characters (Taiwan wording): its own text decides the model.
const SCRIPTS = [
  { script: 'Simplified', name: 'harbour-manual-zh.pdf', languages: 'eng+chi_sim', scan: ZH_PAGE_2, question: '灯塔看守人每天晚上记录什么？', texts: ['这本手册介绍港口和灯塔的日常工作。', '前几页有文字层，最后一页是扫描件。', '扫描页上的文字也是中文。'] },
  { script: 'Traditional', name: 'harbour-manual-zh-tw.pdf', languages: 'eng+chi_tra', scan: ['每天晚上，燈塔看守人記錄風速', '和海浪的高度。'], question: '燈塔看守人每天晚上記錄什麼？', texts: ['這本手冊介紹港口和燈塔的日常工作。', '前幾頁有文字層，最後一頁是掃描檔。', '掃描頁上的文字也是中文。'] },
];
for (const c of SCRIPTS) {
  test(`English UI, a ${c.script} Chinese PDF with one scanned page: the scan is recognised in ${c.languages} (the language and script of the document's own text) and cited`, async ({ browser }) => {
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
    const page = await context.newPage();
    await openApp(page);
    const pdf = scanPdf([c.scan], { texts: c.texts, cjk: true, font: '"WenQuanYi Zen Hei"', dpi: 300 });
    await page.getByTestId('pdf-input').setInputFiles({ name: c.name, mimeType: 'application/pdf', buffer: pdf });
    const row = documentRow(page, c.name);
    await waitReady(page, c.name, 240_000);
    await expect(row.getByTestId('ocr-language')).toHaveValue(c.languages);
    await expect(row.getByTestId('ocr-badge')).toBeVisible();

    await ask(page, c.question);
    const source = page.getByTestId('answer').last().getByTestId('source').first();
    await expect(source).toHaveAttribute('data-file', c.name);
    await expect(source).toHaveAttribute('data-page', '4');
    await context.close();
  });
}

test('English UI, a scan in Traditional Chinese with no text layer behind a title page: its first pages read best in eng+chi_tra, which then reads the document; a question in Simplified cites it', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  await openApp(page);
  // (A title page says little about its language: the trial reads on to the next page when it must.)
  const pdf = scanPdf([['港口手冊'], ['這本手冊介紹港口和燈塔的日常工作。', '颱風來臨前，漁船都要回到港內避風。'], ['港口辦公室每天早上七點開門，', '最後一班渡輪離開碼頭後關門。']], { font: '"WenQuanYi Zen Hei"', dpi: 300 });
  await page.getByTestId('pdf-input').setInputFiles({ name: 'harbour-scan-tw.pdf', mimeType: 'application/pdf', buffer: pdf });
  const row = documentRow(page, 'harbour-scan-tw.pdf');
  await waitReady(page, 'harbour-scan-tw.pdf', 240_000);
  await expect(row.getByTestId('ocr-language')).toHaveValue('eng+chi_tra');
  await ask(page, '港口办公室几点开门？');
  const source = page.getByTestId('answer').last().getByTestId('source').first();
  await expect(source).toHaveAttribute('data-file', 'harbour-scan-tw.pdf');
  await expect(source).toHaveAttribute('data-page', '3');
  await context.close();
});

test('a PDF with text pages and scanned ones is searched while its scans are recognised; a reload mid-way resumes the recognition', async ({ browser }) => {
  // No service worker, so that the OCR language data comes from the network, where it is held back: the scans stay
  // unrecognised for as long as the test needs, whatever the machine's speed.
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', serviceWorkers: 'block' });
  const { release, requests: languageRequests } = await holdLanguageData(context);
  const page = await context.newPage();
  await openApp(page);
  const texts = ['The ferry timetable changes on the first Monday of April.', 'Bicycles travel free on every crossing to the island.'];
  const pdf = scanPdf([PAGE_1, PAGE_2, QUARRY, LATER], { texts });
  await page.getByTestId('pdf-input').setInputFiles({ name: 'ferry-guide.pdf', mimeType: 'application/pdf', buffer: pdf });
  const row = documentRow(page, 'ferry-guide.pdf');
  // The two text pages are searched while the scans are recognised, and the answer says the scans were left out.
  await expect(row).toHaveAttribute('data-status', 'recognising', { timeout: 60_000 });
  await expect.poll(languageRequests, { timeout: 60_000 }).toBe(1);
  await expect(row.getByTestId('searchable-meanwhile')).toHaveText('The pages with text are searchable meanwhile.');
  await expect(row.getByRole('checkbox')).toBeEnabled();
  await ask(page, 'Do bicycles travel free on the crossing?');
  const source = page.getByTestId('answer').last().getByTestId('source').first();
  await expect(source).toHaveAttribute('data-page', '2', { timeout: 30_000 });
  await expect(page.getByTestId('answer').last().getByTestId('answer-left-out')).toHaveText(/still being recognised \(OCR\) and were not searched/);
  await expect(row).toHaveAttribute('data-status', 'recognising');
  await page.screenshot({ path: SCREENSHOTS + 'desktop-ocr-searchable-meanwhile.png' });

  // Reloaded before the scans are done: searched at once from the stored index of the text pages, and the
  // recognition starts again, then runs to the end once the language data comes.
  await page.reload();
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  await expect(row.getByTestId('searchable-meanwhile')).toBeVisible({ timeout: 60_000 });
  await ask(page, 'When does the ferry timetable change?');
  await expect(page.getByTestId('answer').last().getByTestId('source').first()).toHaveAttribute('data-page', '1', { timeout: 30_000 });
  await expect.poll(languageRequests, { timeout: 60_000 }).toBe(2);
  release();
  await waitReady(page, 'ferry-guide.pdf', 240_000);
  await expect(row.getByTestId('searchable-meanwhile')).toHaveCount(0);
  await expect(row.getByTestId('ocr-badge')).toBeVisible();
  await ask(page, 'How is slate cut from the quarry?');
  await expect(page.getByTestId('answer').last().getByTestId('source').first()).toHaveAttribute('data-page', '5');
  await expect(page.getByTestId('answer').last().getByTestId('answer-left-out')).toHaveCount(0);
  await context.close();
});

test('garbled pages are recognised on request, page by page; Cancel keeps the pages finished and they are cited', async ({ browser }) => {
  test.skip(!hasFixtures, 'shared fixtures (../shared/fixtures/pdfs) are absent');
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  await openApp(page);
  await addPdfs(page, ['TAMReview.pdf']);
  await waitReady(page, 'TAMReview.pdf', 120_000);
  const row = documentRow(page, 'TAMReview.pdf');
  await expect(row.getByTestId('garbled')).toContainText('unreadable text');
  await row.getByTestId('ocr-recognise-garbled').click();
  await expect(row.getByTestId('ocr-progress')).toContainText('1 of 21 done', { timeout: 180_000 });
  await row.getByTestId('ocr-cancel').click();
  await waitReady(page, 'TAMReview.pdf', 60_000);
  await expect(row.getByTestId('ocr-badge')).toBeVisible();
  await expect(row.getByTestId('ocr-pending')).toContainText('not searchable yet');

  await ask(page, 'For how many decades has user acceptance of technology been an important field of study?');
  const source = page.getByTestId('answer').last().getByTestId('source').first();
  await expect(source).toHaveAttribute('data-page', '2');
  await source.getByRole('button').click();
  await expect.poll(async () => Number(await page.getByTestId('viewer-page').getAttribute('data-highlights')), { timeout: 30_000 }).toBeGreaterThan(3);
  await expect(page.locator('.textLayer[data-ocr="true"]')).toHaveCount(1);
  await page.screenshot({ path: SCREENSHOTS + 'desktop-ocr-garbled-viewer.png' });
  await context.close();
});

test('recognising a scan again in other languages keeps its earlier text until each page is redone: Cancel leaves it searchable, not failed', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  await openApp(page);
  await page.getByTestId('pdf-input').setInputFiles({ name: 'harbour-scan-langs.pdf', mimeType: 'application/pdf', buffer: scanPdf([PAGE_1, PAGE_2]) });
  const row = documentRow(page, 'harbour-scan-langs.pdf');
  await waitReady(page, 'harbour-scan-langs.pdf', 240_000);
  await expect(row.getByTestId('ocr-language')).toHaveValue('eng');

  // The Chinese language data is held back, so the new run cannot finish a page before it is cancelled.
  let releaseChinese!: () => void;
  const chineseHeld = new Promise<void>((resolve) => (releaseChinese = resolve));
  await context.route('**/chi_sim.traineddata.gz', async (route) => {
    await chineseHeld;
    await route.continue().catch(() => undefined);
  });
  await row.getByTestId('ocr-language').selectOption('eng+chi_sim');
  await expect(row).toHaveAttribute('data-status', 'recognising', { timeout: 60_000 });
  await row.getByTestId('ocr-cancel').click();
  releaseChinese();
  // Before: "cancelled before any text was found" (failed), and the English recognition of both pages deleted.
  await waitReady(page, 'harbour-scan-langs.pdf', 60_000);
  await expect(row.getByTestId('ocr-pending')).toBeVisible();
  await ask(page, 'Who writes down the wind speed every evening?');
  const source = page.getByTestId('answer').last().getByTestId('source').first();
  await expect(source).toHaveAttribute('data-file', 'harbour-scan-langs.pdf');
  await expect(source).toHaveAttribute('data-page', '2');
  // Its words are the earlier recognition's: the viewer highlights them.
  await source.getByRole('button').click();
  await expect.poll(async () => Number(await page.getByTestId('viewer-page').getAttribute('data-highlights')), { timeout: 30_000 }).toBeGreaterThan(3);
  await context.close();
});
