// Workers that fail to start: the request for the worker's script is aborted (as when offline with a chunk that
// is not cached), so the browser fires 'error' on the Worker. The app says what happened instead of waiting
// forever, and the next try starts a fresh worker. No service worker: it would serve the script past page.route.
import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHub, type Hub } from './hub-server';
import { addPdfs, DESKTOP, documentRow, PDFS, modelRowOf, openApp, setHubEndpoint, startRepoDownload, waitReady } from './app-helpers';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const PDF_WORKER_SCRIPT = /\/assets\/pdf-worker-[\w-]+\.js$/;
const ENGINE_WORKER_SCRIPT = /\/assets\/engine-worker-[\w-]+\.js$/;

test('a PDF reader that fails to start: the document says so at once, and after removing it the PDF is read by a fresh worker', async ({ browser }) => {
  test.skip(!existsSync(PDFS + 'zen_of_python_corrupted.pdf'), 'shared fixtures (../shared/fixtures/pdfs) are absent');
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', serviceWorkers: 'block' });
  const page = await context.newPage();
  let aborted = 0;
  await page.route(PDF_WORKER_SCRIPT, (route) => {
    aborted++;
    return route.abort();
  });
  await openApp(page);
  await addPdfs(page, ['zen_of_python_corrupted.pdf']);
  const row = documentRow(page, 'zen_of_python_corrupted.pdf');
  await expect(row).toHaveAttribute('data-status', 'failed', { timeout: 60_000 });
  await expect(row.getByRole('alert')).toHaveAttribute('data-code', 'WORKER_FAILED');
  await expect(row.getByRole('alert')).toHaveText('The PDF reader stopped unexpectedly. Remove this document and add the PDF again.');
  expect(aborted).toBe(1);

  await page.unroute(PDF_WORKER_SCRIPT);
  await row.getByRole('button', { name: 'Remove zen_of_python_corrupted.pdf' }).click();
  await expect(row).toHaveCount(0);
  await addPdfs(page, ['zen_of_python_corrupted.pdf']);
  await waitReady(page, 'zen_of_python_corrupted.pdf');
  await expect(row.getByTestId('page-count')).toHaveText('1 page');
  await context.close();
});

test.describe('model engine', () => {
  const REPO = 'test/random-gptq-tiny';
  let hub: Hub;
  let dir: string;

  test.beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pdfchat-worker-failure-e2e-'));
    execFileSync('node', ['--import', 'tsx', 'scripts/make-random-llama.ts', dir, JSON.stringify({ hidden: 64, intermediate: 176, layers: 2, heads: 4, kvHeads: 2, vocab: 512, tied: false, seed: 1, shards: 2, quant: { groupSize: 32, actOrder: true, format: 'v1', sym: false } })], { cwd: REPO_ROOT, stdio: 'pipe' });
    hub = await startHub({ repos: { [REPO]: dir }, port: 0 });
  });

  test.afterAll(async () => {
    await hub?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('an engine worker that fails to start ends the load with a clear error (not "Loading 0%" forever), and the next load works', async ({ browser }) => {
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', serviceWorkers: 'block' });
    const page = await context.newPage();
    await openApp(page);
    await setHubEndpoint(page, hub.url);
    await startRepoDownload(page, REPO);
    const row = modelRowOf(page, REPO);
    await expect(row).toHaveAttribute('data-complete', 'true', { timeout: 60_000 });

    let aborted = 0;
    await page.route(ENGINE_WORKER_SCRIPT, (route) => {
      aborted++;
      return route.abort();
    });
    await row.getByTestId('load').click();
    const error = page.getByTestId('load-error');
    await expect(error).toHaveAttribute('data-code', 'WORKER_FAILED', { timeout: 60_000 });
    await expect(error).toHaveText('The model engine stopped unexpectedly. Load the model again (reload the page if it keeps happening).');
    await expect(page.getByTestId('model-loading')).toHaveCount(0);
    await expect(page.getByTestId('header-mode')).toHaveText('Search mode');
    expect(aborted).toBe(1);

    await page.unroute(ENGINE_WORKER_SCRIPT);
    await row.getByTestId('load').click();
    await expect(page.getByTestId('loaded-model')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('load-error')).toHaveCount(0);
    await context.close();
  });
});
