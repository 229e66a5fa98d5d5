// Dense (unquantized) linear kernels on f32 and f16 weights, split into row chunks, against the CPU twin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { uploadDense } from '../../src/gpu/dense-weight';
import { DenseMatmulKernel, DenseMatvecKernel } from '../../src/gpu/kernels/dense-linear';
import { denseLinearCpu } from '../../src/gpu/cpu/dense-linear';
import { f16BitsArrayToF32, f32ArrayToF16Bits } from '../../src/shared/f16';
import { PATHS, randomFloats, readF32, relErr, runPass, stepBuffer, testGpu, upload } from './helpers';

describe.each(PATHS)('dense linear ($name)', ({ preferF16 }) => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu({ preferF16 }); });
  afterAll(() => ctx?.device.destroy());

  const cases = [
    { K: 67, N: 8, dtype: 'f32' as const, acc: false },
    { K: 67, N: 45, dtype: 'f16' as const, acc: true, chunkRows: 7 }, // odd K: f16 rows straddle words
    { K: 128, N: 100, dtype: 'f16' as const, acc: false, chunkRows: 16 },
    { K: 96, N: 33, dtype: 'f32' as const, acc: true, chunkRows: 10 },
  ];
  for (const c of cases) {
    it(`K=${c.K} N=${c.N} ${c.dtype}${c.acc ? ' accumulate' : ''}${c.chunkRows ? ' split' : ''}: matvec M=1, matmul M=7 and M=2`, async () => {
      let W = randomFloats(c.N * c.K, c.K + c.N);
      const elem = c.dtype === 'f16' ? 2 : 4;
      const data = c.dtype === 'f16' ? { f16: f32ArrayToF16Bits(W) } : W;
      if (c.dtype === 'f16') W = f16BitsArrayToF32(data instanceof Float32Array ? new Uint16Array() : data.f16);
      const maxChunkBytes = c.chunkRows ? c.chunkRows * c.K * elem : undefined;
      const w = uploadDense(ctx, data, c.N, c.K, { maxChunkBytes });
      if (maxChunkBytes) {
        expect(w.chunks.length).toBeGreaterThanOrEqual(Math.ceil(c.N / c.chunkRows!));
        for (const ch of w.chunks) expect(ch.rows * c.K * elem).toBeLessThanOrEqual(maxChunkBytes);
        expect(w.chunks.reduce((s, ch) => s + ch.rows, 0)).toBe(c.N);
      }
      for (const M of [1, 7, 2]) {
        const x = randomFloats(M * c.K, M + 50);
        const y0 = c.acc ? randomFloats(M * c.N, M + 60) : undefined;
        const y = upload(ctx, y0 ?? new Float32Array(M * c.N));
        const step = stepBuffer(ctx, { pos0: 0, m: M });
        if (M === 1) {
          const k = new DenseMatvecKernel(ctx, { accumulate: c.acc });
          const bound = k.bind(upload(ctx, x), w, y, step);
          await runPass(ctx, (p) => k.encode(p, bound));
        } else {
          const k = new DenseMatmulKernel(ctx, { accumulate: c.acc });
          const bound = k.bind(upload(ctx, x), w, y, step, { maxM: 8 });
          await runPass(ctx, (p) => k.encode(p, bound, M));
        }
        expect(relErr(await readF32(ctx, y, M * c.N), denseLinearCpu(x, W, c.K, c.N, y0)), `M=${M}`).toBeLessThan(1e-5);
      }
    });
  }

  it('matvec with xRow "last" reads row Step.m - 1 (lm_head after a prefill)', async () => {
    const K = 40, N = 24, M = 6;
    const W = randomFloats(N * K, 1);
    const w = uploadDense(ctx, W, N, K, { maxChunkBytes: 10 * K * 4 });
    const x = randomFloats(M * K, 2);
    const y = upload(ctx, new Float32Array(N));
    const k = new DenseMatvecKernel(ctx, { xRow: 'last' });
    const bound = k.bind(upload(ctx, x), w, y, stepBuffer(ctx, { pos0: 0, m: M }));
    await runPass(ctx, (p) => k.encode(p, bound));
    expect(relErr(await readF32(ctx, y, N), denseLinearCpu(x.subarray((M - 1) * K), W, K, N))).toBeLessThan(1e-5);
  });
});
