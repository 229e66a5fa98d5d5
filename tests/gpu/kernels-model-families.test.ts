// The kernels the Qwen architectures add, against their CPU twins: bias-add (Qwen2's dense q/k/v biases) and
// head-rmsnorm (Qwen3's q_norm / k_norm per head), on odd shapes, rows beyond Step.m left untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { biasAddCpu } from '../../src/gpu/cpu/bias-add';
import { headRmsNormCpu } from '../../src/gpu/cpu/head-rmsnorm';
import { BiasAddKernel } from '../../src/gpu/kernels/bias-add';
import { HeadRmsNormKernel } from '../../src/gpu/kernels/head-rmsnorm';
import { PATHS, randomFloats, readF32, relErr, runPass, stepBuffer, testGpu, upload } from './helpers';

describe.each(PATHS)('Qwen kernels ($name)', ({ preferF16 }) => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu({ preferF16 }); });
  afterAll(() => ctx?.device.destroy());

  it('bias-add: y[r, :] += bias for Step.m rows (N = 1, 37, 896); rows past m untouched', async () => {
    for (const [maxM, m, N] of [[4, 3, 37], [1, 1, 896], [5, 5, 1]]) {
      const y0 = randomFloats(maxM * N, N + m, 3), bias = randomFloats(N, 7);
      const y = upload(ctx, y0);
      const k = new BiasAddKernel(ctx);
      const bound = k.bind(y, upload(ctx, bias), stepBuffer(ctx, { pos0: 9, m }), { n: N, maxM });
      await runPass(ctx, (p) => k.encode(p, bound, m));
      const got = await readF32(ctx, y, maxM * N);
      const want = Float32Array.from(y0);
      want.set(biasAddCpu(y0.subarray(0, m * N), bias));
      expect(Array.from(got)).toEqual(Array.from(want)); // one f32 add per element: exact
    }
  });

  it('head-rmsnorm in place: per (row, head) over head_dim 128, 24 and 200, rows past m untouched', async () => {
    for (const [maxM, m, H, hd] of [[3, 2, 4, 128], [1, 1, 7, 24], [2, 2, 1, 200]]) {
      const x0 = randomFloats(maxM * H * hd, H * hd, 2), w = randomFloats(hd, 3);
      for (let i = 0; i < hd; i++) w[i] += 1;
      const x = upload(ctx, x0);
      const k = new HeadRmsNormKernel(ctx, { eps: 1e-6 });
      const bound = k.bind(x, upload(ctx, w), stepBuffer(ctx, { pos0: 0, m }), { headDim: hd, nHeads: H, maxM });
      await runPass(ctx, (p) => k.encode(p, bound, m));
      const got = await readF32(ctx, x, maxM * H * hd);
      const want = headRmsNormCpu(x0.subarray(0, m * H * hd), w, hd, 1e-6);
      expect(relErr(got.subarray(0, m * H * hd), want)).toBeLessThan(2e-6);
      expect(Array.from(got.subarray(m * H * hd))).toEqual(Array.from(x0.subarray(m * H * hd)));
    }
  });
});
