// Two tabs (two pages of one browser context: one origin, one real IndexedDB) on the same document. A tab opened
// while another one is recognising a scan does not recognise it too: it waits for the other tab's work (the
// document's Web Lock) and then shows the stored result, ready and searchable. A document removed in one tab
// while the other is recognising it leaves nothing of its index (nor its recognised pages) in IndexedDB. A
// document added in one tab appears in the other open tab at once (no reload), read once, searchable in both.
import { createHash } from 'node:crypto';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { OCR_ASSET_DIR } from '../src/pdf/ocr-assets';
import { buildPdf } from '../tests/unit/pdf-helpers';
import { ask, DESKTOP, documentRow, holdLanguageData, openApp, scanPdf, waitReady } from './app-helpers';

const HARBOUR = [
  ['The harbour office opens at seven in the morning', 'and closes when the last ferry has left the quay.'],
  ['Every evening the lighthouse keeper writes down', 'the wind speed and the height of the waves.'],
];
const GLACIER = [
  ['A glacier moves a few metres down the valley', 'in a year, grinding the rock beneath it.'],
  ['Meltwater streams carry sand and gravel', 'far beyond the front of the ice.'],
];

const docIdOf = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** What a page's run started for OCR: Tesseract files it asked for and workers it started (dedicated workers' requests count as the page's). */
function watchOcr(page: Page): { requests: string[]; workers: string[] } {
  const seen = { requests: [] as string[], workers: [] as string[] };
  page.on('request', (r) => {
    if (r.url().includes('/tesseract/')) seen.requests.push(r.url());
  });
  page.on('worker', (w) => seen.workers.push(w.url()));
  return seen;
}

/** The keys of one IndexedDB object store of the origin (opened without creating anything). */
function idbKeys(page: Page, db: string, store: string): Promise<string[]> {
  return page.evaluate(
    ([db, store]) =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open(db);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const conn = open.result;
          if (!conn.objectStoreNames.contains(store)) {
            conn.close();
            resolve([]);
            return;
          }
          const req = conn.transaction(store, 'readonly').objectStore(store).getAllKeys();
          req.onsuccess = () => {
            conn.close();
            resolve(req.result.map(String));
          };
          req.onerror = () => reject(req.error);
        };
      }),
    [db, store] as const,
  );
}

/** Document locks (pdfchat-doc:*) held or asked for in the origin. */
function documentLocks(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const s = await navigator.locks.query();
    return [...(s.held ?? []), ...(s.pending ?? [])].filter((l) => l.name?.startsWith('pdfchat-doc:')).length;
  });
}

test('a tab opened while another recognises a scan does not recognise it again: it shows it ready and searchable once the other is done', async ({ browser }) => {
  // No service worker, so that every OCR file comes from the network: the language data is held back until tab 2
  // is open and waiting, so tab 1 cannot have finished before (whatever the machine's speed).
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', serviceWorkers: 'block' });
  const { release, requests: languageRequests } = await holdLanguageData(context);
  const bytes = scanPdf(HARBOUR);
  const one = await context.newPage();
  const inOne = watchOcr(one);
  await openApp(one);
  await one.getByTestId('pdf-input').setInputFiles({ name: 'harbour-scan.pdf', mimeType: 'application/pdf', buffer: bytes });
  await expect(documentRow(one, 'harbour-scan.pdf')).toHaveAttribute('data-status', 'recognising', { timeout: 60_000 });
  await expect.poll(languageRequests, { timeout: 60_000 }).toBe(1);
  // A question now is not answered with "no passage matches": the document is still being read, and it says so.
  await ask(one, 'Who writes down the wind speed?');
  await expect(one.getByTestId('answer').last().getByRole('alert')).toHaveAttribute('data-code', 'NOTHING_TO_SEARCH');
  await expect(one.getByTestId('answer').last()).toContainText('still being read');

  // Tab 2 opens mid-recognition: it lists the stored document and waits for tab 1's lock on it instead of redoing the work.
  const two = await context.newPage();
  const inTwo = watchOcr(two);
  await openApp(two);
  await expect(documentRow(two, 'harbour-scan.pdf')).toBeVisible();
  const lockName = `pdfchat-doc:${docIdOf(bytes)}`;
  // (Soft: without the lock the test goes on, to show below the OCR that tab 2 would then start.)
  const softly = expect.configure({ soft: true });
  await softly
    .poll(() => two.evaluate(async (name) => {
      const s = await navigator.locks.query();
      return `held=${(s.held ?? []).filter((l) => l.name === name).length} waiting=${(s.pending ?? []).filter((l) => l.name === name).length}`;
    }, lockName), { timeout: 30_000 })
    .toBe('held=1 waiting=1');
  await softly(documentRow(two, 'harbour-scan.pdf')).toHaveAttribute('data-status', 'extracting');
  release();

  await waitReady(one, 'harbour-scan.pdf', 240_000);
  await waitReady(two, 'harbour-scan.pdf', 60_000);
  await expect(documentRow(two, 'harbour-scan.pdf').getByTestId('ocr-badge')).toHaveText('text recognised (OCR)');
  await expect(documentRow(two, 'harbour-scan.pdf').getByTestId('page-count')).toHaveText('2 pages');

  // Tab 1 recognised it (the watch sees OCR work); tab 2 never started any: no Tesseract file, no OCR worker.
  expect(inOne.requests.some((u) => u.endsWith(`/${OCR_ASSET_DIR}worker.min.js`))).toBe(true);
  expect(inTwo.requests).toEqual([]);
  expect(inTwo.workers.filter((u) => /tesseract/i.test(u))).toEqual([]);
  expect(languageRequests()).toBe(1);

  // Searchable in tab 2 from what tab 1 stored.
  await ask(two, 'Who writes down the wind speed every evening?');
  const source = two.getByTestId('answer').last().getByTestId('source').first();
  await expect(source).toHaveAttribute('data-file', 'harbour-scan.pdf');
  await expect(source).toHaveAttribute('data-page', '2');
  await context.close();
});

test('a tab opened while another recognises the scanned pages of a PDF with text pages searches its text pages at once, and never recognises it itself', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', serviceWorkers: 'block' });
  const { release, requests: languageRequests } = await holdLanguageData(context);
  const texts = ['The ferry timetable changes on the first Monday of April.', 'Bicycles travel free on every crossing to the island.'];
  const bytes = scanPdf(HARBOUR, { texts });
  const one = await context.newPage();
  const inOne = watchOcr(one);
  await openApp(one);
  await one.getByTestId('pdf-input').setInputFiles({ name: 'ferry-guide.pdf', mimeType: 'application/pdf', buffer: bytes });
  await expect(documentRow(one, 'ferry-guide.pdf').getByTestId('searchable-meanwhile')).toBeVisible({ timeout: 60_000 });
  await expect.poll(languageRequests, { timeout: 60_000 }).toBe(1);

  // Tab 2 opens mid-recognition: the stored index of the text pages is searched there too, while it waits for tab 1.
  const two = await context.newPage();
  const inTwo = watchOcr(two);
  await openApp(two);
  await expect(documentRow(two, 'ferry-guide.pdf').getByRole('checkbox')).toBeEnabled();
  await expect(documentRow(two, 'ferry-guide.pdf').getByTestId('searchable-meanwhile')).toBeVisible();
  await ask(two, 'Do bicycles travel free on the crossing?');
  await expect(two.getByTestId('answer').last().getByTestId('source').first()).toHaveAttribute('data-page', '2', { timeout: 30_000 });
  await expect(two.getByTestId('answer').last().getByTestId('answer-left-out')).toContainText('still being recognised');
  release();

  await waitReady(one, 'ferry-guide.pdf', 240_000);
  await waitReady(two, 'ferry-guide.pdf', 60_000);
  await ask(two, 'Who writes down the wind speed every evening?');
  await expect(two.getByTestId('answer').last().getByTestId('source').first()).toHaveAttribute('data-page', '4');
  expect(inTwo.requests).toEqual([]);
  // Every request for language data came from tab 1 (one per OCR worker there: without a service worker nothing
  // caches them in this test).
  expect(languageRequests()).toBe(inOne.requests.filter((u) => u.includes('/tesseract/lang/')).length);
  await context.close();
});

test('a document removed in one tab while the other recognises it leaves no index (nor recognised pages) behind', async ({ browser }) => {
  // The language data is held back until the removal is made, so tab 1 is still recognising then (whatever the speed).
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', serviceWorkers: 'block' });
  const { release, requests: languageRequests } = await holdLanguageData(context);
  const bytes = scanPdf(GLACIER);
  const docId = docIdOf(bytes);
  const ofDoc = (keys: string[]) => keys.filter((k) => k === docId || k.startsWith(`doc:${docId}:`));

  const one = await context.newPage();
  await openApp(one);
  await one.getByTestId('pdf-input').setInputFiles({ name: 'glacier-scan.pdf', mimeType: 'application/pdf', buffer: bytes });
  await expect(documentRow(one, 'glacier-scan.pdf')).toHaveAttribute('data-status', 'recognising', { timeout: 60_000 });
  await expect.poll(languageRequests, { timeout: 60_000 }).toBe(1);

  // Removed in tab 2 while tab 1 is still recognising it.
  const two = await context.newPage();
  await openApp(two);
  await documentRow(two, 'glacier-scan.pdf').getByRole('button', { name: /Remove/ }).click();
  await expect(documentRow(two, 'glacier-scan.pdf')).toHaveCount(0);
  release();

  // Settled: no tab works on the document any more (tab 1 is done with it or dropped it) and its record is gone.
  await expect
    .poll(async () => {
      const row = documentRow(one, 'glacier-scan.pdf');
      const status = (await row.count()) === 0 ? 'gone' : await row.getAttribute('data-status');
      const records = ofDoc(await idbKeys(one, 'pdfchat-pdfs', 'pdfs')).length;
      const files = ofDoc(await idbKeys(one, 'pdfchat-pdf-bytes', 'bytes')).length;
      return `locks=${await documentLocks(one)} tab1=${status === 'ready' || status === 'failed' ? 'done' : status} records=${records} files=${files}`;
    }, { timeout: 240_000 })
    .toMatch(/^locks=0 tab1=(gone|done) records=0 files=0$/);
  // Tab 1 heard of the removal and no longer lists it.
  await expect(documentRow(one, 'glacier-scan.pdf')).toHaveCount(0);
  expect(ofDoc(await idbKeys(one, 'pdfchat-documents', 'retrieval'))).toEqual([]);
  await expect.poll(async () => ofDoc(await idbKeys(one, 'pdfchat-ocr', 'pages'))).toEqual([]);

  // An index left without a record by an earlier version (the bug this guards against): deleted at start-up.
  const ORPHAN = 'f'.repeat(64);
  await one.evaluate(async (id) => {
    const conn = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('pdfchat-documents');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const tx = conn.transaction('retrieval', 'readwrite');
    const meta = { docId: id, name: 'left-behind.pdf', pageCount: 1, chunkCount: 0, chunking: { maxTokens: 1, overlapTokens: 0, counter: 'x' }, embeddingModel: null, addedAt: 0 };
    tx.objectStore('retrieval').put(meta, `doc:${id}:meta`);
    tx.objectStore('retrieval').put([], `doc:${id}:chunks`);
    await new Promise((resolve, reject) => ((tx.oncomplete = resolve), (tx.onerror = () => reject(tx.error))));
    conn.close();
  }, ORPHAN);
  expect(await idbKeys(one, 'pdfchat-documents', 'retrieval')).toContain(`doc:${ORPHAN}:meta`);

  // After a reload of both tabs: still nothing of it stored, and neither lists it.
  for (const page of [one, two]) {
    await page.reload();
    await expect(page.locator('.app[data-ready="true"]')).toBeVisible({ timeout: 30_000 });
    await expect(documentRow(page, 'glacier-scan.pdf')).toHaveCount(0);
  }
  expect(ofDoc(await idbKeys(one, 'pdfchat-documents', 'retrieval'))).toEqual([]);
  expect(ofDoc(await idbKeys(one, 'pdfchat-pdfs', 'pdfs'))).toEqual([]);
  expect(ofDoc(await idbKeys(one, 'pdfchat-pdf-bytes', 'bytes'))).toEqual([]);
  expect((await idbKeys(one, 'pdfchat-documents', 'retrieval')).filter((k) => k.startsWith(`doc:${ORPHAN}:`))).toEqual([]);
  await context.close();
});

test('a document added in one tab appears in the other open tab without a reload, is read once, and is searchable there', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const pdfWorkers: string[] = [];
  const open = async () => {
    const page = await context.newPage();
    page.on('worker', (w) => {
      if (/\/assets\/pdf-worker-[\w-]+\.js$/.test(w.url())) pdfWorkers.push(w.url());
    });
    await openApp(page);
    return page;
  };
  const one = await open();
  const two = await open();
  await expect(documentRow(two, 'orchard.pdf')).toHaveCount(0);
  const lines = ['The orchard keeper grafts the young pear trees', 'in the last week of March, before the buds open.'];
  const bytes = Buffer.from(buildPdf({ pages: [{ lines: lines.map((text, i) => ({ x: 50, y: 750 - i * 24, text, size: 12 })) }, { lines: [{ x: 50, y: 750, text: 'Index of trees', size: 12 }] }] }));
  await one.getByTestId('pdf-input').setInputFiles({ name: 'orchard.pdf', mimeType: 'application/pdf', buffer: bytes });

  // Tab 2 was not touched: it lists the document and shows it ready.
  await waitReady(one, 'orchard.pdf');
  await waitReady(two, 'orchard.pdf');
  await expect(documentRow(two, 'orchard.pdf').getByTestId('page-count')).toHaveText('2 pages');
  // Read once: one PDF reader was started, in one of the two tabs (whichever took the document's lock).
  expect(pdfWorkers).toHaveLength(1);

  await ask(two, 'When are the pear trees grafted?');
  const source = two.getByTestId('answer').last().getByTestId('source').first();
  await expect(source).toHaveAttribute('data-file', 'orchard.pdf');
  await expect(source).toHaveAttribute('data-page', '1');
  await context.close();
});

test('the same file added in two tabs at once (before the first tab\'s announcement arrives): the second takes the stored record, never overwrites it with a fresh one', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const one = await context.newPage();
  await openApp(one);
  // Tab 2 does not hear tab 1's announcement (as when both drops land in the same moment).
  const two = await context.newPage();
  await two.addInitScript(() => {
    const Original = BroadcastChannel;
    class Deaf extends Original {
      constructor(name: string) {
        super(name);
        if (name === 'pdfchat-documents') Object.defineProperty(this, 'onmessage', { set() {}, get: () => null });
      }
    }
    (window as unknown as { BroadcastChannel: typeof BroadcastChannel }).BroadcastChannel = Deaf;
  });
  await openApp(two);
  const lines = ['The beekeeper moves the hives to the heather', 'in August, when the moorland is in flower.'];
  const bytes = Buffer.from(buildPdf({ pages: [{ lines: lines.map((text, i) => ({ x: 50, y: 750 - i * 24, text, size: 12 })) }, { lines: [{ x: 50, y: 750, text: 'Notes on the honey harvest', size: 12 }] }] }));
  const file = { name: 'hives.pdf', mimeType: 'application/pdf', buffer: bytes };
  await one.getByTestId('pdf-input').setInputFiles(file);
  await waitReady(one, 'hives.pdf');
  await expect(documentRow(two, 'hives.pdf')).toHaveCount(0); // it did not hear of it

  const storedRecord = () =>
    one.evaluate(
      (id) =>
        new Promise<{ status: string; pageCount: number } | null>((resolve, reject) => {
          const open = indexedDB.open('pdfchat-pdfs');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const req = open.result.transaction('pdfs', 'readonly').objectStore('pdfs').get(id);
            req.onsuccess = () => {
              open.result.close();
              const r = (req.result as { record?: { status: string; pageCount: number } } | undefined)?.record;
              resolve(r ? { status: r.status, pageCount: r.pageCount } : null);
            };
          };
        }),
      docIdOf(bytes),
    );
  expect(await storedRecord()).toEqual({ status: 'ready', pageCount: 2 });

  await two.getByTestId('pdf-input').setInputFiles(file);
  await waitReady(two, 'hives.pdf');
  await expect(documentRow(two, 'hives.pdf').getByTestId('page-count')).toHaveText('2 pages');
  await expect(two.getByTestId('file-notice')).toHaveCount(0);
  // What tab 1 stored is still there (a fresh record would say extracting, 0 pages, until a reload re-read it).
  expect(await storedRecord()).toEqual({ status: 'ready', pageCount: 2 });
  await two.reload();
  await waitReady(two, 'hives.pdf');
  await expect(documentRow(two, 'hives.pdf').getByTestId('page-count')).toHaveText('2 pages');
  await context.close();
});
