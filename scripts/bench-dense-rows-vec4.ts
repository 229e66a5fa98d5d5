// Interleaved A/B of the dense matvec variants one-row-per-thread (shaders/dense-matvec.wgsl) and rows-per-thread
// vec4 r1 / r2 / r4 (shaders/dense-matvec-rows-vec4.wgsl) on one shape (default the TinyLlama lm_head, K=2048 →
// N=32000 f16), in ONE process: each round times every variant once (A, B, C, A, B, C, …) over the same distinct
// weight copies (enough to exceed the caches), and prints per-round ms and the median of the per-round ratios
// (each round sees the same machine load). Every variant is first checked against the CPU twin on the first rows.
// Usage:
//   bash scripts/with-gpu-env.sh node --import ./scripts/node20-polyfills.mjs --import tsx --import ./scripts/raw-loader.mjs \
//     scripts/bench-dense-rows-vec4.ts [--rounds 8] [--K 2048] [--N 32000] [--f32] [--mib 128] [--tune]
// --tune then runs the load-time autotuner (autotuneDenseMatvec, every offered variant, fresh in-memory cache,
// 120 s deadline) on the same shape and prints its pick and per-candidate times.
import { acquireGpu, createBuffer, STORAGE, uploadBuffer } from '../src/gpu/context';
import { denseLinearCpu } from '../src/gpu/cpu/dense-linear';
import { uploadDense } from '../src/gpu/dense-weight';
import { DenseMatvecKernel, denseRowsVec4Variant, ONE_ROW_PER_THREAD } from '../src/gpu/kernels/dense-linear';
import { nodeGpu } from '../src/gpu/node-gpu';
import { createStepBuffer, writeStep } from '../src/gpu/step';
import { calibrateReps, GpuTimer } from '../src/gpu/timing';
import { f16BitsArrayToF32, f32ToF16Bits } from '../src/shared/f16';
import { median, round } from './bench-stats';
import { autotuneDenseMatvec } from '../src/gpu/autotune-dense';
import { memoryTuneCache } from '../src/gpu/autotune-cache';

const argv = process.argv.slice(2);
const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);

async function main(): Promise<void> {
  const ctx = await acquireGpu(nodeGpu(), { preferF16: true });
  const K = Number(arg('--K') ?? 2048), N = Number(arg('--N') ?? 32000), rounds = Number(arg('--rounds') ?? 8);
  const dtype: 'f16' | 'f32' = argv.includes('--f32') ? 'f32' : 'f16';
  const elem = dtype === 'f16' ? 2 : 4;
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 31 - 1; };
  const f32 = Float32Array.from({ length: N * K }, () => rnd() * 0.1);
  const data = dtype === 'f16' ? { f16: Uint16Array.from(f32, f32ToF16Bits) } : f32;
  const W = dtype === 'f16' ? f16BitsArrayToF32((data as { f16: Uint16Array }).f16) : f32;
  const copies = Math.max(1, Math.ceil((Number(arg('--mib') ?? 128) * 2 ** 20) / (N * K * elem)));
  const ws = Array.from({ length: copies }, (_, i) => uploadDense(ctx, data, N, K, { label: `bench-dense.w${i}` }));
  const x = Float32Array.from({ length: K }, () => rnd());
  const xBuf = uploadBuffer(ctx, x, 'bench-dense.x'); // f32 [K]
  const yBuf = createBuffer(ctx, N * 4, STORAGE | 0x04, 'bench-dense.y'); // f32 [N]; COPY_SRC
  const step = createStepBuffer(ctx, 'bench-dense.step');
  writeStep(ctx, step, { pos0: 0, m: 1 });
  const check = Math.min(N, 512);
  const want = denseLinearCpu(x, W.subarray(0, check * K), K, check);

  const variants = [ONE_ROW_PER_THREAD, denseRowsVec4Variant(1), denseRowsVec4Variant(2), denseRowsVec4Variant(4)].filter((v) => v.supports(ctx, { cols: K, dtype }));
  const timer = new GpuTimer(ctx);
  const cases = [];
  for (const v of variants) {
    const k = new DenseMatvecKernel(ctx, { variant: v });
    const bounds = ws.map((w) => k.bind(xBuf, w, yBuf, step));
    const encode = (p: GPUComputePassEncoder) => { for (const b of bounds) k.encode(p, b, 1); };
    await timer.time(encode, 1);
    const readBuf = createBuffer(ctx, check * 4, 0x01 | 0x08); // f32 [check]; MAP_READ | COPY_DST
    const enc = ctx.device.createCommandEncoder();
    enc.copyBufferToBuffer(yBuf, 0, readBuf, 0, check * 4);
    ctx.device.queue.submit([enc.finish()]);
    await readBuf.mapAsync(1);
    const got = new Float32Array(readBuf.getMappedRange().slice(0));
    readBuf.destroy();
    let err = 0, scale = 0;
    for (let i = 0; i < check; i++) { err = Math.max(err, Math.abs(got[i] - want[i])); scale = Math.max(scale, Math.abs(want[i])); }
    if (!(err / scale < 1e-5)) throw new Error(`${v.name}: max |Δy| / max |y| = ${err / scale} against the CPU twin`);
    cases.push({ name: v.name, encode, reps: await calibrateReps(timer, encode, 30, 4), ms: [] as number[] });
  }
  console.log(`adapter: ${ctx.adapterName} (subgroups ${ctx.subgroups}, subgroupMinSize ${ctx.subgroupMinSize}); K=${K} N=${N} ${dtype}, ${copies} copies, ${rounds} rounds`);
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) c.ms.push((await timer.time(c.encode, c.reps)) / copies);
    console.log(`round ${r + 1}: ${cases.map((c) => `${c.name} ${round(c.ms[r], 1)} ms`).join(', ')}`);
  }
  const base = cases[0];
  for (const c of cases) {
    const ratios = c.ms.map((m, i) => base.ms[i] / m);
    const gbps = (N * K * elem) / (Math.min(...c.ms) / 1000) / 1e9;
    console.log(`${c.name.padEnd(24)} best ${round(Math.min(...c.ms), 1)} ms (${round(gbps, 2)} GB/s), median ${round(median(c.ms), 1)} ms, median per-round speed-up vs ${base.name} ${round(median(ratios), 2)}x (min ${round(Math.min(...ratios), 2)}, max ${round(Math.max(...ratios), 2)})`);
  }
  if (argv.includes('--tune')) {
    const [d] = await autotuneDenseMatvec(ctx, [{ K, N, dtype }], timer, { cache: memoryTuneCache(), deadline: performance.now() + 120_000 });
    console.log(`tuner: ${d.shape} → ${d.variant} (complete ${d.complete}${d.skipped ? `, ${d.skipped}` : ''}); candidates ${JSON.stringify(d.candidates)}`);
  }
  timer.destroy();
  ctx.device.destroy();
}

await main();
