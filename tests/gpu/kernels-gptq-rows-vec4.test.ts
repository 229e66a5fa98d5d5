// The rows-per-thread vec4 GPTQ matvec variants (shaders/gptq-matvec-rows-vec4.wgsl, R = 2 and 4): against the
// original-layout dequantisation (independent of the repack) and against the CPU twin gptqLinearCpu (same
// factorisation). On adapters whose subgroups are narrower than 8 lanes (SwiftShader: 4) the variants are not
// offered, a forced binding falls back to rows-per-thread, and the shader itself poisons its output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasWideSubgroups, type GpuContext } from '../../src/gpu/context';
import { gptqLinearCpu } from '../../src/gpu/cpu/gptq-linear';
import { repackGptq, uploadGptq } from '../../src/gpu/gptq-repack';
import { GptqMatvecKernel, gptqMatvecVariants, ROWS_PER_THREAD, rowsVec4Variant } from '../../src/gpu/kernels/gptq-linear';
import { PATHS, randomFloats, readF32, relErr, runPass, stepBuffer, testGpu, upload } from './helpers';
import { gptqReference, randomGptqLayer } from './gptq-random-layer';

const randomLayer = randomGptqLayer;
const reference = gptqReference;

const VARIANTS = [rowsVec4Variant(2), rowsVec4Variant(4)];

describe.each(PATHS)('GPTQ matvec rows-per-thread vec4 ($name)', ({ preferF16 }) => {
  let ctx: GpuContext;
  let wide: boolean; // subgroups of >= 8 lanes: the variants run here
  beforeAll(async () => {
    ctx = await testGpu({ preferF16 });
    wide = hasWideSubgroups(ctx);
  });
  afterAll(() => ctx?.device.destroy());

  it('is offered exactly where subgroups have at least 8 lanes', () => {
    const names = gptqMatvecVariants(ctx).map((v) => v.name);
    for (const v of VARIANTS) expect(names.includes(v.name), `${v.name} on ${ctx.adapterName}`).toBe(wide);
  });

  // Groups of 32 / 64 / 128 / all of K; K not a multiple of 128 (200, 136, 264: a partial last quad and a
  // partial last group); act-order; bias; accumulate; rows split into chunks; N not a multiple of 64 * R.
  const configs: { K: number; N: number; G: number; format: 'v1' | 'v2'; act: boolean; bias: boolean; acc: boolean; chunk?: number }[] = [
    { K: 200, N: 8, G: 32, format: 'v1', act: true, bias: true, acc: false },
    { K: 256, N: 40, G: 64, format: 'v2', act: false, bias: false, acc: true },
    { K: 384, N: 24, G: 128, format: 'v1', act: true, bias: false, acc: true, chunk: 8 * 192 },
    { K: 136, N: 16, G: -1, format: 'v2', act: false, bias: true, acc: false },
    { K: 512, N: 32, G: 32, format: 'v2', act: true, bias: true, acc: true, chunk: 5 * 256 },
    { K: 264, N: 1096, G: 64, format: 'v1', act: true, bias: true, acc: true },
    { K: 264, N: 1096, G: -1, format: 'v2', act: false, bias: false, acc: false, chunk: 600 * 132 },
  ];
  for (const c of configs) {
    const label = `K=${c.K} N=${c.N} group ${c.G} ${c.format}${c.act ? ' act-order' : ''}${c.bias ? ' bias' : ''}${c.acc ? ' accumulate' : ''}${c.chunk ? ' split rows' : ''}`;
    it(`matches the original-layout dequant and the CPU twin — ${label}`, async () => {
      const t = randomLayer(c.K, c.N, c.G, c.format, c.act, c.bias, c.K * 3 + c.N);
      const packed = repackGptq(t);
      const w = uploadGptq(ctx, packed, { maxChunkBytes: c.chunk });
      if (c.chunk) expect(w.chunks.length).toBeGreaterThan(1);
      const x = randomFloats(c.K, 400);
      const y0 = c.acc ? randomFloats(c.N, 401) : undefined;
      const ref = reference(t, x, y0);
      const twin = gptqLinearCpu(x, packed, y0);
      for (const v of VARIANTS) {
        const y = upload(ctx, y0 ?? new Float32Array(c.N));
        const k = new GptqMatvecKernel(ctx, { accumulate: c.acc, variant: v });
        const bound = k.bind(upload(ctx, x), w, y, stepBuffer(ctx, { pos0: 0, m: 1 }));
        expect(bound.variant).toBe(wide ? v.name : ROWS_PER_THREAD.name);
        await runPass(ctx, (p) => k.encode(p, bound, 1));
        const got = await readF32(ctx, y, c.N);
        expect(relErr(got, twin), `${v.name} vs CPU twin`).toBeLessThan(2e-6);
        expect(relErr(got, ref), `${v.name} vs original-layout dequant`).toBeLessThan(1e-5);
      }
    });
  }

  for (const act of [false, true]) {
    it(`reads the last row of x with xRow "last"${act ? ', act-order' : ''}`, async () => {
      const t = randomLayer(96, 136, 32, 'v2', act, false, 7);
      const w = uploadGptq(ctx, repackGptq(t));
      expect(w.perm !== null).toBe(act);
      const M = 5;
      const x = randomFloats(M * 96, 11);
      for (const v of VARIANTS) {
        const y = upload(ctx, new Float32Array(136));
        const k = new GptqMatvecKernel(ctx, { xRow: 'last', variant: v });
        const bound = k.bind(upload(ctx, x), w, y, stepBuffer(ctx, { pos0: 0, m: M }));
        await runPass(ctx, (p) => k.encode(p, bound, 1));
        expect(relErr(await readF32(ctx, y, 136), reference(t, x.subarray(4 * 96))), v.name).toBeLessThan(1e-5);
      }
    });
  }

  it('falls back to rows-per-thread for groups that split a 32-position quad', async () => {
    const t = randomLayer(128, 16, 16, 'v2', false, true, 31);
    const packed = repackGptq(t);
    const x = randomFloats(128, 32);
    const y = upload(ctx, new Float32Array(16));
    const k = new GptqMatvecKernel(ctx, { variant: VARIANTS[1] });
    const bound = k.bind(upload(ctx, x), uploadGptq(ctx, packed), y, stepBuffer(ctx, { pos0: 0, m: 1 }));
    expect(bound.variant).toBe(ROWS_PER_THREAD.name);
    await runPass(ctx, (p) => k.encode(p, bound, 1));
    expect(relErr(await readF32(ctx, y, 16), gptqLinearCpu(x, packed))).toBeLessThan(1e-6);
  });

  it('run on the real subgroup width: correct with >= 8 lanes, NaN-poisoned (never silently wrong) below', async () => {
    if (!ctx.subgroups) return expect(gptqMatvecVariants(ctx).some((v) => v.kind === 'rows-per-thread-vec4')).toBe(false);
    // Pretend the adapter reported 8-lane subgroups so that the shader runs whatever its real width is.
    const forced: GpuContext = { ...ctx, subgroupMinSize: 8 };
    const t = randomLayer(256, 72, 64, 'v1', false, false, 41);
    const packed = repackGptq(t);
    const x = randomFloats(256, 42);
    const y = upload(forced, new Float32Array(72));
    const k = new GptqMatvecKernel(forced, { variant: VARIANTS[0] });
    const bound = k.bind(upload(forced, x), uploadGptq(forced, packed), y, stepBuffer(forced, { pos0: 0, m: 1 }));
    expect(bound.variant).toBe(VARIANTS[0].name);
    await runPass(forced, (p) => k.encode(p, bound, 1));
    const got = await readF32(forced, y, 72);
    if (wide) expect(relErr(got, gptqLinearCpu(x, packed))).toBeLessThan(2e-6);
    else expect(Array.from(got).every(Number.isNaN), `${ctx.adapterName} (subgroupMinSize ${ctx.subgroupMinSize})`).toBe(true);
  });
});
