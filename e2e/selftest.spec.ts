import { expect, test } from '@playwright/test';

test('the GPU self-test page runs WGSL kernels on SwiftShader and matches the CPU twins', async ({ page }) => {
  await page.goto('/selftest.html');
  const result = await page.waitForFunction(() => (window as unknown as { selfTest?: unknown }).selfTest, null, { timeout: 120_000 });
  const r = (await result.jsonValue()) as { adapter: string; kernels: { name: string; ok: boolean }[]; error?: unknown };
  expect(r.error).toBeUndefined();
  expect(r.kernels.length).toBeGreaterThan(0);
  for (const k of r.kernels) expect(k.ok, k.name).toBe(true);
});
