import { expect, test } from '@playwright/test';

test('the GPU self-test page runs WGSL kernels on SwiftShader and matches the CPU twins', async ({ page }) => {
  await page.goto('/selftest.html');
  // No benchmark beside the self-test (it would time both against each other): offered once it is done.
  const bench = page.getByRole('button', { name: 'Benchmark this GPU' });
  await expect(bench).toBeDisabled();
  const result = await page.waitForFunction(() => (window as unknown as { selfTest?: unknown }).selfTest, null, { timeout: 120_000 });
  await expect(bench).toBeEnabled();
  const r = (await result.jsonValue()) as { adapter: string; kernels: { name: string; ok: boolean }[]; error?: unknown };
  expect(r.error).toBeUndefined();
  expect(r.kernels.length).toBeGreaterThan(0);
  for (const k of r.kernels) expect(k.ok, k.name).toBe(true);
});

test('"Benchmark this GPU" measures the roofline, tunes and times prefill and decode on a synthetic model', async ({ page }) => {
  // The small bench shape and roofline buffer keep this quick on SwiftShader; the button runs the TinyLlama
  // 1.1B shape with the full 256 MiB roofline.
  await page.goto('/selftest.html?bench=tiny-test&roofline-mib=8');
  await expect(page.getByRole('button', { name: 'Benchmark this GPU' })).toBeVisible();
  const handle = await page.waitForFunction(() => (window as unknown as { gpuBench?: unknown }).gpuBench, null, { timeout: 240_000 });
  const r = (await handle.jsonValue()) as { error?: unknown; shape: string; prefillTokS: number; decodeTokS: number; roofline: { gbps: number }; decodeRooflineFraction: number; tune: { cache: string } | null };
  expect(r.error).toBeUndefined();
  expect(r.shape).toBe('tiny-test');
  for (const v of [r.prefillTokS, r.decodeTokS, r.roofline.gbps, r.decodeRooflineFraction]) expect(v).toBeGreaterThan(0);
  expect(r.tune?.cache).toBe('indexeddb');
  await expect(page.locator('#bench-out')).toContainText('% of the roofline');
});
