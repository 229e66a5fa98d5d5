// The fused kernels of the forward (fewer dispatches per token) against their CPU twins, both precision paths:
// RoPE + KV store (+ Qwen3 per-head q/k norm) from a fused q/k/v output or from three buffers; the GPTQ input
// preparation with RMSNorm or SwiGLU folded in (gptq-prepare-norm, gptq-prepare-x glu), feeding every matvec
// variant and the matmul; stacked layers (concatPackedGptq) as one linear.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { readBuffer } from '../../src/gpu/context';
import { ropeInvFreq } from '../../src/gpu/cpu/rope';
import { ropeKvStoreCpu } from '../../src/gpu/cpu/rope-kv-store';
import { createKvCache } from '../../src/gpu/kernels/kv-store';
import { RopeKvStoreKernel } from '../../src/gpu/kernels/rope-kv-store';
import { f16BitsArrayToF32, f32ToF16Bits } from '../../src/shared/f16';
import { concatPackedGptq, uploadGptq, type PackedGptq } from '../../src/gpu/gptq-repack';
import { gptqLinearCpu } from '../../src/gpu/cpu/gptq-linear';
import { gptqPrepareCpu } from '../../src/gpu/cpu/gptq-prepare';
import { rmsNormCpu } from '../../src/gpu/cpu/rmsnorm';
import { siluMulCpu } from '../../src/gpu/cpu/silu-mul';
import { GptqMatmulKernel, GptqMatvecKernel, gptqMatvecVariants } from '../../src/gpu/kernels/gptq-linear';
import { GptqPrepareKernel } from '../../src/gpu/kernels/gptq-prepare';
import { maxAbsDiff, PATHS, randomFloats, readF32, relErr, runPass, stepBuffer, testGpu, upload } from './helpers';

/** A random repacked layer: random nibbles, scales 0.002..0.022, zeros 1..15, optional act-order and bias. */
function randomPacked(K: number, N: number, groupSize: number, actOrder: boolean, seed: number, bias = false): PackedGptq {
  let st = (seed * 2654435761) >>> 0 || 1;
  const r = () => { st ^= st << 13; st >>>= 0; st ^= st >>> 17; st ^= st << 5; st >>>= 0; return st; };
  const nGroups = Math.ceil(K / groupSize);
  const words = new Uint32Array((N * K) / 8).map(() => r());
  const sz = new Uint32Array(N * nGroups).map(() => f32ToF16Bits(0.002 + (r() / 2 ** 32) * 0.02) | ((1 + (r() % 15)) << 16));
  let perm: Uint32Array | null = null;
  if (actOrder) {
    perm = Uint32Array.from({ length: K }, (_, i) => i);
    for (let i = K - 1; i > 0; i--) { const j = r() % (i + 1); [perm[i], perm[j]] = [perm[j], perm[i]]; }
  }
  return { K, N, groupSize, nGroups, words, sz, perm, bias: bias ? randomFloats(N, seed + 9) : null };
}

async function readCache(ctx: GpuContext, buf: GPUBuffer, n: number, f16: boolean): Promise<Float32Array> {
  return f16 ? f16BitsArrayToF32(new Uint16Array(await readBuffer(ctx, buf, n * 2))) : readF32(ctx, buf, n);
}

describe.each(PATHS)('fused kernels ($name)', ({ preferF16 }) => {
  let ctx: GpuContext;
  beforeAll(async () => { ctx = await testGpu({ preferF16 }); });
  afterAll(() => ctx?.device.destroy());

  // [M, nHeads, nKv, headDim, pos0, maxSeq, fused q/k/v buffer?, q/k norm?]
  const cases: [number, number, number, number, number, number, boolean, boolean][] = [
    [5, 4, 2, 64, 3990, 4000, true, false], // positions 3990..3994, one fused [M, q | k | v] buffer
    [3, 3, 1, 200, 10, 12, false, true], // head_dim 200 (> 64 threads), Qwen3 norm, rows at 12 dropped from the cache
    [4, 6, 3, 24, 0, 8, true, true],
  ];
  for (const [M, H, KV, hd, pos0, maxSeq, fused, norm] of cases) {
    it(`rope + kv store: M=${M} heads ${H}/${KV} head_dim ${hd} pos0 ${pos0}${fused ? ', fused q/k/v' : ''}${norm ? ', q/k norm' : ''}`, async () => {
      const qDim = H * hd, kvDim = KV * hd, N = qDim + 2 * kvDim;
      const inv = ropeInvFreq(hd, 500000, { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
      const q = randomFloats(M * qDim, 1, 3), k = randomFloats(M * kvDim, 2, 3), v = randomFloats(M * kvDim, 3);
      const qn = randomFloats(hd, 4), kn = randomFloats(hd, 5);
      let src;
      if (fused) {
        const all = new Float32Array(M * N);
        for (let i = 0; i < M; i++) {
          all.set(q.subarray(i * qDim, (i + 1) * qDim), i * N);
          all.set(k.subarray(i * kvDim, (i + 1) * kvDim), i * N + qDim);
          all.set(v.subarray(i * kvDim, (i + 1) * kvDim), i * N + qDim + kvDim);
        }
        const b = upload(ctx, all);
        src = { q: { buffer: b, offset: 0, stride: N }, k: { buffer: b, offset: qDim, stride: N }, v: { buffer: b, offset: qDim + kvDim, stride: N } };
      } else {
        src = { q: { buffer: upload(ctx, q), offset: 0, stride: qDim }, k: { buffer: upload(ctx, k), offset: 0, stride: kvDim }, v: { buffer: upload(ctx, v), offset: 0, stride: kvDim } };
      }
      const cache = createKvCache(ctx, 1, maxSeq, kvDim);
      const qOut = upload(ctx, new Float32Array(M * qDim));
      const kernel = new RopeKvStoreKernel(ctx, { eps: 1e-6 });
      const enc = ctx.device.createCommandEncoder();
      const aux = RopeKvStoreKernel.aux(ctx, inv, hd, norm ? { q: upload(ctx, qn), k: upload(ctx, kn) } : null, enc);
      ctx.device.queue.submit([enc.finish()]);
      const bound = kernel.bind(src, aux, qOut, cache.k[0], cache.v[0], stepBuffer(ctx, { pos0, m: M }), { nHeads: H, nKv: KV, headDim: hd, maxSeq, maxM: M }, norm);
      await runPass(ctx, (p) => kernel.encode(p, bound, M));

      const wantK = new Float32Array(maxSeq * kvDim), wantV = new Float32Array(maxSeq * kvDim);
      const wantQ = ropeKvStoreCpu(q, k, v, inv, { nHeads: H, nKv: KV, headDim: hd, maxSeq }, pos0, wantK, wantV, cache.f16, norm ? { q: qn, k: kn, eps: 1e-6 } : undefined);
      expect(relErr(await readF32(ctx, qOut, M * qDim), wantQ)).toBeLessThan(2e-6);
      const gotK = await readCache(ctx, cache.k[0], maxSeq * kvDim, cache.f16);
      const gotV = await readCache(ctx, cache.v[0], maxSeq * kvDim, cache.f16);
      // The f16 cache: the f32 values agree to ~1e-6, so at most one f16 rounding step apart.
      expect(relErr(gotK, wantK)).toBeLessThan(cache.f16 ? 1e-3 : 2e-6);
      expect(Array.from(gotV)).toEqual(Array.from(wantV)); // a copy: exact
      // Positions outside pos0 .. min(pos0 + M, maxSeq) stay zero.
      for (let p = 0; p < maxSeq; p++) {
        if (p >= pos0 && p < pos0 + M) continue;
        expect(maxAbsDiff(gotK.subarray(p * kvDim, (p + 1) * kvDim), new Float32Array(kvDim))).toBe(0);
      }
    });
  }

  // [K, group size, act-order]: 66 groups (more than the 64 threads of the norm kernel) with a permutation; one
  // group with K not a multiple of 32 (the one-row modes zero the padding the split-K variants read).
  const layers: [number, number, boolean][] = [[2112, 32, true], [200, 200, false]];
  for (const [K, G, actOrder] of layers) {
    it(`rmsnorm and silu·up folded into the GPTQ input preparation: K=${K} g${G}${actOrder ? ' act-order' : ''}, every matvec variant and the matmul`, async () => {
      const M = 5, N = 72, eps = 1e-5;
      const w = randomPacked(K, N, G, actOrder, K);
      const gw = uploadGptq(ctx, w);
      const x = randomFloats(M * K, 7, 4), normW = randomFloats(K, 8, 1.5);
      const gateUp = randomFloats(M * 2 * K, 9, 3);
      const glu = new Float32Array(M * K);
      for (let i = 0; i < M; i++) glu.set(siluMulCpu(gateUp.subarray(i * 2 * K, i * 2 * K + K), gateUp.subarray(i * 2 * K + K, (i + 1) * 2 * K)), i * K);
      const inputs = { norm: { gpu: upload(ctx, x), cpu: rmsNormCpu(x, normW, K, eps) }, glu: { gpu: upload(ctx, gateUp), cpu: glu } };
      const step = stepBuffer(ctx, { pos0: 0, m: M });
      const prep = new GptqPrepareKernel(ctx, { eps });
      const nw = upload(ctx, normW);
      for (const kind of ['norm', 'glu'] as const) {
        const { gpu, cpu } = inputs[kind];
        const bindPrep = (target: Parameters<GptqPrepareKernel['bindNorm']>[3], maxM: number) =>
          kind === 'norm' ? prep.bindNorm(gpu, nw, gw, target, step, maxM) : prep.bindGlu(gpu, gw, target, step, maxM);
        // Matmul over all M rows.
        const y = upload(ctx, new Float32Array(M * N));
        const mm = new GptqMatmulKernel(ctx);
        const bm = mm.bind(gpu, gw, y, step, { maxM: M });
        const pm = bindPrep(bm, M);
        expect(bm.externalPrepare).toBe(true);
        await runPass(ctx, (p) => { prep.encode(p, pm, M); mm.encode(p, bm, M); });
        const { xs, gsum } = gptqPrepareCpu(cpu, w);
        expect(relErr(await readF32(ctx, bm.scratch.xs, M * K), xs)).toBeLessThan(1e-6);
        expect(relErr(await readF32(ctx, bm.scratch.gsum, M * w.nGroups), gsum)).toBeLessThan(1e-6);
        expect(relErr(await readF32(ctx, y, M * N), gptqLinearCpu(cpu, w))).toBeLessThan(2e-5);
        // Matvec (row 0) with every variant; the scratch is first filled with garbage past K.
        const want = gptqLinearCpu(cpu.subarray(0, K), w);
        for (const v of gptqMatvecVariants(ctx)) {
          const mv = new GptqMatvecKernel(ctx, { variant: v });
          const y1 = upload(ctx, new Float32Array(N));
          const b = mv.bind(gpu, gw, y1, step);
          ctx.device.queue.writeBuffer(b.scratch.xs, 0, new Float32Array(b.scratch.xs.size / 4).fill(1e4));
          const pv = bindPrep(b, 1);
          await runPass(ctx, (p) => { prep.encode(p, pv, M); mv.encode(p, b, 1); });
          expect({ kind, variant: v.name, err: relErr(await readF32(ctx, y1, N), want) < 2e-5 }).toEqual({ kind, variant: v.name, err: true });
        }
      }
    });
  }

  it('stacked layers (q | k | v) run as one linear: rows in order, biases (zeros where a part has none); mismatched act-order is not stacked', async () => {
    const K = 256, M = 3;
    const parts = [randomPacked(K, 64, 64, true, 1, true), randomPacked(K, 16, 64, true, 2), randomPacked(K, 16, 64, true, 3, true)];
    parts[1].perm = parts[0].perm; parts[2].perm = parts[0].perm;
    const all = concatPackedGptq(parts)!;
    expect(all.N).toBe(96);
    const x = randomFloats(M * K, 4);
    const y = upload(ctx, new Float32Array(M * all.N));
    const mm = new GptqMatmulKernel(ctx);
    const b = mm.bind(upload(ctx, x), uploadGptq(ctx, all), y, stepBuffer(ctx, { pos0: 0, m: M }), { maxM: M });
    await runPass(ctx, (p) => mm.encode(p, b, M));
    const got = await readF32(ctx, y, M * all.N);
    let off = 0;
    for (const part of parts) {
      const want = gptqLinearCpu(x, part);
      for (let i = 0; i < M; i++) expect(relErr(got.subarray(i * all.N + off, i * all.N + off + part.N), want.subarray(i * part.N, (i + 1) * part.N))).toBeLessThan(2e-5);
      off += part.N;
    }
    expect(concatPackedGptq([parts[0], randomPacked(K, 16, 64, true, 5)])).toBeNull(); // another permutation
    expect(concatPackedGptq([parts[0], randomPacked(K, 16, 32, true, 6)])).toBeNull(); // another group size
  });
});
