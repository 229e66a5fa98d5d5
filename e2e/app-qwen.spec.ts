// A Qwen2 model in the Chinese UI, end to end: the recommended model is a Qwen one; a tiny random Qwen2
// GPTQ checkpoint (q/k/v biases, tied embedding, ChatML template, <|im_end|> as EOS, written by
// scripts/make-random-llama.ts) downloads from the local test hub, loads (the panel says qwen2 and gptq), and
// answers a Chinese question about a Chinese PDF with a citation that opens the cited page highlighted.
// Random weights: the words are noise; what is checked is that the architecture runs in the browser and the
// whole cited-answer path works with it. Every request stays on 127.0.0.1. Also: a tiny random Qwen2-MoE
// model (8 experts, top-2, a shared expert, GPTQ experts) loads, says what it is, and answers.
import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHub, type Hub } from './hub-server';
import { addPdfs, ask, DESKTOP, expectNoErrorAlert, foreignRequests, modelRowOf, openApp, PDFS, recordRequests, SCREENSHOTS, setHubEndpoint, startRepoDownload, waitReady } from './app-helpers';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const QWEN_REPO = 'test/random-qwen2-gptq';
const MOE_REPO = 'test/random-qwen2-moe-gptq';
test.skip(!existsSync(PDFS + 'issue12823.pdf'), 'shared fixture PDFs are absent');

let hub: Hub;
let tmp: string;

test.beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'pdfchat-qwen-e2e-'));
  const dir = join(tmp, 'qwen2');
  const options = { arch: 'qwen2', hidden: 64, intermediate: 176, layers: 2, heads: 4, kvHeads: 2, vocab: 512, tied: true, seed: 5, maxPositionEmbeddings: 4096, quant: { groupSize: 32, actOrder: false, format: 'v1', sym: true } };
  execFileSync('node', ['--import', 'tsx', 'scripts/make-random-llama.ts', dir, JSON.stringify(options)], { cwd: REPO_ROOT, stdio: 'pipe' });
  const moe = join(tmp, 'qwen2-moe');
  const moeOptions = { arch: 'qwen2_moe', hidden: 64, intermediate: 96, layers: 2, heads: 4, kvHeads: 2, vocab: 512, tied: true, seed: 6, maxPositionEmbeddings: 4096, experts: 8, topK: 2, expertIntermediate: 32, sharedIntermediate: 48, normTopK: false, quant: { groupSize: 32, actOrder: false, format: 'v1', sym: true } };
  execFileSync('node', ['--import', 'tsx', 'scripts/make-random-llama.ts', moe, JSON.stringify(moeOptions)], { cwd: REPO_ROOT, stdio: 'pipe' });
  hub = await startHub({ repos: { [QWEN_REPO]: dir, [MOE_REPO]: moe }, port: 0 });
});

test.afterAll(async () => {
  await hub?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('Chinese UI: a Qwen model is recommended; a Qwen2 GPTQ model downloads, loads and answers with citations', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' });
  const urls = recordRequests(context);
  const page = await context.newPage();
  await openApp(page);
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');

  // The suggestion for a Chinese UI is a Qwen model, listed first and marked.
  const recommended = page.locator('[data-testid="model-row"][data-recommended="true"]');
  await expect(recommended).toHaveCount(1);
  await expect(recommended).toHaveAttribute('data-repo', /^Qwen\/Qwen/);
  await expect(recommended.getByTestId('recommended')).toHaveText('推荐');
  await expect(recommended.getByTestId('model-architecture')).toContainText('qwen');

  await setHubEndpoint(page, hub.url);
  await startRepoDownload(page, QWEN_REPO);
  const row = modelRowOf(page, QWEN_REPO);
  await expect(row).toHaveAttribute('data-complete', 'true', { timeout: 120_000 });
  await row.getByTestId('load').click();
  await expect(page.getByTestId('loaded-model')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('loaded-details')).toHaveAttribute('data-architecture', 'qwen2');
  await expect(page.getByTestId('loaded-details')).toContainText('gptq 4-bit');

  await page.getByTestId('open-settings').click();
  await page.getByTestId('max-tokens').fill('16');
  await page.keyboard.press('Escape');

  await addPdfs(page, ['issue12823.pdf']);
  await waitReady(page, 'issue12823.pdf');
  await ask(page, '知识库的主要内容是什么？');
  const answer = page.getByTestId('answer').last();
  await expect(answer).toHaveAttribute('data-mode', 'model');
  await expect(page.getByTestId('ask')).toBeVisible({ timeout: 180_000 }); // done
  await expectNoErrorAlert(answer);
  const source = answer.getByTestId('source').first();
  await expect(source).toHaveAttribute('data-file', 'issue12823.pdf');
  await expect(source).toHaveAttribute('data-page', '1');
  await expect(answer.getByTestId('tok-s')).toBeVisible();
  await page.screenshot({ path: SCREENSHOTS + 'desktop-qwen-zh.png' });

  const cite = answer.getByTestId('citation').first();
  await expect(cite).toHaveText('[1]');
  await cite.click();
  await expect(page.getByTestId('viewer-page')).toHaveAttribute('data-page', '1');
  await expect.poll(async () => Number(await page.getByTestId('viewer-page').getAttribute('data-highlights')), { timeout: 30_000 }).toBeGreaterThan(0);

  expect(foreignRequests(urls)).toEqual([]);
  await context.close();
});

test('a tiny Qwen2-MoE GPTQ model loads (panel: experts total / active, shared expert) and answers with citations', async ({ browser }) => {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  const urls = recordRequests(context);
  const page = await context.newPage();
  await openApp(page);
  await setHubEndpoint(page, hub.url);
  await startRepoDownload(page, MOE_REPO);
  const row = modelRowOf(page, MOE_REPO);
  await expect(row).toHaveAttribute('data-complete', 'true', { timeout: 120_000 });
  await row.getByTestId('load').click();
  await expect(page.getByTestId('loaded-model')).toBeVisible({ timeout: 120_000 });
  const details = page.getByTestId('loaded-details');
  await expect(details).toHaveAttribute('data-architecture', 'qwen2_moe');
  await expect(details).toContainText('8 experts, 2 per token + 1');
  await expect(details).toContainText('gptq 4-bit');
  await expect(page.getByTestId('loaded-tuning')).toHaveAttribute('data-tuning', /^(untuned|tuned|cached)$/);

  await page.getByTestId('open-settings').click();
  await page.getByTestId('max-tokens').fill('12');
  await page.keyboard.press('Escape');
  await addPdfs(page, ['issue12823.pdf']);
  await waitReady(page, 'issue12823.pdf');
  await ask(page, '知识库的主要内容是什么？');
  const answer = page.getByTestId('answer').last();
  await expect(answer).toHaveAttribute('data-mode', 'model');
  await expect(page.getByTestId('ask')).toBeVisible({ timeout: 180_000 });
  await expectNoErrorAlert(answer);
  await expect(answer.getByTestId('citation').first()).toHaveText('[1]');
  await expect(answer.getByTestId('tok-s')).toBeVisible();
  expect(foreignRequests(urls)).toEqual([]);
  await context.close();
});
