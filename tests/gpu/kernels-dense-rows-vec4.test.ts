// The rows-per-thread vec4 dense matvec variants (shaders/dense-matvec-rows-vec4.wgsl, R = 1, 2 (offered) and 4) against the
// CPU twin denseLinearCpu: f16 and f32 weights, rows split into chunks, xRow 'last', accumulate, rows not a
// multiple of a workgroup's 64·R, K not a multiple of 8 / 32 (a partial last x block). On adapters whose
// subgroups are narrower than 8 lanes (SwiftShader: 4) the variants are not offered, a forced binding falls back
// to one-row-per-thread, and the shader itself poisons its output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasWideSubgroups, type GpuContext } from '../../src/gpu/context';
import { DenseMatvecKernel, denseMatvecVariants, denseRowsVec4Variant, ONE_ROW_PER_THREAD } from '../../src/gpu/kernels/dense-linear';
import { denseLinearCpu } from '../../src/gpu/cpu/dense-linear';
import { PATHS, randomDenseWeight, randomFloats, readF32, relErr, runPass, stepBuffer, testGpu, upload } from './helpers';

const OFFERED = [denseRowsVec4Variant(1), denseRowsVec4Variant(2)];
const VARIANTS = [...OFFERED, denseRowsVec4Variant(4)];

describe.each(PATHS)('dense matvec rows-per-thread vec4 ($name)', ({ preferF16 }) => {
  let ctx: GpuContext;
  let wide: boolean; // subgroups of >= 8 lanes: the variants run here
  beforeAll(async () => {
    ctx = await testGpu({ preferF16 });
    wide = hasWideSubgroups(ctx);
  });
  afterAll(() => ctx?.device.destroy());

  it('is offered exactly where subgroups have at least 8 lanes', () => {
    const names = denseMatvecVariants(ctx).map((v) => v.name);
    for (const v of OFFERED) expect(names.includes(v.name), `${v.name} on ${ctx.adapterName}`).toBe(wide);
    expect(names).not.toContain(denseRowsVec4Variant(4).name);
  });

  // K: 2048 (whole 32-value blocks), 136 f16 = 17 loads (a last block of 1 load), 8 (one load, 7 idle lanes),
  // 132 f32 = 33 loads and 1028 f32 = 257 loads (K not a multiple of 8: a last block of 1 load), 100 f32
  // (25 loads), 200 f16 (25 loads). N: below, around and above 64·R, chunked so chunks are not multiples of it.
  const cases = [
    { K: 2048, N: 300, dtype: 'f16' as const, acc: false, last: false, chunkRows: 70 },
    { K: 136, N: 21, dtype: 'f16' as const, acc: true, last: true },
    { K: 8, N: 5, dtype: 'f16' as const, acc: false, last: false },
    { K: 200, N: 513, dtype: 'f16' as const, acc: true, last: false, chunkRows: 130 },
    { K: 132, N: 130, dtype: 'f32' as const, acc: true, last: false, chunkRows: 40 },
    { K: 1028, N: 257, dtype: 'f32' as const, acc: false, last: true },
    { K: 100, N: 64, dtype: 'f32' as const, acc: true, last: true, chunkRows: 17 },
  ];
  for (const c of cases) {
    it(`matches the CPU twin — K=${c.K} N=${c.N} ${c.dtype}${c.acc ? ' accumulate' : ''}${c.last ? ' xRow last' : ''}${c.chunkRows ? ' split' : ''}`, async () => {
      const { w, W } = randomDenseWeight(ctx, c.K, c.N, c.dtype, c.K + 5 * c.N, c.chunkRows);
      if (c.chunkRows) expect(w.chunks.length).toBeGreaterThan(2);
      const M = c.last ? 4 : 1;
      const x = randomFloats(M * c.K, c.K + 9);
      const y0 = c.acc ? randomFloats(c.N, 10) : undefined;
      const want = denseLinearCpu(x.subarray((M - 1) * c.K), W, c.K, c.N, y0);
      for (const v of VARIANTS) {
        const y = upload(ctx, y0 ?? new Float32Array(c.N).fill(NaN));
        const k = new DenseMatvecKernel(ctx, { accumulate: c.acc, xRow: c.last ? 'last' : 'first', variant: v });
        const bound = k.bind(upload(ctx, x), w, y, stepBuffer(ctx, { pos0: 0, m: M }));
        expect(bound.variant).toBe(wide ? v.name : ONE_ROW_PER_THREAD.name);
        await runPass(ctx, (p) => k.encode(p, bound));
        expect(ctx.firstError).toBeNull();
        expect(relErr(await readF32(ctx, y, c.N), want), v.name).toBeLessThan(2e-6);
      }
    });
  }

  it('falls back to one-row-per-thread for rows that are not whole vec4 loads (f16 K % 8 != 0)', async () => {
    for (const v of VARIANTS) {
      expect(v.supports(ctx, { cols: 132, dtype: 'f16' })).toBe(false);
      expect(v.supports(ctx, { cols: 66, dtype: 'f32' })).toBe(false);
      expect(v.supports(ctx, { cols: 132, dtype: 'f32' })).toBe(wide);
    }
    const { w, W } = randomDenseWeight(ctx, 132, 9, 'f16', 3);
    const x = randomFloats(132, 4);
    const y = upload(ctx, new Float32Array(9));
    const k = new DenseMatvecKernel(ctx, { variant: VARIANTS[1] });
    const bound = k.bind(upload(ctx, x), w, y, stepBuffer(ctx, { pos0: 0, m: 1 }));
    expect(bound.variant).toBe(ONE_ROW_PER_THREAD.name);
    await runPass(ctx, (p) => k.encode(p, bound));
    expect(relErr(await readF32(ctx, y, 9), denseLinearCpu(x, W, 132, 9))).toBeLessThan(1e-6);
  });

  it('run on the real subgroup width: correct with >= 8 lanes, NaN-poisoned (never silently wrong) below', async () => {
    if (!ctx.subgroups) return expect(denseMatvecVariants(ctx).some((v) => v.kind === 'rows-per-thread-vec4')).toBe(false);
    // Pretend the adapter reported 8-lane subgroups so that the shader runs whatever its real width is.
    const forced: GpuContext = { ...ctx, subgroupMinSize: 8 };
    const { w, W } = randomDenseWeight(forced, 256, 72, 'f16', 41);
    const x = randomFloats(256, 42);
    const y = upload(forced, new Float32Array(72));
    const k = new DenseMatvecKernel(forced, { variant: VARIANTS[0] });
    const bound = k.bind(upload(forced, x), w, y, stepBuffer(forced, { pos0: 0, m: 1 }));
    expect(bound.variant).toBe(VARIANTS[0].name);
    await runPass(forced, (p) => k.encode(p, bound));
    const got = await readF32(forced, y, 72);
    if (wide) expect(relErr(got, denseLinearCpu(x, W, 256, 72))).toBeLessThan(2e-6);
    else expect(Array.from(got).every(Number.isNaN), `${ctx.adapterName} (subgroupMinSize ${ctx.subgroupMinSize})`).toBe(true);
  });
});
