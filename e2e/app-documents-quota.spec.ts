// A PDF the browser refuses to store (the site's storage quota is full): the notice says so, with the real
// code and what to do, and never that the file is a duplicate. The quota is the browser's own, made tiny for
// this origin through the DevTools protocol (Storage.overrideQuotaForOrigin), so IndexedDB itself refuses.
import { expect, test, type Browser } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { DESKTOP, documentRow, hasFixtures, openApp, PDFS, waitForServiceWorker, waitReady } from './app-helpers';

test.skip(!hasFixtures, 'shared fixtures (../shared/fixtures/pdfs) are absent');

/**
 * The app open with its shell precached (what the site stores from then on is the documents), and the site's
 * quota set to what it holds now plus `room` bytes — before the first document write: Chromium's IndexedDB was
 * seen to let small writes through for a while after one that found room (an override made after the PDF was
 * stored let the index writes pass). `lift()` takes the override away.
 */
async function appWithRoom(browser: Browser, room: number) {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await openApp(page);
  await waitForServiceWorker(page);
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  const origin = new URL(page.url()).origin;
  const cdp = await context.newCDPSession(page);
  const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + room });
  return { context, page, pageErrors, lift: () => cdp.send('Storage.overrideQuotaForOrigin', { origin }) };
}

test('a PDF that does not fit in the storage quota → a QUOTA_EXCEEDED notice saying what to free, no "duplicate"; it is added once there is room', async ({ browser }) => {
  const pdf = readFileSync(PDFS + 'compressed.tracemonkey-pldi-09.pdf'); // ~1 MB
  const room = 64 * 1024;
  expect(pdf.byteLength).toBeGreaterThan(room * 4);
  // (navigator.storage.estimate() keeps showing the real quota; the quota manager, which IndexedDB asks, has the override.)
  const { context, page, lift } = await appWithRoom(browser, room);

  await page.getByTestId('pdf-input').setInputFiles([{ name: 'tracemonkey.pdf', mimeType: 'application/pdf', buffer: pdf }]);
  const notices = page.getByTestId('file-notice');
  await expect(notices).toHaveCount(1, { timeout: 30_000 });
  await expect(notices).toHaveAttribute('data-code', 'QUOTA_EXCEEDED');
  await expect(notices).not.toHaveAttribute('data-kind', 'duplicate');
  await expect(notices).not.toContainText('already in your documents');
  await expect(notices).toContainText('tracemonkey.pdf could not be stored');
  await expect(notices).toContainText(/Remove some documents or models|free disk space/i);
  // It is not listed: nothing of it was kept (the notice says why).
  await expect(documentRow(page, 'tracemonkey.pdf')).toHaveCount(0);

  // Room again (the override lifted): the same file is taken afresh and indexed.
  await lift();
  await page.getByTestId('pdf-input').setInputFiles([{ name: 'tracemonkey.pdf', mimeType: 'application/pdf', buffer: pdf }]);
  await waitReady(page, 'tracemonkey.pdf');
  await expect(notices).toHaveCount(0);
  await expect(documentRow(page, 'tracemonkey.pdf')).toHaveCount(1);
  await context.close();
});

test('a PDF that fits but whose index does not (IndexedDB refuses, saying nothing of a quota) → the document fails with QUOTA_EXCEEDED, not INTERNAL; added again once there is room, it is indexed', async ({ browser }) => {
  // Room for the PDF and 16 kB more; the chunks of its 14 pages of text, which the library stores next, do not fit.
  const name = 'compressed.tracemonkey-pldi-09.pdf';
  const pdf = readFileSync(PDFS + name);
  const { context, page, pageErrors, lift } = await appWithRoom(browser, pdf.byteLength + 16 * 1024);

  await page.getByTestId('pdf-input').setInputFiles(PDFS + name);
  const row = documentRow(page, name);
  await expect(row).toHaveAttribute('data-status', 'failed', { timeout: 120_000 });
  await expect(page.getByTestId('file-notice')).toHaveCount(0); // the PDF itself was stored
  await expect(row.locator('[role="alert"]')).toHaveAttribute('data-code', 'QUOTA_EXCEEDED');
  await expect(row).toContainText(`Not enough browser storage to keep "${name}"`);
  // The failed record's own write may be refused too: caught, not an unhandled rejection.
  expect(pageErrors).toEqual([]);

  // Room again: adding it again is a retry, and it is indexed.
  await lift();
  await page.getByTestId('pdf-input').setInputFiles(PDFS + name);
  await waitReady(page, name, 120_000);
  await expect(row).toHaveCount(1);
  expect(pageErrors).toEqual([]);
  await context.close();
});

test('a document whose record the browser refuses to save says so in its row, and nothing is lost', async ({ browser }) => {
  // Room for this PDF and its index; then other data of the site fills the quota, so the next change to the
  // document's record (a small value; its PDF is stored apart) cannot be written.
  const name = 'compressed.tracemonkey-pldi-09.pdf';
  const { context, page, pageErrors, lift } = await appWithRoom(browser, 4 * 2 ** 20);
  await page.getByTestId('pdf-input').setInputFiles(PDFS + name);
  await waitReady(page, name);
  const row = documentRow(page, name);
  await expect(row.getByTestId('doc-storage-warning')).toHaveCount(0);
  const filled = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('other-data', 1);
      r.onupgradeneeded = () => r.result.createObjectStore('s');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    let stored = 0;
    for (let i = 0; i < 64; i++) {
      const ok = await new Promise<boolean>((res) => {
        const tx = db.transaction('s', 'readwrite');
        tx.objectStore('s').put(new Blob([new Uint8Array(256 * 1024).fill(i + 1)]), i);
        tx.oncomplete = () => res(true);
        tx.onabort = () => res(false);
      });
      if (!ok) break;
      stored++;
    }
    db.close();
    return stored;
  });
  expect(filled).toBeLessThan(64); // the quota is full

  // Leaving the document out of answers changes its record: the write is refused, and the row says so and
  // what to do (it used to be kept in memory only).
  await row.getByRole('checkbox').uncheck();
  const warning = row.getByTestId('doc-storage-warning');
  await expect(warning).toHaveCount(1, { timeout: 30_000 });
  await expect(warning).toContainText('could not be saved in the browser');
  await expect(warning).toContainText('Free some storage');
  await expect(row).toHaveAttribute('data-status', 'ready'); // still searchable in this session
  expect(pageErrors).toEqual([]);

  // Room again, reload: the document is there (stored before the quota ran out); the warning was for that session.
  await lift();
  await page.reload();
  await waitReady(page, name);
  await expect(documentRow(page, name).getByTestId('doc-storage-warning')).toHaveCount(0);
  expect(pageErrors).toEqual([]);
  await context.close();
});
