// Split-K causal GQA attention against the plain CPU softmax attention, both paths (f16 / f32 KV cache).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { AttentionKernel, attentionChunks } from '../../src/gpu/kernels/attention';
import { createKvCache } from '../../src/gpu/kernels/kv-store';
import { attentionCpu } from '../../src/gpu/cpu/attention';
import { f16BitsArrayToF32, f32ArrayToF16Bits } from '../../src/shared/f16';
import { PATHS, randomFloats, readF32, relErr, runPass, stepBuffer, testGpu, upload } from './helpers';

describe.each(PATHS)('attention ($name)', ({ preferF16 }) => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu({ preferF16 }); });
  afterAll(() => ctx?.device.destroy());

  const cases: { name: string; nHeads: number; nKv: number; headDim: number; maxSeq: number; M: number; pos0: number; nChunks?: number; maxM?: number; scale?: number }[] = [
    { name: 'prefill from 0, M=7, headDim 8 (stories260K), GQA 4/2', nHeads: 4, nKv: 2, headDim: 8, maxSeq: 32, M: 7, pos0: 0 },
    { name: 'prefill continuing at pos0=290, M=7, headDim 64, MHA', nHeads: 2, nKv: 2, headDim: 64, maxSeq: 512, M: 7, pos0: 290 },
    { name: 'decode M=1 at kv_len 2100, headDim 128, GQA 8/2', nHeads: 8, nKv: 2, headDim: 128, maxSeq: 2112, M: 1, pos0: 2099 },
    { name: 'decode M=1, one chunk (no split)', nHeads: 4, nKv: 1, headDim: 16, maxSeq: 100, M: 1, pos0: 60, nChunks: 1 },
    { name: 'decode M=1 on a binding made for a 512-token prefill: finer split than the prefill', nHeads: 32, nKv: 8, headDim: 128, maxSeq: 300, M: 1, pos0: 250, maxM: 512 },
    // YaRN factor 4: cos/sin × (0.1·ln 4 + 1) on q and k, folded into the logit scale as its square.
    { name: 'prefill with a YaRN logit scale (1.1386² / √32), GQA 4/1', nHeads: 4, nKv: 1, headDim: 32, maxSeq: 64, M: 5, pos0: 20, scale: (0.1 * Math.log(4) + 1) ** 2 / Math.sqrt(32) },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { nHeads, nKv, headDim, maxSeq, M, pos0 } = c;
      const maxM = c.maxM ?? M;
      const kvDim = nKv * headDim;
      const kv = createKvCache(ctx, 1, maxSeq, kvDim);
      let kc = randomFloats(maxSeq * kvDim, 21), vc = randomFloats(maxSeq * kvDim, 22);
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
      const q = randomFloats(M * nHeads * headDim, 23, 2);
      const out = upload(ctx, new Float32Array(M * nHeads * headDim));
      const k = new AttentionKernel(ctx);
      const bound = k.bind(upload(ctx, q), kv.k[0], kv.v[0], out, stepBuffer(ctx, { pos0, m: M }), { nHeads, nKv, headDim, maxSeq, maxM, nChunks: c.nChunks, scale: c.scale });
      if (!c.nChunks) expect(attentionChunks(bound, M)).toBeGreaterThan(1);
      if (c.maxM) expect(attentionChunks(bound, M)).toBeGreaterThan(attentionChunks(bound, c.maxM));
      await runPass(ctx, (p) => k.encode(p, bound, M));
      const want = attentionCpu(q, kc, vc, { nHeads, nKv, headDim, pos0, scale: c.scale });
      const got = await readF32(ctx, out, want.length);
      expect(relErr(got, want)).toBeLessThan(1e-5);
      // The scale is not the default's: the default's output differs by far more than the tolerance.
      if (c.scale) expect(relErr(got, attentionCpu(q, kc, vc, { nHeads, nKv, headDim, pos0 }))).toBeGreaterThan(1e-3);
    });
  }
});
