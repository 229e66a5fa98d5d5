// Helpers shared by the app's end-to-end specs.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { buildScanPdf, scanText } from '../tests/unit/pdf-ocr-helpers';

export const FIXTURES = fileURLToPath(new URL('../../shared/fixtures/', import.meta.url));
export const PDFS = FIXTURES + 'pdfs/';
export const hasFixtures = existsSync(PDFS + 'MANIFEST.json');
export const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SCREENSHOTS, { recursive: true });

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 860 };

/** Records every request the context makes (page, workers, service worker). */
export function recordRequests(context: BrowserContext): string[] {
  const urls: string[] = [];
  context.on('request', (r) => urls.push(r.url()));
  return urls;
}

/** Requests that left 127.0.0.1 (data:/blob: URLs are in-page). */
export function foreignRequests(urls: string[]): string[] {
  return urls.filter((u) => !/^(data:|blob:|chrome-extension:)/.test(u) && new URL(u).hostname !== '127.0.0.1');
}

export async function openApp(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible({ timeout: 30_000 });
}

export async function addPdfs(page: Page, names: string[]): Promise<void> {
  await page.getByTestId('pdf-input').setInputFiles(names.map((n) => PDFS + n));
}

export function documentRow(page: Page, name: string) {
  return page.getByTestId('document').filter({ hasText: name });
}

export async function waitReady(page: Page, name: string, timeout = 60_000): Promise<void> {
  await expect(documentRow(page, name)).toHaveAttribute('data-status', 'ready', { timeout });
}

export async function ask(page: Page, question: string): Promise<void> {
  await page.getByTestId('question').fill(question);
  await page.getByTestId('question').press('Enter');
}

/** Shows the documents panel on a phone (tabs) — a no-op at desktop width. */
export async function showTab(page: Page, tab: 'documents' | 'chat' | 'models'): Promise<void> {
  const button = page.getByTestId(`tab-${tab}`);
  if (await button.isVisible()) await button.click();
}

/** Waits until the service worker controls the page (the app shell is precached). */
export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.waitForFunction(async () => {
    const reg = await navigator.serviceWorker.ready;
    return Boolean(reg.active) && Boolean(navigator.serviceWorker.controller);
  }, null, { timeout: 60_000 }).catch(async () => {
    // First visit: the worker activates, but controls the page only after a reload (clientsClaim is off).
    await page.reload();
    await page.waitForFunction(() => Boolean(navigator.serviceWorker.controller), null, { timeout: 30_000 });
  });
}

/** Points the app at a hub endpoint (Models → Hub endpoint) and checks it was accepted. */
export async function setHubEndpoint(page: Page, url: string): Promise<void> {
  await showTab(page, 'models');
  await page.locator('details', { has: page.getByTestId('endpoint-input') }).locator('summary').click();
  await page.getByTestId('endpoint-input').fill(url);
  await page.getByTestId('endpoint-save').click();
  await expect(page.getByTestId('endpoint-problem')).toHaveCount(0);
}

export function modelRowOf(page: Page, repo: string) {
  return page.locator(`[data-testid="model-row"][data-repo="${repo}"]`);
}

/** Types a repo id, has it described and fit-checked, then starts its download. */
export async function startRepoDownload(page: Page, repo: string): Promise<void> {
  await showTab(page, 'models');
  await page.getByTestId('repo-input').fill(repo);
  await page.getByTestId('repo-check').click();
  const row = modelRowOf(page, repo);
  await expect(row).toHaveAttribute('data-fits', 'true', { timeout: 30_000 });
  await row.getByTestId('download').click();
}

/**
 * Holds every Cache Storage read of a model's .safetensors files in the page (a stalled disk) until
 * releaseWeightReads: a model load then cannot finish before the test acts. The bytes are the real ones.
 */
export async function holdWeightReads(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __releaseWeightReads?: () => void };
    const original = Cache.prototype.match;
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    w.__releaseWeightReads = () => {
      Cache.prototype.match = original;
      release();
    };
    Cache.prototype.match = async function (this: Cache, request: RequestInfo | URL, options?: CacheQueryOptions) {
      const url = typeof request === 'string' ? request : request instanceof URL ? request.href : request.url;
      if (url.includes('.safetensors')) await gate;
      return original.call(this, request, options);
    };
  });
}

export async function releaseWeightReads(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { __releaseWeightReads?: () => void }).__releaseWeightReads?.());
}

/**
 * The alerts an answer of a random-weight test model may carry: none, or the honest "no text" notice (such a model
 * may well sample only whitespace); any other alert (an error) fails.
 */
export async function expectNoErrorAlert(answer: Locator): Promise<void> {
  const alerts = answer.getByRole('alert');
  const n = await alerts.count();
  for (let i = 0; i < n; i++) await expect(alerts.nth(i)).toHaveText(/^The model produced no text for this question\./);
}

/**
 * Holds back every request of `context` matching `pattern` until `release()`: the work waiting on it stays in the
 * middle for as long as the test needs, whatever the machine's speed. `requests()` counts the asks.
 */
export async function holdRequests(context: BrowserContext, pattern: string): Promise<{ release: () => void; requests: () => number }> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let requests = 0;
  await context.route(pattern, async (route) => {
    requests++;
    await held;
    await route.continue().catch(() => undefined); // the worker asking for it may be gone (its work was stopped)
  });
  return { release, requests: () => requests };
}

/** Holds back the OCR language data (holdRequests): a tab then stays in the middle of recognising. */
export function holdLanguageData(context: BrowserContext): Promise<{ release: () => void; requests: () => number }> {
  return holdRequests(context, '**/tesseract/lang/**');
}

/**
 * A PDF of `texts` as text pages (one line each; Helvetica, or the Chinese font with `cjk`) followed by scanned
 * pages: each of `scans` is lines of text rendered into an image (12 pt on a 432 × 130 pt page, in `font` at `dpi`).
 */
export function scanPdf(scans: string[][], opts: { texts?: string[]; cjk?: boolean; font?: string; dpi?: number } = {}): Buffer {
  const { texts = [], cjk = false, font = '"DejaVu Serif", serif', dpi = 200 } = opts;
  const scanned = scans.map((lines) => ({ scan: scanText({ lines, font, sizePt: 12, dpi, widthPt: 432, heightPt: 130 }) }));
  return Buffer.from(buildScanPdf([...texts.map((text) => ({ text, cjk })), ...scanned]));
}
