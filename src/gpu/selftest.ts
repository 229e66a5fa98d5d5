// Runs every kernel once on tiny random shapes against its CPU twin (f32 path, as in browsers without
// shader-f16); returns the error per kernel. Used by selftest.html, tests/gpu/selftest.test.ts and e2e.
import { acquireGpu, readBuffer, uploadBuffer, type GpuContext } from './context';
import { createStepBuffer, writeStep } from './step';
import { uploadDense } from './dense-weight';
import { repackGptq, uploadGptq, gptqDequantCpu, type GptqSource } from './gptq-repack';
import { AddKernel } from './kernels/add';
import { EmbeddingKernel } from './kernels/embedding';
import { RmsNormKernel } from './kernels/rmsnorm';
import { RopeKernel } from './kernels/rope';
import { createKvCache, KvStoreKernel } from './kernels/kv-store';
import { AttentionKernel } from './kernels/attention';
import { GptqMatmulKernel, GptqMatvecKernel, gptqMatvecVariants } from './kernels/gptq-linear';
import { DenseMatmulKernel, DenseMatvecKernel, denseMatvecVariants } from './kernels/dense-linear';
import { DEFAULT_MATMUL_TILE, GPTQ_MATMUL_TILES, tileSupports } from './kernels/gptq-matmul-tiles';
import { SiluMulKernel } from './kernels/silu-mul';
import { SampleKernel } from './kernels/sample';
import { ReadBandwidthKernel } from './kernels/read-bandwidth';
import { addCpu } from './cpu/add';
import { embeddingCpu } from './cpu/embedding';
import { rmsNormCpu } from './cpu/rmsnorm';
import { ropeCpu, ropeInvFreq } from './cpu/rope';
import { kvStoreCpu } from './cpu/kv-store';
import { attentionCpu } from './cpu/attention';
import { denseLinearCpu } from './cpu/dense-linear';
import { siluMulCpu } from './cpu/silu-mul';
import { sampleCpu } from './cpu/sample';
import { readBandwidthCpu } from './cpu/read-bandwidth';
import { f16BitsToF32, f32ToF16Bits } from '../shared/f16';

export interface SelfTestResult {
  adapter: string;
  f16: boolean;
  /** maxAbsError is relative to the largest reference magnitude for the float kernels; 0/1 for id kernels. */
  kernels: { name: string; maxAbsError: number; ok: boolean }[];
}

function random(n: number, seed: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

function randomWords(n: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s ^ (s >>> 13);
  }
  return out;
}

function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let mx = 0, err = 0;
  for (let i = 0; i < want.length; i++) {
    mx = Math.max(mx, Math.abs(want[i]));
    const d = Math.abs(got[i] - want[i]);
    err = Number.isNaN(d) ? Infinity : Math.max(err, d);
  }
  return err / (mx || 1);
}

async function run(ctx: GpuContext, fn: (pass: GPUComputePassEncoder) => void): Promise<void> {
  const enc = ctx.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  fn(pass);
  pass.end();
  ctx.device.queue.submit([enc.finish()]);
}

async function readF32(ctx: GpuContext, b: GPUBuffer, n: number): Promise<Float32Array> {
  return new Float32Array(await readBuffer(ctx, b, n * 4));
}

export async function runSelfTest(gpu: GPU | undefined): Promise<SelfTestResult> {
  const ctx = await acquireGpu(gpu, { preferF16: false });
  const kernels: SelfTestResult['kernels'] = [];
  const TOL = 1e-4;
  const record = (name: string, err: number, tol = TOL) => kernels.push({ name, maxAbsError: err, ok: err <= tol });
  const up = (d: ArrayBufferView) => uploadBuffer(ctx, d);
  const M = 3, D = 16, H = 2, KV = 1, HD = 8, F = 24, V = 40, MAXSEQ = 8;
  const step = createStepBuffer(ctx);
  writeStep(ctx, step, { pos0: 2, m: M, seed: 7, sampleStep: 1 });
  try {
    {
      const n = 1000;
      const a = random(n, 1), b = random(n, 2);
      const ga = up(a), gb = up(b);
      const k = new AddKernel(ctx);
      const bound = k.bind(ga, gb, n);
      await run(ctx, (p) => k.encode(p, bound));
      const got = await readF32(ctx, ga, n);
      addCpu(a, b);
      record('add', relError(got, a), 1e-6);
    }
    {
      const table = random(V * D, 3);
      const ids = new Uint32Array([4, 39, 0]);
      const out = up(new Float32Array(M * D));
      const k = new EmbeddingKernel(ctx);
      const bound = k.bind(up(ids), uploadDense(ctx, table, V, D, { maxChunkBytes: 16 * D * 4 }), out, step, { maxM: M });
      await run(ctx, (p) => k.encode(p, bound, M));
      record('embedding', relError(await readF32(ctx, out, M * D), embeddingCpu(ids, table, D)), 0);
    }
    const x = random(M * D, 4);
    {
      const w = random(D, 5);
      const y = up(new Float32Array(M * D));
      const k = new RmsNormKernel(ctx, { eps: 1e-5 });
      const bound = k.bind(up(x), up(w), y, step, { dim: D, maxM: M });
      await run(ctx, (p) => k.encode(p, bound, M));
      record('rmsnorm', relError(await readF32(ctx, y, M * D), rmsNormCpu(x, w, D, 1e-5)));
    }
    {
      const q = random(M * H * HD, 6);
      const inv = ropeInvFreq(HD, 10000);
      const gq = up(q);
      const k = new RopeKernel(ctx);
      const bound = k.bind(gq, up(inv), step, { nHeads: H, headDim: HD, maxM: M });
      await run(ctx, (p) => k.encode(p, bound, M));
      const want = Float32Array.from(q);
      ropeCpu(want, inv, H, HD, 2);
      record('rope', relError(await readF32(ctx, gq, q.length), want));
    }
    {
      const kvDim = KV * HD;
      const cache = createKvCache(ctx, 1, MAXSEQ, kvDim);
      const kc = random(MAXSEQ * kvDim, 7), vc = random(MAXSEQ * kvDim, 8);
      const src = random(M * kvDim, 9);
      ctx.device.queue.writeBuffer(cache.k[0], 0, kc);
      ctx.device.queue.writeBuffer(cache.v[0], 0, vc);
      const store = new KvStoreKernel(ctx);
      const sb = store.bind(up(src), cache.k[0], step, { kvDim, maxSeq: MAXSEQ, maxM: M });
      await run(ctx, (p) => store.encode(p, sb, M));
      kvStoreCpu(src, kc, kvDim, MAXSEQ, 2, false);
      record('kv-store', relError(await readF32(ctx, cache.k[0], MAXSEQ * kvDim), kc), 0);
      const q = random(M * H * HD, 10);
      const out = up(new Float32Array(M * H * HD));
      const att = new AttentionKernel(ctx);
      const ab = att.bind(up(q), cache.k[0], cache.v[0], out, step, { nHeads: H, nKv: KV, headDim: HD, maxSeq: MAXSEQ, maxM: M, nChunks: 2 });
      await run(ctx, (p) => att.encode(p, ab, M));
      record('attention', relError(await readF32(ctx, out, M * H * HD), attentionCpu(q, kc, vc, { nHeads: H, nKv: KV, headDim: HD, pos0: 2 })));
    }
    {
      const K = 64, N = 16, G = 32, nG = 2;
      const gIdx = new Int32Array(K);
      for (let k = 0; k < K; k++) gIdx[k] = (k * 5) % 2; // act-order: alternating groups
      const src: GptqSource = {
        qweight: randomWords((K / 8) * N, 11),
        qzeros: randomWords(nG * (N / 8), 12),
        scales: Uint16Array.from(random(nG * N, 13), (v) => f32ToF16Bits(0.01 + Math.abs(v) * 0.02)),
        gIdx, bias: random(N, 14), K, N, groupSize: G, format: 'v1',
      };
      const w = uploadGptq(ctx, repackGptq(src));
      const W = gptqDequantCpu(src);
      const xs = random(M * K, 15);
      const want = denseLinearCpu(xs, W, K, N);
      for (let i = 0; i < want.length; i++) want[i] += src.bias![i % N];
      const y1 = up(new Float32Array(N));
      const mv = new GptqMatvecKernel(ctx);
      const b1 = mv.bind(up(xs), w, y1, step);
      await run(ctx, (p) => mv.encode(p, b1));
      record('gptq-matvec', relError(await readF32(ctx, y1, N), want.subarray(0, N)));
      for (const v of gptqMatvecVariants(ctx).filter((x) => x.kind === 'split-k')) { // the autotuner's candidates
        const yv = up(new Float32Array(N));
        const kv = new GptqMatvecKernel(ctx, { variant: v });
        const bv = kv.bind(up(xs), w, yv, step);
        await run(ctx, (p) => kv.encode(p, bv));
        record(`gptq-matvec ${v.name}`, relError(await readF32(ctx, yv, N), want.subarray(0, N)));
      }
      const y2 = up(new Float32Array(M * N));
      const mm = new GptqMatmulKernel(ctx);
      const b2 = mm.bind(up(xs), w, y2, step, { maxM: M });
      await run(ctx, (p) => mm.encode(p, b2, M));
      record('gptq-matmul', relError(await readF32(ctx, y2, M * N), want));
      for (const tile of GPTQ_MATMUL_TILES.filter((t) => t !== DEFAULT_MATMUL_TILE && tileSupports(t, w))) { // the autotuner's candidates
        const yt = up(new Float32Array(M * N));
        const kt = new GptqMatmulKernel(ctx, { tile });
        const bt = kt.bind(up(xs), w, yt, step, { maxM: M });
        await run(ctx, (p) => kt.encode(p, bt, M));
        record(`gptq-matmul ${tile.name}`, relError(await readF32(ctx, yt, M * N), want));
      }
    }
    {
      const K = D, N = 20;
      const W = random(N * K, 16);
      const w = uploadDense(ctx, { f16: Uint16Array.from(W, f32ToF16Bits) }, N, K, { maxChunkBytes: 8 * K * 2 });
      const Wr = W.map((v) => f16BitsToF32(f32ToF16Bits(v)));
      const want = denseLinearCpu(x, Wr, K, N);
      const y1 = up(new Float32Array(N));
      const mv = new DenseMatvecKernel(ctx);
      const b1 = mv.bind(up(x), w, y1, step);
      await run(ctx, (p) => mv.encode(p, b1));
      record('dense-matvec', relError(await readF32(ctx, y1, N), want.subarray(0, N)));
      for (const v of denseMatvecVariants(ctx).filter((d) => d.kind !== 'one-row-per-thread' && d.supports(ctx, w))) { // the autotuner's candidates
        const yv = up(new Float32Array(N));
        const kv = new DenseMatvecKernel(ctx, { variant: v });
        const bv = kv.bind(up(x), w, yv, step);
        await run(ctx, (p) => kv.encode(p, bv));
        record(`dense-matvec ${v.name}`, relError(await readF32(ctx, yv, N), want.subarray(0, N)));
      }
      const y2 = up(new Float32Array(M * N));
      const mm = new DenseMatmulKernel(ctx);
      const b2 = mm.bind(up(x), w, y2, step, { maxM: M });
      await run(ctx, (p) => mm.encode(p, b2, M));
      record('dense-matmul', relError(await readF32(ctx, y2, M * N), want));
    }
    {
      const g = random(M * F, 17), u = random(M * F, 18);
      const out = up(new Float32Array(M * F));
      const k = new SiluMulKernel(ctx);
      const bound = k.bind(up(g), up(u), out, step, { f: F, maxM: M });
      await run(ctx, (p) => k.encode(p, bound, M));
      record('silu-mul', relError(await readF32(ctx, out, M * F), siluMulCpu(g, u)));
    }
    {
      const logits = random(V, 19).map((v) => v * 8);
      const history = new Uint32Array(MAXSEQ);
      history.set([3, 9, 3, 20, 1]);
      const out = up(new Uint32Array(4));
      const opts = { temperature: 0.8, topK: 10, topP: 0.9, repetitionPenalty: 1.2 };
      const k = new SampleKernel(ctx);
      const bound = k.bind(up(logits), up(history), out, step, { vocab: V, maxSeq: MAXSEQ }, opts);
      await run(ctx, (p) => k.encode(p, bound));
      const got = new Uint32Array(await readBuffer(ctx, out, 4))[0];
      record('sample', got === sampleCpu(logits, history, 5, opts, 7, 1) ? 0 : 1, 0);
    }
    {
      const words = new Uint32Array(randomWords(4096, 20).buffer);
      const k = new ReadBandwidthKernel(ctx);
      const bound = k.bind(up(words), words.byteLength, { workgroups: 4 });
      await run(ctx, (p) => k.encode(p, bound));
      const parts = new Uint32Array(await readBuffer(ctx, bound.partials, bound.workgroups * 4));
      record('read-bandwidth', parts.reduce((a, b) => (a + b) >>> 0, 0) === readBandwidthCpu(words) ? 0 : 1, 0);
    }
  } finally {
    ctx.device.destroy();
  }
  return { adapter: ctx.adapterName, f16: ctx.f16, kernels };
}
