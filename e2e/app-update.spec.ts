// A new app version deployed while tabs are open: it waits, every tab says so, nothing reloads unasked.
// The "deploy" is real: the served sw.js changes (one precache revision, same length, so the static server's
// cached file size still holds) and a second tab's visit finds the new service worker, which installs and waits.
// The first tab keeps what its user was doing (a typed question) until its user reloads.
// The test serves its own copy of dist/ (`vite preview` with the project's config, so the same headers) on a port
// of its own: the e2e files run two at a time, and the shared server's sw.js must not change under the others.
import { expect, test, type Page } from '@playwright/test';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preview, type PreviewServer } from 'vite';
import { DESKTOP, openApp, waitForServiceWorker } from './app-helpers';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
let served: string;
let server: PreviewServer;

test.beforeAll(async () => {
  served = mkdtempSync(join(tmpdir(), 'pdfchat-e2e-update-'));
  cpSync(join(REPO_ROOT, 'dist'), served, { recursive: true });
  server = await preview({
    root: REPO_ROOT,
    configFile: join(REPO_ROOT, 'vite.config.ts'),
    logLevel: 'silent',
    build: { outDir: served },
    preview: { host: '127.0.0.1', port: 0, strictPort: false },
  });
});

test.afterAll(async () => {
  await server?.close();
  if (served) rmSync(served, { recursive: true, force: true });
});

/** dist/sw.js with its first precache revision changed by one hex digit: a new version, byte for byte as long. */
function nextVersion(sw: string): string {
  const m = /revision:"([0-9a-f])/.exec(sw);
  if (!m) throw new Error('dist/sw.js has no precache revision to change');
  const at = m.index + 'revision:"'.length;
  return sw.slice(0, at) + (m[1] === '0' ? '1' : '0') + sw.slice(at + 1);
}

async function controllerScript(page: Page): Promise<string | null> {
  return page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null);
}

test('a new version waits and is announced in every open tab; a tab reloads only when its user clicks Reload', async ({ browser }) => {
  const SW = join(served, 'sw.js');
  const original = readFileSync(SW, 'utf8');
  const baseURL = server.resolvedUrls?.local[0];
  if (!baseURL) throw new Error('the copy of dist/ is not being served');
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', baseURL });
  try {
    const first = await context.newPage();
    await openApp(first);
    await waitForServiceWorker(first);
    await expect(first.getByTestId('app-update')).toHaveCount(0);
    // What the user is doing in the first tab: a question typed, not sent; a marker that a reload would erase.
    await first.getByTestId('question').fill('What does the second chapter say?');
    await first.evaluate(() => ((window as unknown as { marker: number }).marker = 1));

    writeFileSync(SW, nextVersion(original));
    const second = await context.newPage();
    await openApp(second);
    await second.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      await reg?.update();
    });

    // Both tabs announce the waiting version; neither reloaded.
    for (const page of [first, second]) {
      await expect(page.getByTestId('app-update')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
      await expect(page.getByTestId('app-update')).toContainText('A new version of the app is ready');
    }
    expect(await first.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    await expect(first.getByTestId('question')).toHaveValue('What does the second chapter say?');
    const waiting = await second.evaluate(async () => Boolean((await navigator.serviceWorker.getRegistration())?.waiting));
    expect(waiting).toBe(true);

    // The second tab's user reloads: the new version takes over and that tab reloads into it.
    await second.evaluate(() => ((window as unknown as { marker: number }).marker = 2));
    await Promise.all([second.waitForEvent('load'), second.getByTestId('app-update-reload').click()]);
    await expect(second.locator('.app[data-ready="true"]')).toBeVisible({ timeout: 30_000 });
    expect(await second.evaluate(() => (window as unknown as { marker?: number }).marker)).toBeUndefined();
    await expect(second.getByTestId('app-update')).toHaveCount(0);
    expect(await second.evaluate(async () => Boolean((await navigator.serviceWorker.getRegistration())?.waiting))).toBe(false);

    // The first tab is now served by the new worker: it says to reload when free, and still has the typed question.
    await expect(first.getByTestId('app-update')).toHaveAttribute('data-state', 'reload-needed', { timeout: 30_000 });
    await expect(first.getByTestId('app-update')).toContainText('updated in another tab');
    expect(await first.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    await expect(first.getByTestId('question')).toHaveValue('What does the second chapter say?');
    expect(await controllerScript(first)).toMatch(/\/sw\.js$/);
    await Promise.all([first.waitForEvent('load'), first.getByTestId('app-update-reload').click()]);
    await expect(first.locator('.app[data-ready="true"]')).toBeVisible({ timeout: 30_000 });
    await expect(first.getByTestId('app-update')).toHaveCount(0);
  } finally {
    await context.close();
  }
});
