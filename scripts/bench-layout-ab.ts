// A/B of issue 8's changes on this adapter, in ONE process, interleaved (A, B, A, B, …), best of each:
//   1. the read roofline: the old probe (grid-stride, 256 workgroups of 256, 4 passes per submit, wall clock,
//      zero-filled buffer) vs measureRoofline (best of grid-stride and contiguous patterns, non-zero data);
//   2. the GPTQ matvec and prefill matmul on the old row-interleaved [K/8, rows] layout (shaders as of commit
//      6010b29, read with `git show`) vs the row-major padded layout of this work (rows-per-thread, tiled matmul).
//      The matmul side compares the layouts only: both run the tm4 rt8 wg64 tile (the old shader's geometry; on
//      the new layout the generated tile of that shape), not today's default tile (scripts/bench-matmul-tiles.ts
//      --old compares that).
// Usage: npm run -s bench:layout-ab (or the node command in package.json's bench:kernels with this file).
import { execSync } from 'node:child_process';
import { createBuffer, STORAGE, uniformBuffer, uploadBuffer, type GpuContext, acquireGpu } from '../src/gpu/context';
import { uploadGptq, type GpuGptq } from '../src/gpu/gptq-repack';
import { GptqMatmulKernel, GptqMatvecKernel } from '../src/gpu/kernels/gptq-linear';
import { parseTileName } from '../src/gpu/kernels/gptq-matmul-tiles';
import { getPipelineWithConstants, uniformWords } from '../src/gpu/kernels/common';
import { randomPackedGptq, randomX } from '../src/gpu/kernel-bench';
import { nodeGpu } from '../src/gpu/node-gpu';
import { measureRoofline, rooflineBytes } from '../src/gpu/roofline';
import { createStepBuffer, writeStep } from '../src/gpu/step';
import { calibrateReps, GpuTimer } from '../src/gpu/timing';

const OLD = '6010b29';
const oldShader = (f: string) => execSync(`git show ${OLD}:shaders/${f}`, { encoding: 'utf8' });

async function oldRoofline(ctx: GpuContext, bytes: number): Promise<number> {
  const code = oldShader('read-bandwidth.wgsl');
  const pipeline = getPipelineWithConstants(ctx, 'old-read-bandwidth', code, {});
  const src = createBuffer(ctx, bytes, STORAGE); // zeros, as the old probe read
  const nVec4 = bytes / 16, workgroups = Math.min(256, Math.ceil(nVec4 / 256));
  const partials = createBuffer(ctx, workgroups * 4, STORAGE);
  const params = uniformBuffer(ctx, uniformWords([nVec4, workgroups * 256]));
  const bg = ctx.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [
    { binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: partials } }, { binding: 2, resource: { buffer: params } }] });
  const once = async () => {
    const enc = ctx.device.createCommandEncoder();
    for (let i = 0; i < 4; i++) { const p = enc.beginComputePass(); p.setPipeline(pipeline); p.setBindGroup(0, bg); p.dispatchWorkgroups(workgroups); p.end(); }
    const t0 = performance.now();
    ctx.device.queue.submit([enc.finish()]);
    await ctx.device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  await once();
  let best = Infinity;
  for (let r = 0; r < 5; r++) best = Math.min(best, await once());
  src.destroy();
  return (bytes * 4) / (best / 1000) / 1e9;
}

/** The old layout: words [K/8, rows] (transposed), read by the old shaders (Params word 5 was unused there). */
function oldUpload(ctx: GpuContext, w: GpuGptq, packedWords: Uint32Array, K: number, N: number): GpuGptq {
  const W8 = K / 8;
  const t = new Uint32Array(W8 * N);
  for (let r = 0; r < N; r++) for (let c = 0; c < W8; c++) t[c * N + r] = packedWords[r * W8 + c];
  const c0 = w.chunks[0];
  return { ...w, chunks: [{ ...c0, words: uploadBuffer(ctx, t) }] };
}

class OldMatvec extends GptqMatvecKernel {
  constructor(ctx: GpuContext) { super(ctx); (this as unknown as { pipeline: GPUComputePipeline }).pipeline = getPipelineWithConstants(ctx, 'old-gptq-matvec', oldShader('gptq-matvec.wgsl'), {}); }
}
/** The old shader's dispatch geometry (64 threads x 8 rows x 4 tokens, row blocks first). */
const LEGACY = parseTileName('tm4 rt8 wg64')!;
/** A matmul that dispatches as the LEGACY tile but runs the old shader: a first bind creates the kernel's LEGACY tile instance, whose pipeline is then replaced before the real binds. */
function oldMatmul(ctx: GpuContext, probe: (k: GptqMatmulKernel) => void): GptqMatmulKernel {
  const k = new GptqMatmulKernel(ctx, { tile: LEGACY });
  probe(k);
  const inner = (k as unknown as { tiled: Map<string, { pipeline: GPUComputePipeline }> }).tiled.get(LEGACY.name)!;
  inner.pipeline = getPipelineWithConstants(ctx, 'old-gptq-matmul', oldShader('gptq-matmul.wgsl'), {});
  return k;
}

const ctx = await acquireGpu(nodeGpu());
const rounds = 3;
const bytes = rooflineBytes(ctx); // 256 MiB within the binding limit (as the old bench clipped it)
let oldR = 0, newR = 0, newPattern = '';
for (let r = 0; r < rounds; r++) {
  oldR = Math.max(oldR, await oldRoofline(ctx, bytes));
  const n = await measureRoofline(ctx, { bytes, rounds: 1 });
  if (n.gbps > newR) { newR = n.gbps; newPattern = n.best; }
}
console.log(`roofline, ${rounds} interleaved rounds, ${bytes / 2 ** 20} MiB: old probe ${oldR.toFixed(2)} GB/s, new ${newR.toFixed(2)} GB/s (${newPattern}); new/old ${(newR / oldR).toFixed(2)}`);

const timer = new GpuTimer(ctx);
const step = createStepBuffer(ctx);
for (const [K, N, M] of [[2048, 5632, 1], [5632, 2048, 1], [2048, 2048, 1], [2048, 5632, 64]]) {
  const packed = randomPackedGptq(K, N);
  const copies = Math.max(1, Math.ceil((64 * 2 ** 20) / packed.words.byteLength));
  const news = Array.from({ length: copies }, () => uploadGptq(ctx, packed));
  const olds = news.map((w) => oldUpload(ctx, w, packed.words, K, N));
  const x = uploadBuffer(ctx, randomX(M * K));
  const y = createBuffer(ctx, M * N * 4, STORAGE);
  const stepM = createStepBuffer(ctx);
  writeStep(ctx, step, { pos0: 0, m: 1 });
  writeStep(ctx, stepM, { pos0: 0, m: M });
  const mk = (old: boolean) => {
    const ws = old ? olds : news;
    if (M === 1) { const k = old ? new OldMatvec(ctx) : new GptqMatvecKernel(ctx); const b = ws.map((w) => k.bind(x, w, y, step)); return (p: GPUComputePassEncoder) => b.forEach((bb) => k.encode(p, bb, 1)); }
    const k = old ? oldMatmul(ctx, (kk) => kk.bind(x, ws[0], y, stepM, { maxM: M })) : new GptqMatmulKernel(ctx, { tile: LEGACY });
    const b = ws.map((w) => k.bind(x, w, y, stepM, { maxM: M })); return (p: GPUComputePassEncoder) => b.forEach((bb) => k.encode(p, bb, M));
  };
  const A = mk(true), B = mk(false);
  const ra = await calibrateReps(timer, A, 20, 8), rb = await calibrateReps(timer, B, 20, 8);
  let a = Infinity, b = Infinity;
  for (let r = 0; r < rounds; r++) { a = Math.min(a, await timer.time(A, ra)); b = Math.min(b, await timer.time(B, rb)); }
  const gb = (ms: number) => ((packed.words.byteLength + packed.sz.byteLength) * copies) / (ms / 1000) / 1e9;
  console.log(`${M === 1 ? 'gptq-matvec rows-per-thread' : `gptq-matmul ${LEGACY.name} M=${M}`} K=${K} N=${N} (${copies} copies): old layout ${gb(a).toFixed(2)} GB/s, new ${gb(b).toFixed(2)} GB/s; new/old ${(a / b).toFixed(2)}`);
}
timer.destroy();
ctx.device.destroy();
