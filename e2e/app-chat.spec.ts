// The app with a model, end to end: a local test hub serves the converted stories260K (4-bit GPTQ format,
// sharded) and a random GPTQ Llama; the app's hub endpoint points at it; download with progress → two PDFs →
// ask → streamed answer with citations that open the right page → reload (documents and model still there)
// → offline reload → ask again. Also: a truncated shard fails clearly and a retry works. Every request stays
// on 127.0.0.1.
import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHub, type Hub } from './hub-server';
import { addPdfs, ask, DESKTOP, FIXTURES, foreignRequests, holdWeightReads, modelRowOf, openApp, PHONE, recordRequests, releaseWeightReads, SCREENSHOTS, setHubEndpoint, showTab, startRepoDownload, waitForServiceWorker, waitReady } from './app-helpers';

const STORIES = FIXTURES + 'models/stories260K/';
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
test.skip(!existsSync(STORIES + 'stories260K.bin') || !existsSync(FIXTURES + 'pdfs/MANIFEST.json'), 'shared fixtures (stories260K, pdfs) are absent');

const STORIES_REPO = 'test/stories260K-gptq';
const RANDOM_REPO = 'test/random-gptq';
let hub: Hub;
let tmp: string;

test.beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'pdfchat-app-e2e-'));
  const stories = join(tmp, 'stories');
  const random = join(tmp, 'random');
  // 4-bit GPTQ-format stories260K in two shards (RTN weights: the fast converter mode; the GPTQ algorithm is
  // proven by the engine's own tests) and a random act-order GPTQ Llama, both written by the project's tools.
  execFileSync('npm', ['run', '--silent', 'cli', '--', 'convert-llama2c', '--model', STORIES + 'stories260K.bin', '--tokenizer', STORIES + 'tok512.bin', '--out', stories, '--quantize', 'rtn', '--group-size', '32', '--shards', '2'], { cwd: REPO_ROOT, stdio: 'pipe' });
  execFileSync('node', ['--import', 'tsx', 'scripts/make-random-llama.ts', random, JSON.stringify({ hidden: 64, intermediate: 176, layers: 2, heads: 4, kvHeads: 2, vocab: 512, tied: false, seed: 1, shards: 2, quant: { groupSize: 32, actOrder: true, format: 'v1', sym: false } })], { cwd: REPO_ROOT, stdio: 'pipe' });
  hub = await startHub({ repos: { [STORIES_REPO]: stories, [RANDOM_REPO]: random }, port: 0 });
});

test.afterAll(async () => {
  await hub?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('download → PDFs → streamed, cited answer → reload → offline → ask again; nothing leaves 127.0.0.1', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', acceptDownloads: true });
  const urls = recordRequests(context);
  const page = await context.newPage();
  await openApp(page);
  await expect(page.getByTestId('adapter')).toContainText('swiftshader');

  // An endpoint the CSP would block is refused with an explanation; the local hub is accepted.
  await setHubEndpoint(page, hub.url);
  await page.getByTestId('endpoint-input').fill('https://hf-mirror.com');
  await page.getByTestId('endpoint-save').click();
  await expect(page.getByTestId('endpoint-problem')).toContainText('Content-Security-Policy');
  await page.getByTestId('endpoint-input').fill(hub.url);
  await page.getByTestId('endpoint-save').click();
  await expect(page.getByTestId('endpoint-problem')).toHaveCount(0);

  // Download with progress (bytes seen moving), then load.
  hub.setFault({ kind: 'drop', file: 'model-00002-of-00002.safetensors', repo: STORIES_REPO, afterBytes: 8_000, times: 1 }); // a dropped connection is resumed
  await startRepoDownload(page, STORIES_REPO);
  const row = modelRowOf(page, STORIES_REPO);
  await expect(row.getByTestId('download-progress')).toBeVisible({ timeout: 30_000 });
  await page.screenshot({ path: SCREENSHOTS + 'desktop-download.png' });
  await expect(row).toHaveAttribute('data-complete', 'true', { timeout: 120_000 });
  const ranged = hub.requests.filter((r) => r.path.endsWith('model-00002-of-00002.safetensors') && r.range);
  expect(ranged.length).toBeGreaterThan(0); // resumed with a Range request
  await row.getByTestId('load').click();
  await expect(page.getByTestId('loaded-model')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('header-mode')).not.toHaveText('Search mode');

  // Short answers keep the suite fast on SwiftShader.
  await page.getByTestId('open-settings').click();
  await page.getByTestId('max-tokens').fill('40');
  await page.keyboard.press('Escape');

  await addPdfs(page, ['compressed.tracemonkey-pldi-09.pdf', 'zen_of_python_corrupted.pdf']);
  await waitReady(page, 'compressed.tracemonkey-pldi-09.pdf');
  await waitReady(page, 'zen_of_python_corrupted.pdf');

  await ask(page, 'Is beautiful better than ugly?');
  const answer = page.getByTestId('answer').last();
  await expect(answer).toHaveAttribute('data-mode', 'model');
  // Streaming: the Stop button is up while text grows.
  await expect(page.getByTestId('stop')).toBeVisible();
  const lengths: number[] = [];
  await expect.poll(async () => {
    lengths.push(((await answer.locator('.markdown').textContent()) ?? '').length);
    return new Set(lengths.filter((n) => n > 0)).size;
  }, { timeout: 120_000, intervals: [50] }).toBeGreaterThan(1);
  await expect(page.getByTestId('ask')).toBeVisible({ timeout: 180_000 }); // done
  expect(((await answer.locator('.markdown').textContent()) ?? '').trim().length).toBeGreaterThan(0);
  await expect(answer.getByTestId('tok-s')).toContainText('tokens/s');
  // The model panel shows the answer's prefill and decode speed.
  await showTab(page, 'models');
  await expect(page.getByTestId('last-run')).toContainText(/prefill [\d.]+ tokens\/s .*decode [\d.]+ tokens\/s/);
  await showTab(page, 'chat');
  await page.screenshot({ path: SCREENSHOTS + 'desktop-answer.png' });

  // Citation [1] opens the cited page of the cited file with the passage highlighted.
  const cite = answer.getByTestId('citation').first();
  await expect(cite).toHaveText('[1]');
  const source1 = answer.getByTestId('source').first();
  const expectedPage = await source1.getAttribute('data-page');
  expect(await source1.getAttribute('data-file')).toBe('zen_of_python_corrupted.pdf');
  await cite.click();
  await expect(page.getByTestId('viewer')).toBeVisible();
  await expect(page.getByTestId('viewer-page')).toHaveAttribute('data-page', expectedPage!);
  await expect.poll(async () => Number(await page.getByTestId('viewer-page').getAttribute('data-highlights')), { timeout: 30_000 }).toBeGreaterThan(0);
  await page.screenshot({ path: SCREENSHOTS + 'desktop-answer-viewer.png' });
  await page.getByTestId('viewer-close').click();

  // Stop works mid-answer.
  await page.getByTestId('open-settings').click();
  await page.getByTestId('max-tokens').fill('400');
  await page.keyboard.press('Escape');
  await ask(page, 'Which loops does the trace monitor record?');
  const long = page.getByTestId('answer').last();
  await expect.poll(async () => ((await long.locator('.markdown').textContent()) ?? '').length, { timeout: 120_000 }).toBeGreaterThan(0);
  // While it is written the model can be neither unloaded nor deleted (either would end the answer), and the panel says so.
  await expect(page.getByTestId('model-busy-answering')).toBeVisible();
  await expect(page.getByTestId('unload')).toBeDisabled();
  await page.getByTestId('stop').click();
  await expect(long).toContainText('Stopped.', { timeout: 30_000 });
  await expect(page.getByTestId('unload')).toBeEnabled();
  await expect(page.getByTestId('model-busy-answering')).toHaveCount(0);

  // Reload: documents, conversation and the model (re-loaded from Cache Storage) are still there.
  await waitForServiceWorker(page);
  await page.reload();
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  await waitReady(page, 'zen_of_python_corrupted.pdf');
  await expect(page.getByTestId('loaded-model')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('answer')).toHaveCount(2);

  // Offline: reload from the service worker, ask again, get a cited answer.
  await context.setOffline(true);
  await page.reload();
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  await expect(page.getByTestId('loaded-model')).toBeVisible({ timeout: 120_000 });
  await page.getByTestId('open-settings').click();
  await page.getByTestId('max-tokens').fill('24');
  await page.keyboard.press('Escape');
  await ask(page, 'What does the Zen say about namespaces?');
  const offline = page.getByTestId('answer').last();
  await expect(page.getByTestId('ask')).toBeVisible({ timeout: 180_000 });
  await expect(offline).toHaveAttribute('data-mode', 'model');
  expect(((await offline.locator('.markdown').textContent()) ?? '').trim().length).toBeGreaterThan(0);
  await expect(offline.getByTestId('citation').first()).toBeVisible();
  await expect(offline.getByTestId('source').first()).toHaveAttribute('data-file', 'zen_of_python_corrupted.pdf');

  // Export as Markdown (a real download, offline): the question, the model's answer, its numbered sources.
  const answerText = ((await offline.locator('.markdown').textContent()) ?? '').trim();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-md').click()]);
  const md = readFileSync((await download.path())!, 'utf8');
  expect(md).toContain('## Q: What does the Zen say about namespaces?');
  expect(md).toContain('## Q: Is beautiful better than ugly?');
  // The answer's words are in the export (rendering may change Markdown punctuation, never letters).
  const words = answerText.match(/[A-Za-z]{3,}/g) ?? [];
  expect(words.length).toBeGreaterThan(0);
  for (const w of words.slice(0, 5)) expect(md).toContain(w);
  expect(md).toMatch(/^1\. zen_of_python_corrupted\.pdf, page 1: > /m);
  await context.setOffline(false);

  // Phone width with a model loaded.
  await page.setViewportSize(PHONE);
  await showTab(page, 'chat');
  await page.screenshot({ path: SCREENSHOTS + 'phone-answer.png' });
  await showTab(page, 'models');
  await page.screenshot({ path: SCREENSHOTS + 'phone-models.png' });

  expect(foreignRequests(urls)).toEqual([]);
  expect(urls.some((u) => u.startsWith(hub.url))).toBe(true);
  await context.close();
});

test('a truncated shard fails with a clear error, Retry downloads it, a load can be cancelled or deleted while it runs, and the model loads', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  await openApp(page);
  await setHubEndpoint(page, hub.url);
  hub.setFault({ kind: 'truncate', file: 'model-00002-of-00002.safetensors', repo: RANDOM_REPO, bytes: 1000 });
  await startRepoDownload(page, RANDOM_REPO);
  const row = modelRowOf(page, RANDOM_REPO);
  const error = row.getByTestId('download-error');
  await expect(error).toBeVisible({ timeout: 60_000 });
  expect(['INTEGRITY_ERROR', 'DOWNLOAD_FAILED']).toContain(await error.getAttribute('data-code'));
  await expect(error).toContainText('model-00002-of-00002.safetensors');
  await page.screenshot({ path: SCREENSHOTS + 'desktop-download-error.png' });
  hub.clearFaults();
  await row.getByTestId('download').click();
  await expect(row).toHaveAttribute('data-complete', 'true', { timeout: 60_000 });
  // Cancel while loading: with the weight reads held (a stalled disk) the load cannot finish first. Cancel ends it
  // at once, with no error, the app stays in search mode, and the next load works.
  await holdWeightReads(page);
  await row.getByTestId('load').click();
  await expect(page.getByTestId('model-loading')).toBeVisible();
  await expect(page.getByTestId('folder-input')).toBeDisabled(); // one load at a time: no folder is taken silently
  await page.getByTestId('cancel-load').click();
  await expect(page.getByTestId('folder-input')).toBeEnabled();
  await expect(page.getByTestId('model-loading')).toHaveCount(0);
  await expect(page.getByTestId('load-error')).toHaveCount(0);
  await expect(page.getByTestId('loaded-model')).toHaveCount(0);
  await expect(page.getByTestId('header-mode')).toHaveText('Search mode');
  // Delete while it loads: the load stops at once (its weights are not read while they go), then the files go.
  await row.getByTestId('load').click();
  await expect(page.getByTestId('model-loading')).toBeVisible();
  await row.getByTestId('delete-model').click();
  await expect(page.getByTestId('model-loading')).toHaveCount(0);
  await releaseWeightReads(page);
  await expect(row).toHaveAttribute('data-complete', 'false', { timeout: 30_000 });
  await expect(page.getByTestId('load-error')).toHaveCount(0);
  await expect(page.getByTestId('header-mode')).toHaveText('Search mode');
  await row.getByTestId('download').click();
  await expect(row).toHaveAttribute('data-complete', 'true', { timeout: 60_000 });
  await row.getByTestId('load').click();
  await expect(page.getByTestId('loaded-model')).toBeVisible({ timeout: 120_000 });
  // Delete unloads the model and removes its files: the row offers a download again.
  await row.getByTestId('delete-model').click();
  await expect(row).toHaveAttribute('data-complete', 'false');
  await expect(row.getByTestId('delete-model')).toHaveCount(0);
  await expect(row.getByTestId('download')).toBeVisible();
  await expect(page.getByTestId('header-mode')).toHaveText('Search mode');
  await context.close();
});
