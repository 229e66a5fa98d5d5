// The roofline is a ceiling: no kernel of the kernel benchmark (src/gpu/kernel-bench.ts, `npm run bench:kernels`)
// reads faster than the best read pattern, measured in the same process in interleaved rounds. Small layer
// shapes, but every case reads 64 MiB of distinct weights per measurement (twice this machine's 32 MiB L3),
// like the roofline buffer. Ratios only: nothing here depends on how fast the machine is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { runKernelBench } from '../../src/gpu/kernel-bench';
import { denseSplitKVariant, ONE_ROW_PER_THREAD } from '../../src/gpu/kernels/dense-linear';
import { ROWS_PER_THREAD, splitKVariant } from '../../src/gpu/kernels/gptq-linear';
import { measureRoofline, nonZeroBuffer } from '../../src/gpu/roofline';
import { readBandwidthCpu } from '../../src/gpu/cpu/read-bandwidth';
import { readU32, testGpu } from './helpers';

const MIB = 2 ** 20;

describe('read roofline', () => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu(); });
  afterAll(() => ctx?.device.destroy());

  it('fills its buffer with non-zero words whose checksum is the CPU twin\'s', async () => {
    const { buffer, checksum } = nonZeroBuffer(ctx, 3 * MIB);
    const words = await readU32(ctx, buffer, (3 * MIB) / 4);
    expect(words.every((w) => w !== 0)).toBe(true);
    expect(readBandwidthCpu(words)).toBe(checksum);
    buffer.destroy();
  });

  it('measures both access patterns and reports the best (checksums verified inside)', async () => {
    const r = await measureRoofline(ctx, { bytes: 64 * MIB, rounds: 1, minMs: 5 });
    expect(r.bytes).toBe(64 * MIB);
    expect(r.patterns.some((p) => p.pattern.startsWith('grid-stride'))).toBe(true);
    expect(r.patterns.some((p) => p.pattern.startsWith('contiguous'))).toBe(true);
    expect(r.gbps).toBe(Math.max(...r.patterns.map((p) => p.gbps)));
    expect(r.patterns.find((p) => p.pattern === r.best)!.gbps).toBe(r.gbps);
  });

  it('no kernel of the kernel benchmark exceeds the roofline by more than 5 %', async () => {
    const variants = [ROWS_PER_THREAD, splitKVariant(4, ctx.subgroups ? 'subgroup' : 'tree')];
    const { roofline, rows } = await runKernelBench(ctx, {
      shapes: { gptqMatvec: [[1024, 1024]], lmHead: [512, 8192], gptqMatmul: { K: 512, N: 1024, M: 4 } },
      minBytes: 64 * MIB, rounds: 3, minMs: 10, matvecVariants: variants,
      denseVariants: [ONE_ROW_PER_THREAD, denseSplitKVariant(4, ctx.subgroups ? 'subgroup' : 'tree')],
    });
    expect(rows.map((r) => r.kernel)).toEqual(['gptq-matvec', 'gptq-matvec', 'dense-matvec (lm_head f16)', 'dense-matvec (lm_head f16)', 'gptq-matmul (prefill M=4)']);
    for (const r of rows) {
      expect(r.bytes, `${r.kernel} reads past the caches`).toBeGreaterThanOrEqual(64 * MIB);
      expect(r.gbps / roofline.gbps, `${r.kernel} ${r.variant}: ${r.gbps.toFixed(2)} GB/s vs roofline ${roofline.gbps.toFixed(2)} (${roofline.best})`).toBeLessThan(1.05);
    }
  });
});
