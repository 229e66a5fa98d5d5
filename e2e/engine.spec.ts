// The engine in the browser: Chromium's WebGPU (SwiftShader: no shader-f16, so the f32 path) runs the
// converted stories260K, downloaded from a local test hub, and reproduces the published greedy text.
import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHub, type Hub } from './hub-server';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const STORIES = join(REPO_ROOT, '../shared/fixtures/models/stories260K');
test.skip(!existsSync(join(STORIES, 'stories260K.bin')), `stories260K fixture absent at ${STORIES}`);

let hub: Hub;
let tmp: string;

test.beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'engine-e2e-'));
  const out = join(tmp, 'test', 'stories260K');
  execFileSync('npm', ['run', '--silent', 'cli', '--', 'convert-llama2c', '--model', join(STORIES, 'stories260K.bin'), '--tokenizer', join(STORIES, 'tok512.bin'), '--out', out], { cwd: REPO_ROOT, stdio: 'pipe' });
  hub = await startHub({ root: tmp });
});

test.afterAll(async () => {
  await hub?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('stories260K greedy text in Chromium equals the published sample', async ({ page }) => {
  const max = 120;
  await page.goto(`/selftest.html?hub=${encodeURIComponent(hub.url)}&repo=test/stories260K&max=${max}`);
  const handle = await page.waitForFunction(() => (window as unknown as { engineCheck?: unknown }).engineCheck, null, { timeout: 240_000 });
  const r = (await handle.jsonValue()) as { text?: string; prompt?: string; adapter?: string; f16?: boolean; error?: unknown; stats?: { generatedTokens: number; decodeTokS: number } };
  expect(r.error).toBeUndefined();
  const reference = readFileSync(join(STORIES, 'greedy_once_upon_a_time.txt'), 'utf8');
  const produced = r.prompt! + r.text!;
  console.log(`browser (${r.adapter}, f16=${r.f16}): ${r.stats?.generatedTokens} tokens at ${r.stats?.decodeTokS.toFixed(1)} tok/s`);
  expect(r.stats?.generatedTokens).toBe(max);
  expect(produced.length).toBeGreaterThan(250);
  expect(reference.startsWith(produced)).toBe(true);
});
