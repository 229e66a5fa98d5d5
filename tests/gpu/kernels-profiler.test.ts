// The timestamp profiler times real passes (skips where the adapter has no timestamp-query).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { GpuProfiler } from '../../src/gpu/profiler';
import { ReadBandwidthKernel } from '../../src/gpu/kernels/read-bandwidth';
import { createBuffer, STORAGE } from '../../src/gpu/context';
import { testGpu } from './helpers';

describe('GpuProfiler', () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu(); });
  afterAll(() => ctx?.device.destroy());

  it('records one duration per profiled pass and tabulates them by label', async (t) => {
    const prof = GpuProfiler.create(ctx, 4);
    if (!prof) { t.skip(); return; }
    const k = new ReadBandwidthKernel(ctx);
    const big = createBuffer(ctx, 8 << 20, STORAGE);
    const small = createBuffer(ctx, 4096, STORAGE);
    const bBig = k.bind(big, 8 << 20, { workgroups: 64 }), bSmall = k.bind(small, 4096, { workgroups: 1 });
    const enc = ctx.device.createCommandEncoder();
    for (const [label, b] of [['big', bBig], ['small', bSmall], ['big', bBig]] as const) {
      const pass = enc.beginComputePass(prof.pass(label));
      k.encode(pass, b);
      pass.end();
    }
    prof.resolve(enc);
    ctx.device.queue.submit([enc.finish()]);
    const rows = await prof.read();
    expect(rows.map((r) => r.label)).toEqual(['big', 'small', 'big']);
    for (const r of rows) expect(r.ms).toBeGreaterThanOrEqual(0);
    const table = GpuProfiler.table(rows);
    expect(table.find((r) => r.label === 'big')!.count).toBe(2);
    expect(rows[0].ms + rows[2].ms).toBeGreaterThan(rows[1].ms); // 8 MiB twice takes longer than 4 KiB once
    prof.destroy();
  });
});
