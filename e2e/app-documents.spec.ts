// The app without a model: documents (progress, problems, persistence), search mode with sources that open
// the cited page, offline reload, CSP, i18n, WebGPU missing, phone and desktop screenshots; a CCITT fax scan
// rendered by pdf.js's wasm decoder, online and offline.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { buildCcittPdf, CCITT_IMAGE_BOX } from '../tests/unit/pdf-ccitt-helpers';
import { buildPdf } from '../tests/unit/pdf-helpers';
import { addPdfs, ask, DESKTOP, documentRow, foreignRequests, hasFixtures, openApp, PDFS, PHONE, recordRequests, SCREENSHOTS, showTab, waitForServiceWorker, waitReady } from './app-helpers';

test.skip(!hasFixtures, 'shared fixtures (../shared/fixtures/pdfs) are absent');

test('documents + search mode: cited pages open highlighted; survives reload and works offline; nothing leaves 127.0.0.1', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const urls = recordRequests(context);
  const page = await context.newPage();
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
  await openApp(page);

  // The policy is in the page and names only self + the hub origins.
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toContain("connect-src 'self' https://huggingface.co");
  await expect(page.getByTestId('header-mode')).toHaveText('Search mode');
  await page.screenshot({ path: SCREENSHOTS + 'desktop-empty.png' });

  await addPdfs(page, ['compressed.tracemonkey-pldi-09.pdf', 'zen_of_python_corrupted.pdf']);
  await waitReady(page, 'compressed.tracemonkey-pldi-09.pdf');
  await waitReady(page, 'zen_of_python_corrupted.pdf');
  await expect(documentRow(page, 'compressed.tracemonkey-pldi-09.pdf').getByTestId('page-count')).toHaveText('14 pages');
  await expect(documentRow(page, 'zen_of_python_corrupted.pdf').getByTestId('page-count')).toHaveText('1 page');

  await ask(page, 'Which loops does the trace monitor record as traces?');
  const answer = page.getByTestId('answer').nth(0);
  await expect(answer).toHaveAttribute('data-mode', 'search');
  await expect(answer.getByTestId('search-mode-banner')).toBeVisible();
  const first = answer.getByTestId('source').first();
  await expect(first).toHaveAttribute('data-file', 'compressed.tracemonkey-pldi-09.pdf');
  const citedPage = Number(await first.getAttribute('data-page'));
  expect(citedPage).toBeGreaterThanOrEqual(1);

  // A second question hits the other document.
  await ask(page, 'Is beautiful better than ugly?');
  const zen = page.getByTestId('answer').last().getByTestId('source').first();
  await expect(zen).toHaveAttribute('data-file', 'zen_of_python_corrupted.pdf');
  await page.screenshot({ path: SCREENSHOTS + 'desktop-search-mode.png' });

  // The source opens its page with the passage highlighted.
  await first.getByRole('button').click();
  const viewer = page.getByTestId('viewer');
  await expect(viewer).toBeVisible();
  await expect(page.getByTestId('viewer-page')).toHaveAttribute('data-page', String(citedPage));
  await expect.poll(async () => Number(await page.getByTestId('viewer-page').getAttribute('data-highlights')), { timeout: 30_000 }).toBeGreaterThan(0);
  await page.screenshot({ path: SCREENSHOTS + 'desktop-viewer.png' });
  await page.keyboard.press('Escape');
  await expect(viewer).toBeHidden();

  // Reload: documents and the conversation are still there (IndexedDB).
  await waitForServiceWorker(page);
  await page.reload();
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  await waitReady(page, 'compressed.tracemonkey-pldi-09.pdf');
  await waitReady(page, 'zen_of_python_corrupted.pdf');
  await expect(page.getByTestId('answer')).toHaveCount(2);

  // Offline: the service worker serves the app; search still works.
  await context.setOffline(true);
  await page.reload();
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  await waitReady(page, 'zen_of_python_corrupted.pdf');
  await ask(page, 'What does the Zen say about namespaces?');
  await expect(page.getByTestId('answer').last().getByTestId('source').first()).toHaveAttribute('data-file', 'zen_of_python_corrupted.pdf');
  await page.getByTestId('answer').last().getByTestId('source').first().getByRole('button').click();
  await expect.poll(async () => Number(await page.getByTestId('viewer-page').getAttribute('data-highlights')), { timeout: 30_000 }).toBeGreaterThan(0);
  await page.screenshot({ path: SCREENSHOTS + 'desktop-viewer-offline.png' });
  await page.keyboard.press('Escape');
  await context.setOffline(false);

  // A reload in the middle of a re-index (OCR again, other languages) finds the documents' records saying ready
  // but the library's copy gone: that state, made here by deleting the index keys in IndexedDB, is indexed again
  // at start, so a document never shows ready while search cannot find it.
  await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => { const r = indexedDB.open('pdfchat-documents'); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
    const store = db.transaction('retrieval', 'readwrite').objectStore('retrieval');
    const all = await new Promise<IDBValidKey[]>((resolve) => { const r = store.getAllKeys(); r.onsuccess = () => resolve(r.result); });
    await Promise.all(all.filter((k) => String(k).startsWith('doc:')).map((k) => new Promise((resolve) => { store.delete(k).onsuccess = resolve; })));
    db.close();
  });
  await page.reload();
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  await waitReady(page, 'zen_of_python_corrupted.pdf');
  await ask(page, 'Is beautiful better than ugly?');
  await expect(page.getByTestId('answer').last().getByTestId('source').first()).toHaveAttribute('data-file', 'zen_of_python_corrupted.pdf');

  // Remove a document: gone from the list and from search.
  await documentRow(page, 'zen_of_python_corrupted.pdf').getByRole('button', { name: /Remove/ }).click();
  await expect(documentRow(page, 'zen_of_python_corrupted.pdf')).toHaveCount(0);
  await ask(page, 'Is beautiful better than ugly?');
  await expect(page.getByTestId('answer').last().locator('[data-file="zen_of_python_corrupted.pdf"]')).toHaveCount(0);

  expect(foreignRequests(urls)).toEqual([]);
  expect(cspViolations).toEqual([]);
  await context.close();
});

test('several files at once: all listed and stored before the first is read (a reload keeps them); a non-PDF and a repeat are reported, not dropped', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  await openApp(page);
  // The scan's pages are never handed to the recogniser (its rendering to PNG is held), so it stays
  // "recognising" for as long as the test needs: what comes after it must not wait for it to be listed.
  await page.evaluate(() => { HTMLCanvasElement.prototype.toBlob = () => undefined; });
  const zen = readFileSync(PDFS + 'zen_of_python_corrupted.pdf');
  await page.getByTestId('pdf-input').setInputFiles([
    { name: 'issue7229.pdf', mimeType: 'application/pdf', buffer: readFileSync(PDFS + 'issue7229.pdf') },
    { name: 'zen_of_python_corrupted.pdf', mimeType: 'application/pdf', buffer: zen },
    { name: 'zen copy.pdf', mimeType: 'application/pdf', buffer: zen },
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a pdf') },
  ]);
  await expect(documentRow(page, 'issue7229.pdf')).toHaveAttribute('data-status', 'recognising', { timeout: 60_000 });
  await expect(documentRow(page, 'zen_of_python_corrupted.pdf')).toHaveAttribute('data-status', 'extracting');
  await expect(documentRow(page, 'zen copy.pdf')).toHaveCount(0);
  const notices = page.getByTestId('file-notice');
  await expect(notices.and(page.locator('[data-kind="not-pdf"]'))).toContainText('notes.txt is not a PDF');
  await expect(notices.and(page.locator('[data-kind="not-pdf"]'))).toHaveAttribute('data-code', 'NOT_PDF');
  await expect(notices.and(page.locator('[data-kind="duplicate"]'))).toContainText('zen copy.pdf is already in your documents (as zen_of_python_corrupted.pdf)');
  await page.getByTestId('dismiss-notices').click();
  await expect(notices).toHaveCount(0);

  // A reload while the first is still being recognised: both are there, and the second is read and found.
  await page.reload();
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  await expect(documentRow(page, 'issue7229.pdf')).toHaveCount(1);
  await waitReady(page, 'zen_of_python_corrupted.pdf');
  await ask(page, 'Is beautiful better than ugly?');
  await expect(page.getByTestId('answer').last().getByTestId('source').first()).toHaveAttribute('data-file', 'zen_of_python_corrupted.pdf');
  await context.close();
});

test('problem PDFs: password prompt (wrong, then right), scanned PDF explained, garbled pages reported', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  await openApp(page);
  await addPdfs(page, ['issue6010_1.pdf', 'issue7229.pdf', 'TAMReview.pdf']);

  const locked = documentRow(page, 'issue6010_1.pdf');
  await expect(locked).toHaveAttribute('data-status', 'needs-password', { timeout: 60_000 });
  await expect(locked).toContainText('protected by a password');
  await locked.getByPlaceholder('Password').fill('wrong');
  await locked.getByPlaceholder('Password').press('Enter');
  await expect(locked.getByRole('alert')).toHaveText('That password is not right. Try again.', { timeout: 30_000 });
  await locked.getByPlaceholder('Password').fill('abc');
  await locked.getByRole('button', { name: 'Open' }).click();
  await waitReady(page, 'issue6010_1.pdf');

  // A scan is recognised (OCR) on its own (e2e/ocr.spec.ts follows that through); Cancel stops it inside the
  // first page, and the row explains that nothing is searchable yet and offers to recognise it.
  const scanned = documentRow(page, 'issue7229.pdf');
  await scanned.getByTestId('ocr-cancel').click({ timeout: 60_000 });
  await expect(scanned).toHaveAttribute('data-status', 'failed', { timeout: 60_000 });
  await expect(scanned.getByRole('alert')).toHaveAttribute('data-code', 'NO_TEXT');
  await expect(scanned.getByRole('alert')).toContainText('Text recognition was cancelled');
  await expect(scanned.getByTestId('ocr-recognise')).toBeVisible();

  const garbled = documentRow(page, 'TAMReview.pdf');
  await waitReady(page, 'TAMReview.pdf', 120_000);
  await expect(garbled.getByTestId('garbled')).toContainText('unreadable text');
  await page.screenshot({ path: SCREENSHOTS + 'desktop-problem-pdfs.png' });

  // The unlocked PDF is searchable and its page opens.
  await ask(page, 'Issue 6010');
  await expect(page.getByTestId('answer').last().getByTestId('source').first()).toHaveAttribute('data-file', 'issue6010_1.pdf');

  // After a reload (passwords live in memory only) the viewer asks once; the next citation opens without asking.
  await waitForServiceWorker(page);
  await page.reload();
  await waitReady(page, 'issue6010_1.pdf');
  const openCitation = async () => {
    await page.getByTestId('answer').last().getByTestId('source').first().getByRole('button').click();
    await expect(page.getByTestId('viewer')).toBeVisible();
  };
  await openCitation();
  const prompt = page.getByTestId('viewer').getByPlaceholder('Password');
  await prompt.fill('abc');
  await prompt.press('Enter');
  // (The dialog's page is built afresh at each opening: its text layer fills once the document has opened.)
  const rendered = page.getByTestId('viewer').locator('.textLayer span').first();
  await expect(rendered).toBeAttached({ timeout: 30_000 });
  await expect(prompt).toHaveCount(0);
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('viewer')).toBeHidden();
  await openCitation();
  await expect(rendered).toBeAttached({ timeout: 30_000 });
  await expect(prompt).toHaveCount(0);
  await context.close();
});

test('WebGPU missing: clear message, search mode still answers; phone layout and Chinese UI', async ({ browser }) => {
  const context = await browser.newContext({ viewport: PHONE, locale: 'zh-CN', isMobile: true, hasTouch: true });
  await context.addInitScript(() => {
    // Simulate a browser without WebGPU.
    delete (Navigator.prototype as unknown as { gpu?: unknown }).gpu;
  });
  const page = await context.newPage();
  await openApp(page);
  expect(await page.evaluate(() => 'gpu' in navigator)).toBe(false);
  await expect(page.getByTestId('no-webgpu')).toContainText('WebGPU');
  await expect(page.getByTestId('header-mode')).toHaveText('检索模式');
  await page.screenshot({ path: SCREENSHOTS + 'phone-chat-zh-no-webgpu.png' });
  // Asked before any document is added: why nothing was searched, in Chinese.
  await ask(page, '团队的共同目标');
  await expect(page.getByTestId('answer').last().getByRole('alert')).toHaveText('还没有可搜索的文档。先添加一个 PDF，再提问。');

  await showTab(page, 'documents');
  await addPdfs(page, ['issue12823.pdf']);
  await waitReady(page, 'issue12823.pdf');
  await page.screenshot({ path: SCREENSHOTS + 'phone-documents-zh.png' });
  await showTab(page, 'chat');
  await ask(page, '团队的共同目标');
  const answer = page.getByTestId('answer').last();
  await expect(answer).toHaveAttribute('data-mode', 'search');
  await expect(answer.getByTestId('source').first()).toHaveAttribute('data-file', 'issue12823.pdf');
  await page.screenshot({ path: SCREENSHOTS + 'phone-search-zh.png' });

  await showTab(page, 'models');
  await expect(page.getByTestId('model-row').first()).toBeVisible();
  await page.screenshot({ path: SCREENSHOTS + 'phone-models-zh.png' });

  // Switch the language: the choice sticks across a reload.
  await page.getByTestId('lang').selectOption('en');
  await expect(page.getByTestId('header-mode')).toHaveText('Search mode');
  await page.reload();
  await expect(page.getByTestId('header-mode')).toHaveText('Search mode');
  await context.close();
});

test('keyboard only: add-free flow reaches the question box, asks, and the settings dialog opens, its numbers edit as typed, and it closes', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, colorScheme: 'dark', locale: 'en-US' });
  const page = await context.newPage();
  await openApp(page);
  await addPdfs(page, ['zen_of_python_corrupted.pdf']);
  await waitReady(page, 'zen_of_python_corrupted.pdf');
  // With the only document left out of answers, a question says so (it is not searched).
  await documentRow(page, 'zen_of_python_corrupted.pdf').getByRole('checkbox').uncheck();
  await ask(page, 'Is explicit better than implicit?');
  await expect(page.getByTestId('answer').last().getByRole('alert')).toContainText('No document is selected for answers');
  await documentRow(page, 'zen_of_python_corrupted.pdf').getByRole('checkbox').check();
  await page.getByTestId('question').focus();
  await page.keyboard.type('Is explicit better than implicit?');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('answer').last().getByTestId('source').first()).toBeVisible();
  // Tab from the question box to Ask, then back to the toolbar: every control is reachable.
  await page.getByTestId('open-settings').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog', { name: 'Settings' })).toBeVisible();
  await page.screenshot({ path: SCREENSHOTS + 'desktop-dark-settings.png' });
  // Editing a number as people do: select it, delete it, type the new one (each key a change event).
  const maxTokens = page.getByTestId('max-tokens');
  await maxTokens.focus();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Backspace');
  await expect(maxTokens).toHaveValue(''); // not "1" (a clamp of the empty field)
  await page.keyboard.type('512');
  await expect(maxTokens).toHaveValue('512');
  // A value below the minimum is not taken: leaving the field shows the setting again.
  await page.getByTestId('passages').focus();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('8');
  await expect(page.getByTestId('passages')).toHaveValue('8');
  await maxTokens.focus();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('3');
  await page.getByTestId('passages').focus();
  await expect(maxTokens).toHaveValue('512');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: 'Settings' })).toBeHidden();
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('pdfchat.answerSettings') ?? '{}'));
  expect(stored).toMatchObject({ maxAnswerTokens: 512, passages: 8 });
  const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  expect(bg).toBe('rgb(20, 23, 27)'); // dark theme
  await context.close();
});

test('a page scanned as a CCITT G4 fax image renders in the viewer (pdf.js\'s wasm decoder served by the app), also offline', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  await openApp(page);
  // Top half of the image black, bottom half white (tests/unit/pdf-ccitt-helpers.ts).
  const pdf = Buffer.from(buildCcittPdf('Invoice scanned on the office copier', [true, true, true, true, false, false, false, false]));
  await page.getByTestId('pdf-input').setInputFiles({ name: 'copier-scan.pdf', mimeType: 'application/pdf', buffer: pdf });
  await waitReady(page, 'copier-scan.pdf');

  /** Grey level of the viewer's canvas at the middle of the image's black half and of its white half. */
  const viewerBars = async () => {
    await ask(page, 'Which copier was the invoice scanned on?');
    await page.getByTestId('answer').last().getByTestId('source').first().getByRole('button').click();
    await expect(page.getByTestId('viewer')).toBeVisible();
    await expect.poll(async () => Number(await page.getByTestId('viewer-page').getAttribute('data-highlights')), { timeout: 30_000 }).toBeGreaterThan(0);
    const bars = await page.getByTestId('viewer').locator('canvas').evaluate((canvas: HTMLCanvasElement, box) => {
      const ctx = canvas.getContext('2d')!;
      const at = (xPt: number, yPt: number) => ctx.getImageData(Math.round((xPt / 432) * canvas.width), Math.round((1 - yPt / 288) * canvas.height), 1, 1).data[0];
      return { black: at(box.x + box.width / 2, box.y + (box.height * 3) / 4), white: at(box.x + box.width / 2, box.y + box.height / 4) };
    }, CCITT_IMAGE_BOX);
    await page.keyboard.press('Escape');
    return bars;
  };
  const online = await viewerBars();
  expect(online.black).toBeLessThan(64);
  expect(online.white).toBeGreaterThan(192);

  // Offline after a reload: the decoder comes from the service worker's precache.
  await waitForServiceWorker(page);
  await context.setOffline(true);
  await page.reload();
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  await waitReady(page, 'copier-scan.pdf');
  const offline = await viewerBars();
  expect(offline.black).toBeLessThan(64);

  // The document removed, its citation in the conversation says so when opened (not a blank page, not "not a PDF").
  await context.setOffline(false);
  await documentRow(page, 'copier-scan.pdf').getByRole('button', { name: /Remove/ }).click();
  await expect(documentRow(page, 'copier-scan.pdf')).toHaveCount(0);
  await page.getByTestId('answer').last().getByTestId('source').first().getByRole('button').click();
  await expect(page.getByTestId('viewer').getByRole('alert')).toContainText('no longer stored (it was removed)');
  await expect(page.getByTestId('viewer-page')).toContainText('/ …'); // no page count carried over from before
  await context.close();
});

/** What the origin stores for its documents: each record (and whether it holds a file), and each stored file's size. */
function storedDocuments(page: Page) {
  return page.evaluate(async () => {
    const all = async (dbName: string, store: string) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => { const r = indexedDB.open(dbName); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
      if (!db.objectStoreNames.contains(store)) { db.close(); return [] as [string, unknown][]; }
      const os = db.transaction(store, 'readonly').objectStore(store);
      const keys = await new Promise<IDBValidKey[]>((resolve) => { const r = os.getAllKeys(); r.onsuccess = () => resolve(r.result); });
      const values = await new Promise<unknown[]>((resolve) => { const r = os.getAll(); r.onsuccess = () => resolve(r.result); });
      db.close();
      return keys.map((k, i) => [String(k), values[i]] as [string, unknown]);
    };
    const records = (await all('pdfchat-pdfs', 'pdfs')).map(([id, v]) => {
      const d = v as { record: { name: string; selected: boolean }; bytes?: Blob };
      return { id, name: d.record.name, selected: d.record.selected, holdsFile: 'bytes' in d };
    });
    const files = (await all('pdfchat-pdf-bytes', 'bytes')).map(([id, v]) => ({ id, size: v instanceof Blob ? v.size : -1 }));
    return { records, files };
  });
}

test('a document\'s PDF is stored apart from its record (a record change never writes the file again); a record stored with its file by an earlier version is moved out at start-up and its cited page still opens; a file left without a record is deleted', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  await openApp(page);
  const name = 'zen_of_python_corrupted.pdf';
  const size = readFileSync(PDFS + name).byteLength;
  await addPdfs(page, [name]);
  await waitReady(page, name);
  const row = documentRow(page, name);
  // Two record changes (left out of answers, then back in).
  await row.getByRole('checkbox').uncheck();
  await expect.poll(async () => (await storedDocuments(page)).records[0]?.selected).toBe(false);
  await row.getByRole('checkbox').check();
  await expect.poll(async () => (await storedDocuments(page)).records[0]?.selected).toBe(true);
  const now = await storedDocuments(page);
  expect(now.records.map((r) => ({ name: r.name, holdsFile: r.holdsFile }))).toEqual([{ name, holdsFile: false }]);
  expect(now.files).toEqual([{ id: now.records[0].id, size }]);

  // The store as an earlier version left it: the file inside the record, no file store entry; and a file
  // without any record (a tab closed between the two writes).
  const ORPHAN = 'e'.repeat(64);
  await page.evaluate(async ([id, orphan]) => {
    const open = (dbName: string) => new Promise<IDBDatabase>((resolve, reject) => { const r = indexedDB.open(dbName); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
    const files = await open('pdfchat-pdf-bytes');
    const tx1 = files.transaction('bytes', 'readwrite');
    const blob = await new Promise<Blob>((resolve) => { const r = tx1.objectStore('bytes').get(id); r.onsuccess = () => resolve(r.result as Blob); });
    tx1.objectStore('bytes').delete(id);
    tx1.objectStore('bytes').put(new Blob([new Uint8Array(1000)]), orphan);
    await new Promise((resolve, reject) => ((tx1.oncomplete = resolve), (tx1.onerror = () => reject(tx1.error))));
    files.close();
    const records = await open('pdfchat-pdfs');
    const tx2 = records.transaction('pdfs', 'readwrite');
    const stored = await new Promise<{ record: unknown }>((resolve) => { const r = tx2.objectStore('pdfs').get(id); r.onsuccess = () => resolve(r.result as { record: unknown }); });
    tx2.objectStore('pdfs').put({ record: stored.record, bytes: blob }, id);
    await new Promise((resolve, reject) => ((tx2.oncomplete = resolve), (tx2.onerror = () => reject(tx2.error))));
    records.close();
  }, [now.records[0].id, ORPHAN] as const);
  const old = await storedDocuments(page);
  expect(old.records.map((r) => r.holdsFile)).toEqual([true]);
  expect(old.files.map((f) => f.id)).toEqual([ORPHAN]);

  await page.reload();
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  await waitReady(page, name);
  const moved = await storedDocuments(page);
  expect(moved.records.map((r) => r.holdsFile)).toEqual([false]);
  expect(moved.files).toEqual([{ id: now.records[0].id, size }]);
  // The file read from where it now is: the cited page opens, highlighted.
  await ask(page, 'Is beautiful better than ugly?');
  const source = page.getByTestId('answer').last().getByTestId('source').first();
  await expect(source).toHaveAttribute('data-file', name);
  await source.getByRole('button').click();
  await expect.poll(async () => Number(await page.getByTestId('viewer-page').getAttribute('data-highlights')), { timeout: 30_000 }).toBeGreaterThan(0);
  await page.keyboard.press('Escape');

  // Removed: neither its record nor its file is left.
  await documentRow(page, name).getByRole('button', { name: /Remove/ }).click();
  await expect(documentRow(page, name)).toHaveCount(0);
  await expect.poll(async () => await storedDocuments(page)).toEqual({ records: [], files: [] });
  await context.close();
});

test('a browser that keeps no data for the site (IndexedDB refused): the app still starts, says documents will not be kept, and a PDF added is searchable and opens', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  // As with "don't allow sites to save data" in the site settings: every IndexedDB open is refused.
  await context.addInitScript(() => {
    IDBFactory.prototype.open = function () {
      throw new DOMException('The user denied permission to access the database.', 'SecurityError');
    };
  });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await openApp(page); // ready: it never waits for a database that will not open
  const problem = page.getByTestId('documents-storage-problem');
  await expect(problem).toBeVisible();
  await expect(problem).toHaveAttribute('data-code', 'STORAGE_UNAVAILABLE');
  await expect(problem).toContainText('Documents cannot be stored in this browser (The user denied permission to access the database.)');
  await expect(problem).toContainText('allow this site to store data');

  await addPdfs(page, ['zen_of_python_corrupted.pdf']);
  await waitReady(page, 'zen_of_python_corrupted.pdf');
  await ask(page, 'Is beautiful better than ugly?');
  const source = page.getByTestId('answer').last().getByTestId('source').first();
  await expect(source).toHaveAttribute('data-file', 'zen_of_python_corrupted.pdf');
  await source.getByRole('button').click();
  await expect.poll(async () => Number(await page.getByTestId('viewer-page').getAttribute('data-highlights')), { timeout: 30_000 }).toBeGreaterThan(0);
  await page.keyboard.press('Escape');
  expect(pageErrors).toEqual([]);

  // As it said: after a reload the document is gone, and the panel says so again.
  await page.reload();
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  await expect(page.getByTestId('documents-storage-problem')).toBeVisible();
  await expect(documentRow(page, 'zen_of_python_corrupted.pdf')).toHaveCount(0);
  await context.close();
});

test('removing a long PDF while its text is being extracted stops the PDF reader at its next page (it does not read the rest)', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  // Every message to and from the PDF reader worker, per extraction.
  await context.addInitScript(() => {
    const log: { type: string; id: number; page?: number; code?: string }[] = [];
    (window as unknown as { pdfReaderLog: typeof log }).pdfReaderLog = log;
    const Original = Worker;
    class Watched extends Original {
      constructor(url: string | URL, opts?: WorkerOptions) {
        super(url, opts);
        if (opts?.name !== 'pdf-extract') return;
        this.addEventListener('message', (e: MessageEvent) => log.push({ type: e.data?.type, id: e.data?.id, page: e.data?.page, code: e.data?.error?.code }));
        const post = this.postMessage.bind(this) as (m: unknown, t?: Transferable[]) => void;
        this.postMessage = ((m: { type?: string; id?: number }, t?: Transferable[]) => {
          if (m?.type === 'cancel') log.push({ type: 'cancel-sent', id: m.id ?? -1 });
          post(m, t);
        }) as Worker["postMessage"];
      }
    }
    (window as unknown as { Worker: typeof Worker }).Worker = Watched;
  });
  const page = await context.newPage();
  await openApp(page);
  const PAGES = 1500;
  const long = Buffer.from(buildPdf({ pages: Array.from({ length: PAGES }, (_, i) => ({ lines: [{ x: 72, y: 720, text: `Page ${i + 1} of the long register of ships that called at the harbour.`, size: 11 }] })) }));
  await page.getByTestId('pdf-input').setInputFiles({ name: 'register.pdf', mimeType: 'application/pdf', buffer: long });
  const log = () => page.evaluate(() => (window as unknown as { pdfReaderLog: { type: string; id: number; page?: number; code?: string }[] }).pdfReaderLog);
  await expect.poll(async () => (await log()).filter((m) => m.type === 'progress').length, { timeout: 60_000 }).toBeGreaterThan(10);
  const job = (await log()).find((m) => m.type === 'progress')!.id;
  await documentRow(page, 'register.pdf').getByRole('button', { name: /Remove/ }).click();
  await expect(documentRow(page, 'register.pdf')).toHaveCount(0);

  // The reader was told, and its own end of the job is ABORTED, long before the last page.
  await expect.poll(async () => (await log()).some((m) => m.id === job && (m.type === 'done' || m.type === 'error')), { timeout: 120_000 }).toBe(true);
  const mine = (await log()).filter((m) => m.id === job);
  expect(mine.some((m) => m.type === 'cancel-sent')).toBe(true);
  expect(mine.find((m) => m.type === 'done' || m.type === 'error')).toMatchObject({ type: 'error', code: 'ABORTED' });
  expect(Math.max(...mine.filter((m) => m.type === 'progress').map((m) => m.page ?? 0))).toBeLessThan(PAGES);
  await context.close();
});
