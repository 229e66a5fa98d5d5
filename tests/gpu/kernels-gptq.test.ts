// GPTQ repack + fused dequant matvec/matmul. The reference is gptqDequantCpu on the ORIGINAL (AutoGPTQ layout)
// tensors followed by a plain matmul: the independent check that the repack is right. Also the CPU twin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { gptqDequantCpu, repackGptq, uploadGptq, type GptqSource } from '../../src/gpu/gptq-repack';
import { GptqMatmulKernel, GptqMatvecKernel, gptqMatvecVariants, ROWS_PER_THREAD, splitKVariant } from '../../src/gpu/kernels/gptq-linear';
import { gptqLinearCpu } from '../../src/gpu/cpu/gptq-linear';
import { gptqSplitKF16Cpu } from '../../src/gpu/cpu/gptq-splitk-f16';
import { dequantGptq } from '../../src/model/gptq-pack';
import { AppError } from '../../src/shared/errors';
import { PATHS, randomFloats, readF32, relErr, runPass, stepBuffer, testGpu, upload } from './helpers';
import { gptqReference, randomGptqLayer } from './gptq-random-layer';

/** A random GPTQ layer; exercises both files with g_idx (always for act-order) and files without it. */
function randomLayer(K: number, N: number, groupSize: number, format: 'v1' | 'v2', actOrder: boolean, bias: boolean, seed: number): GptqSource {
  const t = randomGptqLayer(K, N, groupSize, format, actOrder, bias, seed);
  return { ...t, gIdx: actOrder || seed % 2 ? t.gIdx : undefined };
}

const reference = gptqReference;

describe('GPTQ repack (CPU)', () => {
  it('gptqDequantCpu agrees with the pack reference, and repack accepts every valid act-order layout', () => {
    for (const groupSize of [32, 64, 128, -1]) {
      for (const format of ['v1', 'v2'] as const) {
        for (let seed = 1; seed <= 6; seed++) {
          const t = randomLayer(256, 16, groupSize, format, seed % 3 !== 0, true, seed * 7 + groupSize);
          expect(() => repackGptq(t)).not.toThrow();
          if (t.gIdx) expect(Array.from(gptqDequantCpu(t))).toEqual(Array.from(dequantGptq(t as Parameters<typeof dequantGptq>[0])));
        }
      }
    }
  });

  it('drops the permutation when g_idx is the natural order, keeps it for act-order', () => {
    expect(repackGptq(randomLayer(128, 8, 32, 'v2', false, false, 2)).perm).toBeNull();
    expect(repackGptq(randomLayer(128, 8, 32, 'v2', true, false, 2)).perm).not.toBeNull();
  });

  it('rejects g_idx whose groups are not runs of groupSize', () => {
    const t = randomLayer(64, 8, 32, 'v1', false, false, 1);
    const gIdx = new Int32Array(64);
    for (let k = 0; k < 64; k++) gIdx[k] = k < 40 ? 0 : 1; // 40 + 24: not groups of 32
    try {
      repackGptq({ ...t, gIdx });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('UNSUPPORTED_QUANTIZATION');
    }
  });
});

describe.each(PATHS)('GPTQ kernels ($name)', ({ preferF16 }) => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu({ preferF16 }); });
  afterAll(() => ctx?.device.destroy());

  const configs: { K: number; N: number; G: number; format: 'v1' | 'v2'; act: boolean; bias: boolean; acc: boolean; chunk?: number }[] = [
    { K: 200, N: 8, G: 32, format: 'v1', act: true, bias: true, acc: false },
    { K: 256, N: 40, G: 64, format: 'v2', act: false, bias: false, acc: true },
    { K: 384, N: 24, G: 128, format: 'v1', act: true, bias: false, acc: true, chunk: 8 * 192 },
    { K: 136, N: 16, G: -1, format: 'v2', act: false, bias: true, acc: false },
    { K: 512, N: 32, G: 32, format: 'v2', act: true, bias: true, acc: true, chunk: 5 * 256 },
    // More rows than one 512-row prefill tile, ragged, K not a multiple of the 128-position x tile.
    { K: 264, N: 1096, G: 64, format: 'v1', act: true, bias: true, acc: true },
    { K: 264, N: 1096, G: 64, format: 'v2', act: false, bias: false, acc: false, chunk: 600 * 132 },
  ];
  for (const c of configs) {
    const label = `K=${c.K} N=${c.N} group ${c.G} ${c.format}${c.act ? ' act-order' : ''}${c.bias ? ' bias' : ''}${c.acc ? ' accumulate' : ''}${c.chunk ? ' split rows' : ''}`;
    it(`matvec (M=1) and matmul (M=7, M=4) — ${label}`, async () => {
      const t = randomLayer(c.K, c.N, c.G, c.format, c.act, c.bias, c.K + c.N);
      const packed = repackGptq(t);
      const w = uploadGptq(ctx, packed, { maxChunkBytes: c.chunk });
      if (c.chunk) expect(w.chunks.length).toBeGreaterThan(1);
      for (const M of [1, 7, 4]) {
        const x = randomFloats(M * c.K, M + 100);
        const y0 = c.acc ? randomFloats(M * c.N, M + 200) : undefined;
        const y = upload(ctx, y0 ?? new Float32Array(M * c.N));
        const step = stepBuffer(ctx, { pos0: 0, m: M });
        if (M === 1) {
          const k = new GptqMatvecKernel(ctx, { accumulate: c.acc });
          const bound = k.bind(upload(ctx, x), w, y, step);
          await runPass(ctx, (p) => k.encode(p, bound, 1));
        } else {
          const k = new GptqMatmulKernel(ctx, { accumulate: c.acc });
          const bound = k.bind(upload(ctx, x), w, y, step, { maxM: 8 });
          await runPass(ctx, (p) => k.encode(p, bound, M));
        }
        const got = await readF32(ctx, y, M * c.N);
        expect(relErr(got, reference(t, x, y0)), `M=${M} vs original-layout dequant`).toBeLessThan(1e-5);
        expect(relErr(got, gptqLinearCpu(x, packed, y0)), `M=${M} vs CPU twin`).toBeLessThan(1e-6);
      }
    });
  }

  // Every matvec variant of this adapter (split-K R = 1, 2, 4, 8; subgroup and tree reductions; f16 arithmetic
  // where shader-f16 exists) on the same layers: f32 variants vs the CPU twin, the f16 one vs its own twin.
  for (const c of configs) {
    const label = `K=${c.K} N=${c.N} group ${c.G} ${c.format}${c.act ? ' act-order' : ''}${c.bias ? ' bias' : ''}${c.acc ? ' accumulate' : ''}${c.chunk ? ' split rows' : ''}`;
    it(`matvec variants — ${label}`, async () => {
      const t = randomLayer(c.K, c.N, c.G, c.format, c.act, c.bias, c.K + c.N + 1);
      const packed = repackGptq(t);
      const w = uploadGptq(ctx, packed, { maxChunkBytes: c.chunk });
      const x = randomFloats(c.K, 300);
      const y0 = c.acc ? randomFloats(c.N, 301) : undefined;
      const ref = reference(t, x, y0);
      const twin = gptqLinearCpu(x, packed, y0);
      const variants = gptqMatvecVariants(ctx, { f16Arithmetic: true }).filter((v) => v !== ROWS_PER_THREAD);
      expect(variants.length).toBeGreaterThanOrEqual(4);
      for (const v of variants) {
        const y = upload(ctx, y0 ?? new Float32Array(c.N));
        const k = new GptqMatvecKernel(ctx, { accumulate: c.acc, variant: v });
        const bound = k.bind(upload(ctx, x), w, y, stepBuffer(ctx, { pos0: 0, m: 1 }));
        expect(bound.variant).toBe(v.name);
        await runPass(ctx, (p) => k.encode(p, bound, 1));
        const got = await readF32(ctx, y, c.N);
        if (v.f16) {
          expect(relErr(got, gptqSplitKF16Cpu(x, packed, y0)), `${v.name} vs its f16 CPU twin`).toBeLessThan(2e-3);
          expect(relErr(got, ref), `${v.name} vs original-layout dequant`).toBeLessThan(1e-2);
        } else {
          expect(relErr(got, twin), `${v.name} vs CPU twin`).toBeLessThan(2e-6);
          expect(relErr(got, ref), `${v.name} vs original-layout dequant`).toBeLessThan(1e-5);
        }
      }
    });
  }

  it('split-K zeroes the quad padding of x after a wider layer used the same scratch (f32 and f16 arithmetic)', async () => {
    const wide = randomLayer(264, 16, 8 * 33, 'v2', false, false, 21); // one group of 264: rows padded to 288
    const narrow = randomLayer(200, 24, -1, 'v1', true, false, 22); // padded to 224: 200..223 held wide's x
    for (const v of gptqMatvecVariants(ctx, { f16Arithmetic: true }).filter((v) => v.kind === 'split-k')) {
      const k = new GptqMatvecKernel(ctx, { variant: v });
      const xw = randomFloats(264, 23, 50), xn = randomFloats(200, 24);
      const yw = upload(ctx, new Float32Array(16)), yn = upload(ctx, new Float32Array(24));
      const step = stepBuffer(ctx, { pos0: 0, m: 1 });
      const pn = repackGptq(narrow);
      const bw = k.bind(upload(ctx, xw), uploadGptq(ctx, repackGptq(wide)), yw, step);
      const bn = k.bind(upload(ctx, xn), uploadGptq(ctx, pn), yn, step);
      await runPass(ctx, (p) => { k.encode(p, bw, 1); k.encode(p, bn, 1); });
      const want = v.f16 ? gptqSplitKF16Cpu(xn, pn) : gptqLinearCpu(xn, pn);
      expect(relErr(await readF32(ctx, yn, 24), want), v.name).toBeLessThan(v.f16 ? 2e-3 : 2e-6);
    }
  });

  it('split-K falls back to rows-per-thread for groups that split a 32-position quad', async () => {
    const t = randomLayer(128, 16, 16, 'v2', false, true, 31);
    const packed = repackGptq(t);
    const x = randomFloats(128, 32);
    const y = upload(ctx, new Float32Array(16));
    const k = new GptqMatvecKernel(ctx, { variant: splitKVariant(4, 'tree') });
    const bound = k.bind(upload(ctx, x), uploadGptq(ctx, packed), y, stepBuffer(ctx, { pos0: 0, m: 1 }));
    expect(bound.variant).toBe('rows-per-thread');
    await runPass(ctx, (p) => k.encode(p, bound, 1));
    expect(relErr(await readF32(ctx, y, 16), gptqLinearCpu(x, packed))).toBeLessThan(1e-6);
  });

  for (const act of [false, true]) {
    it(`matvec reads the last row of x with xRow "last" (lm_head after a prefill)${act ? ', act-order' : ''}`, async () => {
      const t = randomLayer(64, 16, 32, 'v2', act, false, 5);
      const w = uploadGptq(ctx, repackGptq(t));
      expect(w.perm !== null).toBe(act);
      const M = 5;
      const x = randomFloats(M * 64, 9);
      const y = upload(ctx, new Float32Array(16));
      for (const variant of [ROWS_PER_THREAD, splitKVariant(2, 'tree')]) {
        const k = new GptqMatvecKernel(ctx, { xRow: 'last', variant });
        const bound = k.bind(upload(ctx, x), w, y, stepBuffer(ctx, { pos0: 0, m: M }));
        await runPass(ctx, (p) => k.encode(p, bound, 1));
        expect(relErr(await readF32(ctx, y, 16), reference(t, x.subarray(4 * 64))), variant.name).toBeLessThan(1e-5);
      }
    });
  }

  it('one kernel instance serves several act-order layers in one pass (shared x scratch)', async () => {
    const layers = [randomLayer(128, 24, 32, 'v1', true, true, 11), randomLayer(128, 16, 64, 'v2', true, false, 12)];
    const M = 6;
    const x = randomFloats(M * 128, 13);
    const gx = upload(ctx, x);
    const step = stepBuffer(ctx, { pos0: 0, m: M });
    const k = new GptqMatmulKernel(ctx);
    const ys = layers.map((l) => upload(ctx, new Float32Array(M * l.N)));
    const bounds = layers.map((l, i) => k.bind(gx, uploadGptq(ctx, repackGptq(l)), ys[i], step, { maxM: 8 }));
    await runPass(ctx, (p) => bounds.forEach((b) => k.encode(p, b, M)));
    for (let i = 0; i < layers.length; i++) {
      expect(relErr(await readF32(ctx, ys[i], M * layers[i].N), reference(layers[i], x))).toBeLessThan(1e-5);
    }
  });
});
