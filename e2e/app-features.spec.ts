// The app's remaining features, in Chromium against the production build: safe rendering of hostile PDF text
// and hostile model output; a Chinese question finds the Chinese passage and page; several conversations
// (listed, switched, deleted, kept across a reload) and a real Markdown download; keyword-search labelling and
// a semantic-model download that fails clearly while keyword search keeps working; repo ids typed by the user
// described (files, sizes, shape) and checked against the adapter before any download.
import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPdf } from '../tests/unit/pdf-helpers';
import { startHub, type Hub } from './hub-server';
import { writeStandInEmbeddingModel } from './app-embedding-model';
import { EMBEDDING_MODELS } from '../src/retrieval/embedder';
import { addPdfs, ask, DESKTOP, documentRow, foreignRequests, hasFixtures, holdRequests, openApp, PHONE, recordRequests, SCREENSHOTS, showTab, waitReady } from './app-helpers';

test.skip(!hasFixtures, 'shared fixtures (../shared/fixtures/pdfs) are absent');

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const FITS_REPO = 'test/random-gptq-small';
/** 1024 attention heads of dim 2: tiny files, but its attention-score buffer (1024 × 128 × 4096 × 4 B = 2.1 GB)
 *  exceeds any WebGPU adapter's 1 GiB binding limit (SwiftShader's here), so it cannot run. */
const HUGE_REPO = 'test/random-gptq-1024-heads';
const HOSTILE_PDF = 'hostile.pdf';
const HOSTILE_LINES = [
  'Hostile markup test page about the quokka habitat.',
  '<img src=x onerror="window.__pwned=1"> quokka image tag',
  '<script>window.__pwned=2</script> quokka script tag',
  '[x](javascript:alert(1)) quokka markdown link',
];

let hub: Hub;
let tmp: string;

test.beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'pdfchat-features-e2e-'));
  const make = (dir: string, opts: object) =>
    execFileSync('node', ['--import', 'tsx', 'scripts/make-random-llama.ts', dir, JSON.stringify(opts)], { cwd: REPO_ROOT, stdio: 'pipe' });
  make(join(tmp, 'small'), { hidden: 64, intermediate: 176, layers: 2, heads: 4, kvHeads: 2, vocab: 512, tied: false, seed: 1, quant: { groupSize: 32, actOrder: true, format: 'v1', sym: false } });
  make(join(tmp, 'huge'), { hidden: 64, intermediate: 128, layers: 1, heads: 1024, kvHeads: 8, headDim: 2, vocab: 512, tied: true, seed: 2, maxPositionEmbeddings: 4096, quant: { groupSize: 32, actOrder: false, format: 'v1', sym: true } });
  writeFileSync(join(tmp, HOSTILE_PDF), buildPdf({ pages: [{ lines: HOSTILE_LINES.map((text, i) => ({ x: 50, y: 750 - i * 24, text, size: 12 })) }] }));
  hub = await startHub({ repos: { [FITS_REPO]: join(tmp, 'small'), [HUGE_REPO]: join(tmp, 'huge') }, port: 0 });
});

test.afterAll(async () => {
  await hub?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function setEndpoint(page: Page, url: string): Promise<void> {
  await showTab(page, 'models');
  const details = page.locator('details', { has: page.getByTestId('endpoint-input') });
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await details.locator('summary').click();
  await page.getByTestId('endpoint-input').fill(url);
  await page.getByTestId('endpoint-save').click();
  await expect(page.getByTestId('endpoint-problem')).toHaveCount(0);
}

/** Nothing executable or network-reaching made it into the DOM, and nothing ran. */
async function expectInert(page: Page, dialogs: string[]): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);
  const bad = await page.evaluate(() => {
    const root = document.querySelector('.messages')!;
    const found: string[] = [];
    for (const el of root.querySelectorAll('img, script, iframe, svg, object, embed')) found.push(el.outerHTML);
    for (const el of root.querySelectorAll('*')) {
      for (const a of el.getAttributeNames()) if (/^on/i.test(a)) found.push(`${el.tagName}[${a}]`);
      const href = el.getAttribute('href');
      if (href && !/^(https?:|mailto:|#)/i.test(href)) found.push(`${el.tagName} href=${href}`);
    }
    return found;
  });
  expect(bad).toEqual([]);
}

test('hostile PDF text and model output stay inert; Chinese question finds its page; conversations and Markdown export', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', acceptDownloads: true });
  const urls = recordRequests(context);
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await openApp(page);

  // Keyword search until the user downloads a semantic model, and the UI says so.
  await expect(page.getByTestId('search-mode')).toHaveAttribute('data-mode', 'lexical');
  await expect(page.getByTestId('search-mode')).toContainText('Keyword search — semantic model not downloaded');

  await page.getByTestId('pdf-input').setInputFiles([join(tmp, HOSTILE_PDF)]);
  await addPdfs(page, ['issue12823.pdf']);
  await waitReady(page, HOSTILE_PDF);
  await waitReady(page, 'issue12823.pdf');

  // 1. PDF text with markup: shown literally in the search-mode passage, never parsed.
  await ask(page, 'quokka habitat image script markdown link');
  const answer = page.getByTestId('answer').last();
  const source = answer.getByTestId('source').first();
  await expect(source).toHaveAttribute('data-file', HOSTILE_PDF);
  const passage = source.locator('blockquote');
  for (const literal of ['<img src=x onerror="window.__pwned=1">', '<script>window.__pwned=2</script>', '[x](javascript:alert(1))']) {
    await expect(passage).toContainText(literal);
  }
  await expectInert(page, dialogs);

  // 2. A Chinese question in search mode: the Chinese passage, with its page.
  await ask(page, '知识库的主要内容是什么？');
  const zh = page.getByTestId('answer').last().getByTestId('source').first();
  await expect(zh).toHaveAttribute('data-file', 'issue12823.pdf');
  await expect(zh).toHaveAttribute('data-page', '1');
  await expect(zh.locator('blockquote')).toContainText('介绍知识库的主要内容');
  await expect(zh.getByRole('button')).toContainText('issue12823.pdf · page 1');

  // 3. Markdown export of this conversation: a real download with question, answer (passages) and numbered sources.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-md').click()]);
  expect(download.suggestedFilename()).toMatch(/^quokka-habitat.*\.md$/);
  const md = readFileSync((await download.path())!, 'utf8');
  expect(md).toContain('## Q: quokka habitat image script markdown link');
  expect(md).toContain('## Q: 知识库的主要内容是什么？');
  expect(md).toContain('_Search mode (no model loaded): best matching passages._');
  expect(md).toMatch(/^1\. hostile\.pdf, page 1: > .*quokka habitat/m);
  expect(md).toMatch(/^1\. issue12823\.pdf, page 1: > .*介绍知识库的主要内容/m);

  // 4. Several conversations: a new one, listed next to the first, switchable, kept across a reload, deletable.
  await page.getByTestId('new-conversation').click();
  await expect(page.getByTestId('answer')).toHaveCount(0);
  await ask(page, 'Where is the quokka habitat?');
  await expect(page.getByTestId('answer')).toHaveCount(1);
  await expect(page.getByTestId('answer').getByTestId('source').first()).toBeVisible();
  const select = page.getByTestId('conversation-select');
  await expect(select.locator('option')).toHaveCount(2);
  await expect(select.locator('option').nth(0)).toContainText('Where is the quokka habitat?');
  await expect(select.locator('option').nth(1)).toContainText('quokka habitat image script markdown link · 2 questions');
  const firstId = await select.locator('option').nth(1).getAttribute('value');
  await select.selectOption(firstId!);
  await expect(page.getByTestId('answer')).toHaveCount(2);
  await page.reload();
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  await expect(page.getByTestId('conversation-select').locator('option')).toHaveCount(2);
  // The most recently updated one opens first.
  await expect(page.getByTestId('answer')).toHaveCount(1);
  await page.getByTestId('conversation-select').selectOption(firstId!);
  await expect(page.getByTestId('answer')).toHaveCount(2);
  await page.screenshot({ path: SCREENSHOTS + 'desktop-conversations.png' });

  // 5. Model output goes through the Markdown path (marked + DOMPurify): a stored answer full of hostile
  //    Markdown/HTML is rendered inert, its citation marker still becomes a button.
  const hostileAnswer = [
    'Here is **bold** text [1] and a link [x](javascript:alert(1)) and [ok](https://example.org/ok).',
    '<img src=x onerror="window.__pwned=1">',
    '<script>window.__pwned=2</script>',
    '<a href="javascript:window.__pwned=3">click</a> <iframe src="javascript:window.__pwned=4"></iframe>',
    '<svg onload="window.__pwned=5"></svg> <div onmouseover="window.__pwned=6">hover</div>',
    '![remote](https://example.org/pixel.png)',
  ].join('\n\n');
  await page.evaluate(async (content) => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('pdfchat-conversations');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const now = Date.now() + 60_000; // newest: opens first after the reload
    const conv = {
      id: 'hostile-model-output', title: 'Hostile model output', createdAt: now, updatedAt: now,
      turns: [
        { id: 'u', role: 'user', content: 'Render this', createdAt: now },
        { id: 'a', role: 'assistant', mode: 'model', content, createdAt: now,
          sources: [{ n: 1, docId: 'x', file: 'hostile.pdf', page: 1, label: '1', score: 1, text: 'quokka', start: 0, end: 6 }] },
      ],
    };
    await new Promise<void>((res, rej) => {
      const tx = db.transaction('conversations', 'readwrite');
      tx.objectStore('conversations').put(conv, conv.id);
      tx.oncomplete = () => res();
      tx.onerror = () => rej(tx.error);
    });
    db.close();
  }, hostileAnswer);
  await page.reload();
  await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
  const rendered = page.getByTestId('answer').last().locator('.markdown');
  await expect(rendered.locator('strong')).toHaveText('bold');
  await expect(rendered.locator('button.cite')).toHaveText('[1]');
  await expect(rendered.locator('a', { hasText: 'ok' })).toHaveAttribute('href', 'https://example.org/ok');
  await expect(rendered).toContainText('hover');
  await page.mouse.move(0, 0);
  await rendered.getByText('hover').hover();
  await expectInert(page, dialogs);
  await rendered.locator('a', { hasText: /^x$/ }).click(); // the javascript: link lost its href: clicking does nothing
  await expectInert(page, dialogs);

  // Delete: the hostile conversation goes, the next most recent one opens.
  await page.getByTestId('delete-conversation').click();
  await expect(page.getByTestId('conversation-select').locator('option')).toHaveCount(2);
  await expect(page.getByTestId('answer')).toHaveCount(1);
  // Clear empties the view; the cleared conversation is gone from the list.
  await page.getByTestId('clear-chat').click();
  await expect(page.getByTestId('answer')).toHaveCount(0);
  await expect(page.getByTestId('conversation-select').locator('option')).toHaveCount(2); // the first + the new empty one
  await expect(page.getByTestId('conversation-select').locator('option').nth(0)).toHaveText('New conversation');

  expect(foreignRequests(urls)).toEqual([]);
  await context.close();
});

test('semantic search: nothing fetched until asked; an absent model fails clearly and keyword search keeps working', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const urls = recordRequests(context);
  const page = await context.newPage();
  await openApp(page);
  await setEndpoint(page, hub.url);
  await addPdfs(page, ['zen_of_python_corrupted.pdf']);
  await waitReady(page, 'zen_of_python_corrupted.pdf');
  const mode = page.getByTestId('search-mode');
  await expect(mode).toContainText('Keyword search — semantic model not downloaded');
  expect(hub.requests.filter((r) => r.path.includes('Xenova'))).toEqual([]); // not fetched before the user asks
  // The switch names the models it will download and their sizes (src/retrieval/embedding-profile.ts).
  await expect(mode.getByTestId('semantic-explain')).toContainText('all-MiniLM-L6-v2 23.6 MB, multilingual-e5-small 135.1 MB, about 158.7 MB in all');

  await mode.getByTestId('enable-semantic').click();
  const error = mode.getByTestId('semantic-error');
  await expect(error).toBeVisible({ timeout: 60_000 });
  await expect(error).toHaveAttribute('data-code', 'DOWNLOAD_FAILED');
  await expect(error).toContainText('Could not load the embedding model Xenova/all-MiniLM-L6-v2');
  await expect(error).toContainText('lexical mode');
  await expect(mode).toHaveAttribute('data-mode', 'lexical');
  await expect(mode).toContainText('Keyword search — the semantic model could not be downloaded');
  // It asked the configured hub (and nothing else) for the model.
  expect(hub.requests.some((r) => r.path.startsWith('/Xenova/all-MiniLM-L6-v2/resolve/main/'))).toBe(true);
  await page.screenshot({ path: SCREENSHOTS + 'desktop-semantic-failed.png' });

  await ask(page, 'Is beautiful better than ugly?');
  await expect(page.getByTestId('answer').last().getByTestId('source').first()).toHaveAttribute('data-file', 'zen_of_python_corrupted.pdf');

  // An unreachable endpoint fails the same clear way.
  await setEndpoint(page, 'http://127.0.0.1:9');
  await mode.getByTestId('enable-semantic').click();
  await expect(mode.getByTestId('semantic-error')).toContainText('Could not load the embedding model', { timeout: 60_000 });
  await expect(mode).toHaveAttribute('data-semantic', 'failed');

  expect(foreignRequests(urls)).toEqual([]);
  await context.close();
});

test('semantic search on: a PDF added while the embedding model is still loading is searched by keywords at once, by vectors once they are computed', async ({ browser }) => {
  const dir = join(tmp, 'embedder-keywords-first');
  writeStandInEmbeddingModel(dir);
  const embedHub = await startHub({ repos: Object.fromEntries(EMBEDDING_MODELS.map((id) => [id, dir])), port: 0 });
  try {
    // No service worker: the embedder's onnxruntime wasm then comes from the network, where it can be held back.
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', serviceWorkers: 'block' });
    const page = await context.newPage();
    await openApp(page);
    await setEndpoint(page, embedHub.url);
    const mode = page.getByTestId('search-mode');
    await mode.getByTestId('enable-semantic').click();
    await addPdfs(page, ['zen_of_python_corrupted.pdf']);
    await waitReady(page, 'zen_of_python_corrupted.pdf');
    await expect(mode).toHaveAttribute('data-mode', 'hybrid', { timeout: 120_000 });

    // After a reload the embedder worker starts afresh and its model cannot load until the wasm comes: the copy
    // transformers.js keeps in the Cache API is deleted, and the network's is held back.
    await page.evaluate(async () => {
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const req of await cache.keys()) if (/\/ort\/[^/]+\.wasm$/.test(new URL(req.url).pathname)) await cache.delete(req);
      }
    });
    const { release, requests: wasmAsks } = await holdRequests(context, '**/ort/*.wasm');
    await page.reload();
    await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
    await addPdfs(page, ['rotation.pdf']);
    const row = documentRow(page, 'rotation.pdf');
    await expect(row.getByTestId('searchable-meanwhile')).toHaveText('Keyword search works meanwhile.', { timeout: 60_000 });
    await expect(row).toHaveAttribute('data-status', 'indexing');
    await expect.poll(wasmAsks, { timeout: 60_000 }).toBeGreaterThan(0);
    // Asked of the new document alone (the other one's vectors would wait for the model too).
    await documentRow(page, 'zen_of_python_corrupted.pdf').getByRole('checkbox').uncheck();
    await ask(page, 'Which page has a landscape layout?');
    const answer = page.getByTestId('answer').last();
    await expect(answer.getByTestId('source').first()).toHaveAttribute('data-file', 'rotation.pdf', { timeout: 30_000 });
    await expect(answer.getByTestId('answer-left-out')).toHaveText('One selected document was searched by keywords only: its semantic index is still being built.');
    await expect(row).toHaveAttribute('data-status', 'indexing');

    release();
    await waitReady(page, 'rotation.pdf', 120_000);
    await expect(row.getByTestId('searchable-meanwhile')).toHaveCount(0);
    await expect(mode).toHaveAttribute('data-mode', 'hybrid', { timeout: 120_000 });
    await expect(mode).not.toContainText('have no vectors');
    await ask(page, 'Which page has a landscape layout?');
    await expect(page.getByTestId('answer').last().getByTestId('source').first()).toHaveAttribute('data-file', 'rotation.pdf');
    await expect(page.getByTestId('answer').last().getByTestId('answer-left-out')).toHaveCount(0);
    await context.close();
  } finally {
    await embedHub.close();
  }
});

test('a typed repo id is described and checked before download: sizes, GPU memory, shape; too big is refused', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  await openApp(page);
  await setEndpoint(page, hub.url);
  const sizeOf = (dir: string) => readdirSync(join(tmp, dir)).reduce((n, f) => n + statSync(join(tmp, dir, f)).size, 0);

  const check = async (repo: string) => {
    await page.getByTestId('repo-input').fill(repo);
    await page.getByTestId('repo-check').click();
    return page.locator(`[data-testid="model-row"][data-repo="${repo}"]`);
  };

  // Fits: download size (every file the hub lists), GPU memory and shape are shown; download is offered.
  const small = await check(FITS_REPO);
  await expect(small).toHaveAttribute('data-fits', 'true', { timeout: 30_000 });
  const smallBytes = sizeOf('small');
  await expect(small.getByTestId('download-size')).toContainText(`(${readdirSync(join(tmp, 'small')).length} files)`);
  await expect(small.getByTestId('download-size')).toContainText(smallBytes < 1e6 ? `${(smallBytes / 1000).toFixed(smallBytes < 1e4 ? 2 : 1)} KB` : 'MB');
  await expect(small.getByTestId('gpu-need')).toContainText('GPU memory');
  await expect(small.getByTestId('model-shape')).toHaveText('2 layers · hidden 64 · 4 heads (2 KV) · vocab 512 · 4-bit, group 32');
  // Nothing but metadata was fetched by the check.
  expect(hub.requests.filter((r) => r.path.includes(FITS_REPO) && r.path.endsWith('.safetensors') && r.method === 'GET' && !r.range)).toEqual([]);
  await expect(small.getByTestId('download')).toBeEnabled();

  // Does not fit this adapter: a clear refusal, no download button that works, and no weights fetched.
  const huge = await check(HUGE_REPO);
  await expect(huge).toHaveAttribute('data-fits', 'false', { timeout: 30_000 });
  await expect(huge.getByTestId('model-shape')).toHaveText('1 layer · hidden 64 · 1024 heads (8 KV) · vocab 512 · 4-bit, group 32');
  const refusal = huge.getByTestId('does-not-fit');
  await expect(refusal).toContainText('Too big for this GPU');
  await expect(refusal).toContainText('needs GPU buffers of 2.15 GB, but this GPU allows at most 1.07 GB per buffer');
  await expect(huge.getByTestId('download')).toBeDisabled();
  await page.screenshot({ path: SCREENSHOTS + 'desktop-repo-check.png' });
  expect(hub.requests.filter((r) => r.path.includes(HUGE_REPO) && r.path.endsWith('.safetensors') && !r.range)).toEqual([]);

  // A repo the hub does not have: said so, nothing to download.
  const missing = await check('test/no-such-model');
  await expect(missing.getByTestId('repo-check-error')).toContainText('config.json', { timeout: 30_000 });
  await expect(missing.getByTestId('download')).toHaveCount(0);

  // The one that fits downloads.
  await small.getByTestId('download').click();
  await expect(small).toHaveAttribute('data-complete', 'true', { timeout: 60_000 });

  // Phone width: the model manager with the checked repos.
  await page.setViewportSize(PHONE);
  await showTab(page, 'models');
  await huge.scrollIntoViewIfNeeded();
  await page.screenshot({ path: SCREENSHOTS + 'phone-repo-check.png' });
  await context.close();
});

test('semantic search with a stand-in embedding model from the hub: a stalled download shows overall progress and is cancelled, then downloaded when asked, hybrid, finds a paraphrase keyword search misses, cached across a reload', async ({ browser }) => {
  const dir = join(tmp, 'embedder');
  writeStandInEmbeddingModel(dir);
  // The hub serves the stand-in under every default embedding model id (src/retrieval/embedder.ts).
  const embedHub = await startHub({ repos: Object.fromEntries(EMBEDDING_MODELS.map((id) => [id, dir])), port: 0 });
  try {
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
    const urls = recordRequests(context);
    let page = await context.newPage();
    const refused: string[] = [];
    const watchCsp = (p: typeof page) => p.on('console', (m) => {
      if (/Content.Security.Policy|Refused to/i.test(m.text())) refused.push(m.text());
    });
    watchCsp(page);
    await openApp(page);
    // A second tab, open from before semantic search is turned on (it reads the switch when it starts).
    const tab2 = await context.newPage();
    await openApp(tab2);
    await setEndpoint(page, embedHub.url);
    await addPdfs(page, ['zen_of_python_corrupted.pdf']);
    await waitReady(page, 'zen_of_python_corrupted.pdf');
    const mode = page.getByTestId('search-mode');
    await expect(mode).toContainText('Keyword search — semantic model not downloaded');

    // Keyword search cannot find a paraphrase that shares no word with the passage.
    const paraphrase = 'lovely or hideous?';
    await ask(page, paraphrase);
    await expect(page.getByTestId('answer').last()).toContainText('No passage matches');

    // A stalled network: each model's ONNX file stops after half its bytes until the test releases it.
    const ONNX = 'onnx/model_quantized.onnx';
    const sizeOf = (f: string) => statSync(join(dir, f)).size;
    const onnxSize = sizeOf(ONNX);
    const held = Math.floor(onnxSize / 2);
    embedHub.setFault({ kind: 'hold', file: ONNX, afterBytes: held });
    await mode.getByTestId('enable-semantic').click();
    const progress = mode.getByTestId('semantic-progress');
    await expect(progress).toBeVisible();
    await expect(mode).toHaveAttribute('data-semantic', 'downloading');
    await expect.poll(() => embedHub.requests.filter((r) => r.held).length, { timeout: 60_000 }).toBe(EMBEDDING_MODELS.length);
    // One bar for the whole step: every file of both models (each model is the stand-in folder), the ONNX
    // files up to where they are held — not the current file's progress.
    const folderBytes = ['config.json', 'tokenizer.json', 'tokenizer_config.json', ONNX].reduce((n, f) => n + sizeOf(f), 0);
    const total = EMBEDDING_MODELS.length * folderBytes;
    const loaded = total - EMBEDDING_MODELS.length * (onnxSize - held);
    await expect(progress).toHaveAttribute('data-total', String(total));
    await expect(progress).toHaveAttribute('data-loaded', String(loaded));
    await expect(progress.getByRole('progressbar')).toHaveAttribute('aria-valuenow', String(Math.round((100 * loaded) / total)));
    await page.screenshot({ path: SCREENSHOTS + 'desktop-semantic-downloading.png' });

    // Cancel: the download stops at once (the held responses lose their client), off again, no error.
    await progress.getByTestId('semantic-cancel').click();
    await expect(mode).toHaveAttribute('data-semantic', 'off');
    await expect(progress).toHaveCount(0);
    await expect(mode.getByTestId('semantic-error')).toHaveCount(0);
    await expect(mode.getByTestId('enable-semantic')).toHaveText('Download semantic model');
    await expect(mode).toHaveAttribute('data-mode', 'lexical');
    await expect(mode).toContainText('Keyword search — semantic model not downloaded');
    await expect.poll(() => embedHub.requests.filter((r) => r.held).length).toBe(0);
    const onnxGets = () => embedHub.requests.filter((r) => r.path.endsWith(`/${ONNX}`) && r.method === 'GET' && !r.range);
    expect(onnxGets().map((r) => r.sent)).toEqual(EMBEDDING_MODELS.map(() => held)); // nothing more was sent
    expect(await page.evaluate(() => localStorage.getItem('pdfchat.semanticSearch'))).toBeNull(); // not remembered as on
    const requestsAtCancel = embedHub.requests.length;

    // The network is back: enabling again downloads the cut-off files again (a half file is not taken from
    // the cache), and the models work.
    embedHub.clearFaults();
    await mode.getByTestId('enable-semantic').click();
    await expect(mode).toHaveAttribute('data-mode', 'hybrid', { timeout: 120_000 });
    // Each cut-off ONNX file came again from the hub: in full, or — Chromium's HTTP cache keeps a cut-off
    // response and resumes it — its missing bytes by Range; transformers.js' cache had taken no half file.
    for (const id of EMBEDDING_MODELS) {
      const again = embedHub.requests.slice(requestsAtCancel).filter((r) => r.path === `/${id}/resolve/main/${ONNX}` && r.method === 'GET');
      expect(again.some((r) => (r.range ? r.range === `bytes=${held}-${onnxSize - 1}` && r.sent === onnxSize - held : r.sent === onnxSize))).toBe(true);
    }
    await expect(mode).toContainText('Hybrid search (keywords + semantic vectors)');
    await expect(mode).toContainText('Xenova/all-MiniLM-L6-v2 vectors, fused by reciprocal rank');
    const modelFetches = () => embedHub.requests.filter((r) => r.path.endsWith('/onnx/model_quantized.onnx') && r.method === 'GET').length;
    expect(modelFetches()).toBeGreaterThan(0);
    // Both default models were fetched from the configured hub: the multilingual one is multilingual-e5-small.
    for (const id of EMBEDDING_MODELS) expect(embedHub.requests.some((r) => r.path === `/${id}/resolve/main/onnx/model_quantized.onnx`)).toBe(true);
    await page.screenshot({ path: SCREENSHOTS + 'desktop-semantic-hybrid.png' });

    await ask(page, paraphrase);
    const found = page.getByTestId('answer').last().getByTestId('source').first();
    await expect(found).toHaveAttribute('data-file', 'zen_of_python_corrupted.pdf');
    await expect(found.locator('blockquote')).toContainText('Beautiful is better than ugly');

    // The second tab still has semantic search off: a document added there is stored without vectors. This tab is
    // closed first (it would embed the stored chunks itself), so the document is still without them when the app
    // next starts.
    await page.close();
    await addPdfs(tab2, ['rotation.pdf']);
    await waitReady(tab2, 'rotation.pdf');
    const storedEmbeddingModel = (tab: typeof page, name: string) =>
      tab.evaluate(async (name) => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const r = indexedDB.open('pdfchat-documents');
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
        const all = await new Promise<unknown[]>((resolve, reject) => {
          const r = db.transaction('retrieval').objectStore('retrieval').getAll();
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
        db.close();
        const metas = all.filter((v): v is { name: string; embeddingModel: string | null } => typeof v === 'object' && v !== null && 'embeddingModel' in v && (v as { name?: unknown }).name === name);
        return metas.map((m) => m.embeddingModel);
      }, name);
    expect(await storedEmbeddingModel(tab2, 'zen_of_python_corrupted.pdf')).toEqual(['Xenova/all-MiniLM-L6-v2']);
    expect(await storedEmbeddingModel(tab2, 'rotation.pdf')).toEqual([null]);
    await tab2.close();

    // When the app starts again the model comes from the browser cache: hybrid again, nothing downloaded again;
    // and the document stored without vectors gets them from its stored chunks (before, it stayed keyword-only
    // until the switch was turned off and on).
    const before = modelFetches();
    page = await context.newPage();
    watchCsp(page);
    await openApp(page);
    await expect(page.getByTestId('search-mode')).toHaveAttribute('data-mode', 'hybrid', { timeout: 60_000 });
    await expect(page.getByTestId('search-mode')).not.toContainText('have no vectors', { timeout: 60_000 });
    await expect.poll(() => storedEmbeddingModel(page, 'rotation.pdf'), { timeout: 60_000 }).toEqual(['Xenova/all-MiniLM-L6-v2']);
    await ask(page, 'gorgeous versus unsightly');
    await expect(page.getByTestId('answer').last().getByTestId('source').first()).toHaveAttribute('data-file', 'zen_of_python_corrupted.pdf');
    await expect(page.getByTestId('search-mode')).toContainText('Xenova/all-MiniLM-L6-v2 vectors, fused by reciprocal rank');
    await expect(page.getByTestId('search-mode')).not.toContainText('have no vectors');
    expect(modelFetches()).toBe(before);

    // The app's own onnxruntime files no longer reachable (offline, the HTTP cache expired; routing also turns
    // Chromium's HTTP cache off): transformers.js keeps the 27 MB wasm in its own cache (useWasmCache, beside
    // the model files), so search is hybrid again without them — the service worker need not hold a copy.
    let runtimeFromNetwork = 0;
    await context.route('**/ort/**', (route) => {
      runtimeFromNetwork++;
      return route.abort('internetdisconnected');
    });
    await page.reload();
    await expect(page.locator('.app[data-ready="true"]')).toBeVisible();
    await expect(page.getByTestId('search-mode')).toHaveAttribute('data-mode', 'hybrid', { timeout: 60_000 });
    await ask(page, 'lovely or hideous?');
    await expect(page.getByTestId('answer').last().getByTestId('source').first()).toHaveAttribute('data-file', 'zen_of_python_corrupted.pdf');
    expect(runtimeFromNetwork).toBe(0);
    await context.unroute('**/ort/**');

    expect(refused).toEqual([]);
    expect(foreignRequests(urls)).toEqual([]);
    await context.close();
  } finally {
    await embedHub.close();
  }
});

test('a model folder picked from disk: a folder without the model files says what is missing, and the same folder can be picked again', async ({ browser }) => {
  const broken = join(tmp, 'no-weights');
  mkdirSync(broken, { recursive: true });
  writeFileSync(join(broken, 'config.json'), '{"model_type": "llama"}');
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const page = await context.newPage();
  await openApp(page);
  await showTab(page, 'models');
  const input = page.getByTestId('folder-input');
  await expect(input).toBeEnabled({ timeout: 30_000 });
  for (let pick = 0; pick < 2; pick++) {
    await input.setInputFiles(broken);
    await expect(page.getByRole('alert').filter({ hasText: /tokenizer|safetensors|missing/i })).toBeVisible({ timeout: 30_000 });
    // Cleared after each pick: a browser fires no change for the same folder picked into a field that still holds it.
    expect(await input.evaluate((el: HTMLInputElement) => el.value)).toBe('');
  }
  await context.close();
});
