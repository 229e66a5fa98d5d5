// Dense (unquantized) linear kernels on f32 and f16 weights, split into row chunks, against the CPU twin;
// every matvec variant (one-row-per-thread, split-K R = 2, 4, 8 with subgroup / tree reductions) on the same cases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { uploadDense } from '../../src/gpu/dense-weight';
import { DenseMatmulKernel, DenseMatvecKernel, denseMatvecVariants, denseSplitKVariant, ONE_ROW_PER_THREAD } from '../../src/gpu/kernels/dense-linear';
import { denseLinearCpu } from '../../src/gpu/cpu/dense-linear';
import { PATHS, randomDenseWeight, randomFloats, readF32, relErr, runPass, stepBuffer, testGpu, upload } from './helpers';

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
      const { w, W } = randomDenseWeight(ctx, c.K, c.N, c.dtype, c.K + c.N, c.chunkRows);
      const elem = c.dtype === 'f16' ? 2 : 4;
      const maxChunkBytes = c.chunkRows ? c.chunkRows * c.K * elem : undefined;
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

  // Every matvec variant on both dtypes: chunked rows (chunks not a multiple of R), accumulate, xRow 'last',
  // rows long enough that every thread of a 256-wide workgroup strides K more than once.
  const variantCases = [
    { K: 4096, N: 37, dtype: 'f16' as const, acc: false, last: false, chunkRows: 13 },
    { K: 1024, N: 50, dtype: 'f32' as const, acc: true, last: false, chunkRows: 9 },
    { K: 136, N: 21, dtype: 'f16' as const, acc: true, last: true },
    { K: 132, N: 19, dtype: 'f32' as const, acc: false, last: true, chunkRows: 6 },
  ];
  for (const c of variantCases) {
    it(`matvec variants — K=${c.K} N=${c.N} ${c.dtype}${c.acc ? ' accumulate' : ''}${c.last ? ' xRow last' : ''}${c.chunkRows ? ' split' : ''}`, async () => {
      const { w, W } = randomDenseWeight(ctx, c.K, c.N, c.dtype, c.K + 3 * c.N, c.chunkRows);
      if (c.chunkRows) expect(w.chunks.length).toBeGreaterThan(2);
      const M = c.last ? 5 : 1;
      const x = randomFloats(M * c.K, 7);
      const y0 = c.acc ? randomFloats(c.N, 8) : undefined;
      const want = denseLinearCpu(x.subarray((M - 1) * c.K), W, c.K, c.N, y0);
      const variants = denseMatvecVariants(ctx);
      expect(variants.length).toBeGreaterThanOrEqual(4);
      for (const v of variants) {
        const y = upload(ctx, y0 ?? new Float32Array(c.N).fill(NaN));
        const k = new DenseMatvecKernel(ctx, { accumulate: c.acc, xRow: c.last ? 'last' : 'first', variant: v });
        const bound = k.bind(upload(ctx, x), w, y, stepBuffer(ctx, { pos0: 0, m: M }));
        expect(bound.variant).toBe(v.name);
        await runPass(ctx, (p) => k.encode(p, bound));
        expect(ctx.firstError).toBeNull();
        expect(relErr(await readF32(ctx, y, c.N), want), v.name).toBeLessThan(2e-6);
      }
    });
  }

  it('split-K falls back to one-row-per-thread for rows that are not whole vec4 loads; subgroup variants only with the feature', () => {
    const v = denseSplitKVariant(4, 'tree');
    expect(v.supports(ctx, { cols: 67, dtype: 'f32' })).toBe(false);
    expect(v.supports(ctx, { cols: 132, dtype: 'f16' })).toBe(false); // 132 % 8 != 0
    expect(v.supports(ctx, { cols: 132, dtype: 'f32' })).toBe(true);
    expect(denseSplitKVariant(4, 'subgroup').supports(ctx, { cols: 128, dtype: 'f16' })).toBe(ctx.subgroups);
    const w = uploadDense(ctx, randomFloats(8 * 67, 1), 8, 67);
    const k = new DenseMatvecKernel(ctx, { variant: v });
    expect(k.bind(upload(ctx, randomFloats(67, 2)), w, upload(ctx, new Float32Array(8)), stepBuffer(ctx, { pos0: 0, m: 1 })).variant).toBe(ONE_ROW_PER_THREAD.name);
  });
});
