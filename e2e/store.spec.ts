// The model store in Chromium: Cache Storage chunks, CORS against the local hub on another origin, resume
// with Range after a dropped connection and after cancel + reload, integrity, delete. The store is bundled
// with Vite (e2e/hub-store-page.ts) and injected into a blank page served on http://localhost:<port> (a
// secure context, like the app), so this runs without the app's UI.
import { expect, test, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { startHub, type Hub } from './hub-server';
import type { ModelStoreApi } from './hub-store-page';
import { tempDir, writeFakeRepo, type FakeRepo } from '../tests/unit/store-helpers';

let PAGE_ORIGIN = '';
let pageServer: Server;
const REPO = 'e2e/fake-gptq';
let hub: Hub;
let root: string;
let fake: FakeRepo;
let bundle: string;

test.beforeAll(async () => {
  root = await tempDir('pdfchat-e2e-hub-');
  fake = await writeFakeRepo(root, REPO, { weightBytes: 3_000_017 });
  hub = await startHub({ root });
  // A blank page on another origin (localhost vs 127.0.0.1, another port): the hub is cross-origin, like
  // huggingface.co is for the app.
  pageServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>store</title><body>store test</body>');
  });
  await new Promise<void>((r) => pageServer.listen(0, '127.0.0.1', () => r()));
  PAGE_ORIGIN = `http://localhost:${(pageServer.address() as AddressInfo).port}`;
  const out = await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      write: false,
      minify: false,
      lib: { entry: fileURLToPath(new URL('./hub-store-page.ts', import.meta.url)), formats: ['iife'], name: 'modelStoreBundle', fileName: () => 'store.js' },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as { output: { type: string; code?: string }[] }[];
  bundle = outputs[0].output.find((o) => o.type === 'chunk')!.code!;
});
test.afterAll(async () => {
  await hub?.close();
  await new Promise((r) => pageServer?.close(r));
  await rm(root, { recursive: true, force: true });
});

async function openStorePage(page: Page): Promise<void> {
  await page.goto(`${PAGE_ORIGIN}/`);
  await page.addScriptTag({ content: bundle });
}

type W = { modelStore: ModelStoreApi };

test('downloads into Cache Storage across origins, resumes after a drop and after cancel + reload', async ({ page }) => {
  const requested: string[] = [];
  page.on('request', (r) => requested.push(r.url()));
  await openStorePage(page);
  const weightsSha = createHash('sha256').update(fake.files['model.safetensors']).digest('hex');

  // 1. Dropped connection mid-file: resumed with a Range request, bytes verified.
  hub.setFault({ kind: 'drop', file: 'model.safetensors', afterBytes: 1_000_000 });
  const first = await page.evaluate(
    async ({ endpoint, repo }) => {
      const s = (window as unknown as W).modelStore;
      const backend = new s.CacheStorageBackend('e2e-models');
      let events = 0;
      const r = await s.downloadModel({ hub: { endpoint }, backend, repo, chunkBytes: 256 * 1024, retryDelayMs: 10, progressIntervalMs: 0, onProgress: () => events++ });
      const files = await s.cachedModelFiles(backend, repo);
      return { bytes: r.bytes, events, sha: await s.sha256Hex(await files.read('model.safetensors')), estimate: await backend.estimate() };
    },
    { endpoint: hub.url, repo: REPO },
  );
  expect(first.sha).toBe(weightsSha);
  expect(first.events).toBeGreaterThan(5);
  expect(first.estimate!.usage).toBeGreaterThan(3_000_000);
  const weightGets = hub.requests.filter((r) => r.path.endsWith('model.safetensors') && r.method === 'GET');
  expect(weightGets.map((r) => r.range ?? 'none')).toEqual(['none', 'bytes=1000000-']);
  expect(weightGets[0].sent).toBe(1_000_000);

  // 2. After a reload the model is still there.
  await page.reload();
  await page.addScriptTag({ content: bundle });
  const listed = await page.evaluate(async () => {
    const s = (window as unknown as W).modelStore;
    return s.listCachedModels(new s.CacheStorageBackend('e2e-models'));
  });
  expect(listed).toHaveLength(1);
  expect(listed[0]).toMatchObject({ repo: REPO, complete: true });

  // 3. Delete, then cancel a slow download halfway, reload, resume from the stored bytes.
  hub.requests.length = 0;
  hub.setFault({ kind: 'slow', file: 'model.safetensors', bytesPerSecond: 3_000_000 });
  const cancelled = await page.evaluate(
    async ({ endpoint, repo }) => {
      const s = (window as unknown as W).modelStore;
      const backend = new s.CacheStorageBackend('e2e-models');
      await s.deleteCachedModel(backend, repo, 'main');
      const ac = new AbortController();
      try {
        await s.downloadModel({
          hub: { endpoint },
          backend,
          repo,
          chunkBytes: 256 * 1024,
          signal: ac.signal,
          progressIntervalMs: 0,
          onProgress: (p) => {
            if (p.file === 'model.safetensors' && p.fileLoaded > 1_200_000) ac.abort();
          },
        });
        return 'finished';
      } catch (e) {
        return (e as { code?: string }).code;
      }
    },
    { endpoint: hub.url, repo: REPO },
  );
  expect(cancelled).toBe('ABORTED');
  hub.clearFaults();
  await page.reload();
  await page.addScriptTag({ content: bundle });
  const resumed = await page.evaluate(
    async ({ endpoint, repo }) => {
      const s = (window as unknown as W).modelStore;
      const backend = new s.CacheStorageBackend('e2e-models');
      const r = await s.downloadModel({ hub: { endpoint }, backend, repo });
      const files = await s.cachedModelFiles(backend, repo);
      return { fetched: r.fetchedBytes, sha: await s.sha256Hex(await files.read('model.safetensors')) };
    },
    { endpoint: hub.url, repo: REPO },
  );
  expect(resumed.sha).toBe(weightsSha);
  const gets = hub.requests.filter((r) => r.path.endsWith('model.safetensors') && r.method === 'GET');
  expect(gets).toHaveLength(2);
  const resumeFrom = Number(/^bytes=(\d+)-$/.exec(gets[1].range ?? '')?.[1]);
  expect(resumeFrom).toBeGreaterThan(1_000_000);
  expect(resumed.fetched).toBe(3_000_017 - resumeFrom);

  // Nothing but the page itself and the hub on 127.0.0.1 was contacted; no Referer reached the hub.
  for (const u of requested) expect(u.startsWith(PAGE_ORIGIN) || u.startsWith(hub.url)).toBe(true);
  expect(hub.requests.every((r) => !r.referer)).toBe(true);
});

test('a second download of the same model at the same time is refused (Web Lock), the first completes', async ({ page }) => {
  await openStorePage(page);
  hub.setFault({ kind: 'slow', file: 'model.safetensors', bytesPerSecond: 6_000_000 });
  try {
    const r = await page.evaluate(
      async ({ endpoint, repo }) => {
        const s = (window as unknown as W).modelStore;
        const backend = new s.CacheStorageBackend('e2e-models-lock');
        // The second starts once the first has reported progress, i.e. holds the lock (no guessed delay);
        // the throttled server keeps the first running well past that on any machine.
        let started!: () => void;
        const holding = new Promise<void>((res) => (started = res));
        const first = s.downloadModel({ hub: { endpoint }, backend, repo, onProgress: () => started() });
        await holding;
        const second = await s.downloadModel({ hub: { endpoint }, backend, repo }).then(
          () => 'finished',
          (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
        );
        const done = await first;
        return { second, bytes: done.bytes };
      },
      { endpoint: hub.url, repo: REPO },
    );
    expect(r.second).toMatch(/^DOWNLOAD_FAILED: .*already being downloaded in another tab/);
    expect(r.bytes).toBeGreaterThan(3_000_000);
  } finally {
    hub.clearFaults();
  }
});
