// Sliding-window attention (Mistral sliding_window) against its CPU twin, both paths: decode far past the
// window (most split-K chunks empty), a prefill batch whose rows cross the window edge, a window wider than the
// context (= plain causal attention), and a window of 1 (each row sees only itself).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { attentionCpu } from '../../src/gpu/cpu/attention';
import { attentionWindowCpu } from '../../src/gpu/cpu/attention-window';
import { SlidingWindowAttentionKernel, slidingWindowShader } from '../../src/gpu/kernels/attention-window';
import { createKvCache } from '../../src/gpu/kernels/kv-store';
import { f16BitsArrayToF32, f32ArrayToF16Bits } from '../../src/shared/f16';
import { PATHS, randomFloats, readF32, relErr, runPass, stepBuffer, testGpu, upload } from './helpers';

describe.each(PATHS)('sliding-window attention ($name)', ({ preferF16 }) => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu({ preferF16 }); });
  afterAll(() => ctx?.device.destroy());

  const cases = [
    { name: 'decode at position 300, window 16, headDim 64, GQA 4/2', nHeads: 4, nKv: 2, headDim: 64, maxSeq: 320, M: 1, pos0: 300, window: 16 },
    { name: 'prefill M=9 from pos0 4 across a window of 8, headDim 8', nHeads: 2, nKv: 1, headDim: 8, maxSeq: 32, M: 9, pos0: 4, window: 8 },
    { name: 'window wider than the context: plain causal attention', nHeads: 4, nKv: 4, headDim: 16, maxSeq: 64, M: 5, pos0: 20, window: 4096 },
    { name: 'window 1: each row attends only to itself', nHeads: 2, nKv: 2, headDim: 32, maxSeq: 64, M: 4, pos0: 30, window: 1 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { nHeads, nKv, headDim, maxSeq, M, pos0, window } = c;
      const kvDim = nKv * headDim;
      const kv = createKvCache(ctx, 1, maxSeq, kvDim);
      let kc = randomFloats(maxSeq * kvDim, 31), vc = randomFloats(maxSeq * kvDim, 32);
      if (kv.f16) {
        const kb = f32ArrayToF16Bits(kc), vb = f32ArrayToF16Bits(vc);
        ctx.device.queue.writeBuffer(kv.k[0], 0, kb);
        ctx.device.queue.writeBuffer(kv.v[0], 0, vb);
        kc = f16BitsArrayToF32(kb);
        vc = f16BitsArrayToF32(vb);
      } else {
        ctx.device.queue.writeBuffer(kv.k[0], 0, kc);
        ctx.device.queue.writeBuffer(kv.v[0], 0, vc);
      }
      const q = randomFloats(M * nHeads * headDim, 33, 2);
      const out = upload(ctx, new Float32Array(M * nHeads * headDim));
      const k = new SlidingWindowAttentionKernel(ctx, window);
      const bound = k.bind(upload(ctx, q), kv.k[0], kv.v[0], out, stepBuffer(ctx, { pos0, m: M }), { nHeads, nKv, headDim, maxSeq, maxM: M });
      await runPass(ctx, (p) => k.encode(p, bound, M));
      const got = await readF32(ctx, out, M * nHeads * headDim);
      const want = attentionWindowCpu(q, kc, vc, { nHeads, nKv, headDim, pos0, window });
      expect(relErr(got, want)).toBeLessThan(1e-5);
      const full = attentionCpu(q, kc, vc, { nHeads, nKv, headDim, pos0 });
      if (window >= pos0 + M) expect(relErr(got, full)).toBeLessThan(1e-5);
      else expect(relErr(got, full)).toBeGreaterThan(1e-3); // the window really changed the result
      if (window === 1) expect(relErr(got, Float32Array.from(vc.subarray(pos0 * kvDim, (pos0 + M) * kvDim)))).toBeLessThan(1e-6); // MHA: out row = own v
    });
  }

  it('refuses a shader without the line it patches', () => {
    expect(() => slidingWindowShader('fn main() {}')).toThrow(/chunk-start\/end lines/);
  });
});
