// Embedding, RMSNorm, RoPE, KV store, SiLU-mul, add and read-bandwidth against their CPU twins, both paths.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { uploadDense } from '../../src/gpu/dense-weight';
import { EmbeddingKernel } from '../../src/gpu/kernels/embedding';
import { RmsNormKernel } from '../../src/gpu/kernels/rmsnorm';
import { RopeKernel } from '../../src/gpu/kernels/rope';
import { createKvCache, KvStoreKernel } from '../../src/gpu/kernels/kv-store';
import { SiluMulKernel } from '../../src/gpu/kernels/silu-mul';
import { ReadBandwidthKernel } from '../../src/gpu/kernels/read-bandwidth';
import { embeddingCpu } from '../../src/gpu/cpu/embedding';
import { rmsNormCpu } from '../../src/gpu/cpu/rmsnorm';
import { ropeCpu, ropeInvFreq } from '../../src/gpu/cpu/rope';
import { kvStoreCpu } from '../../src/gpu/cpu/kv-store';
import { siluMulCpu } from '../../src/gpu/cpu/silu-mul';
import { readBandwidthCpu } from '../../src/gpu/cpu/read-bandwidth';
import { f16BitsArrayToF32, f32ArrayToF16Bits, f16BitsToF32 } from '../../src/shared/f16';
import { readBuffer } from '../../src/gpu/context';
import { PATHS, randomFloats, readF32, readU32, relErr, runPass, stepBuffer, testGpu, upload } from './helpers';

describe.each(PATHS)('elementwise kernels ($name)', ({ preferF16 }) => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu({ preferF16 }); });
  afterAll(() => ctx?.device.destroy());

  it('selects the requested precision path', () => {
    if (!preferF16) expect(ctx.f16).toBe(false);
  });

  for (const dtype of ['f32', 'f16'] as const) {
    it(`embedding from a ${dtype} table split into chunks`, async () => {
      const V = 37, D = 13, M = 7; // odd sizes: f16 rows straddle word boundaries
      let table = randomFloats(V * D, 11);
      if (dtype === 'f16') table = f16BitsArrayToF32(f32ArrayToF16Bits(table));
      const w = uploadDense(ctx, dtype === 'f16' ? { f16: f32ArrayToF16Bits(table) } : table, V, D, { maxChunkBytes: 5 * D * 4 });
      expect(w.chunks.length).toBeGreaterThan(3);
      const ids = new Uint32Array([0, 36, 5, 4, 5, 20, 9]);
      const out = upload(ctx, new Float32Array(M * D));
      const k = new EmbeddingKernel(ctx);
      const step = stepBuffer(ctx, { pos0: 3, m: M });
      const bound = k.bind(upload(ctx, ids), w, out, step, { maxM: M });
      await runPass(ctx, (p) => k.encode(p, bound, M));
      expect(Array.from(await readF32(ctx, out, M * D))).toEqual(Array.from(embeddingCpu(ids, table, D)));
    });
  }

  it('rmsnorm on odd shapes (M=7, D=203) and M=1, D=1000', async () => {
    for (const [M, D] of [[7, 203], [1, 1000]]) {
      const x = randomFloats(M * D, 3, 2), wt = randomFloats(D, 4);
      const y = upload(ctx, new Float32Array(M * D));
      const k = new RmsNormKernel(ctx, { eps: 1e-5 });
      const bound = k.bind(upload(ctx, x), upload(ctx, wt), y, stepBuffer(ctx, { pos0: 0, m: M }), { dim: D, maxM: M });
      await runPass(ctx, (p) => k.encode(p, bound, M));
      expect(relErr(await readF32(ctx, y, M * D), rmsNormCpu(x, wt, D, 1e-5))).toBeLessThan(2e-6);
    }
  });

  it('rope (rotate_half) for head sizes 8 and 64, positions up to 4000, llama3 scaling', async () => {
    for (const [M, H, hd, pos0] of [[7, 3, 8, 0], [2, 4, 64, 3990]]) {
      const x = randomFloats(M * H * hd, 5);
      const inv = ropeInvFreq(hd, 500000, hd === 64 ? { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 } : undefined);
      const gx = upload(ctx, x);
      const k = new RopeKernel(ctx);
      const bound = k.bind(gx, upload(ctx, inv), stepBuffer(ctx, { pos0, m: M }), { nHeads: H, headDim: hd, maxM: M });
      await runPass(ctx, (p) => k.encode(p, bound, M));
      const want = Float32Array.from(x);
      ropeCpu(want, inv, H, hd, pos0);
      const err = relErr(await readF32(ctx, gx, x.length), want);
      expect(err).toBeLessThan(1e-5);
    }
  });

  it('kv store appends rows at pos0 (f16 cache on the f16 path)', async () => {
    const kvDim = 24, maxSeq = 16, M = 7, pos0 = 5;
    const cache = createKvCache(ctx, 1, maxSeq, kvDim);
    expect(cache.f16).toBe(ctx.f16);
    const src = randomFloats(M * kvDim, 8);
    const k = new KvStoreKernel(ctx);
    const bound = k.bind(upload(ctx, src), cache.k[0], stepBuffer(ctx, { pos0, m: M }), { kvDim, maxSeq, maxM: M });
    await runPass(ctx, (p) => k.encode(p, bound, M));
    const want = new Float32Array(maxSeq * kvDim);
    kvStoreCpu(src, want, kvDim, maxSeq, pos0, cache.f16);
    let got: Float32Array;
    if (cache.f16) got = f16BitsArrayToF32(new Uint16Array(await readBuffer(ctx, cache.k[0], maxSeq * kvDim * 2)));
    else got = await readF32(ctx, cache.k[0], maxSeq * kvDim);
    expect(Array.from(got)).toEqual(Array.from(want));
    if (cache.f16) expect(got[pos0 * kvDim]).toBe(f16BitsToF32(f32ArrayToF16Bits([src[0]])[0]));
  });

  it('silu-mul, separate output and in place', async () => {
    const F = 301, M = 7;
    const g = randomFloats(M * F, 9, 8), u = randomFloats(M * F, 10);
    const want = siluMulCpu(g, u);
    const k = new SiluMulKernel(ctx);
    const step = stepBuffer(ctx, { pos0: 0, m: M });
    const gg = upload(ctx, g), gu = upload(ctx, u), go = upload(ctx, new Float32Array(M * F));
    const b1 = k.bind(gg, gu, go, step, { f: F, maxM: M });
    await runPass(ctx, (p) => k.encode(p, b1, M));
    expect(relErr(await readF32(ctx, go, M * F), want)).toBeLessThan(1e-6);
    const b2 = k.bind(gg, gu, gg, step, { f: F, maxM: M });
    await runPass(ctx, (p) => k.encode(p, b2, M));
    expect(relErr(await readF32(ctx, gg, M * F), want)).toBeLessThan(1e-6);
  });

  it('read-bandwidth partial sums add up to the CPU sum (grid-stride and contiguous, several workgroup sizes)', async () => {
    const words = new Uint32Array((1 << 16) + 4 * 37); // not a multiple of any run or workgroup
    let s = 12345;
    for (let i = 0; i < words.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; words[i] = s; }
    const src = upload(ctx, words);
    const patterns = [
      { kind: 'grid-stride', workgroupSize: 256, workgroups: 7 },
      { kind: 'grid-stride', workgroupSize: 64, workgroups: 1000 },
      { kind: 'contiguous', workgroupSize: 64, run: 5 },
      { kind: 'contiguous', workgroupSize: 256, run: 64 },
    ] as const;
    for (const pattern of patterns) {
      const k = new ReadBandwidthKernel(ctx, pattern);
      const bound = k.bind(src, words.byteLength);
      await runPass(ctx, (p) => k.encode(p, bound));
      const parts = await readU32(ctx, bound.partials, bound.workgroups);
      expect(parts.reduce((a, b) => (a + b) >>> 0, 0), JSON.stringify(pattern)).toBe(readBandwidthCpu(words));
    }
  });
});
