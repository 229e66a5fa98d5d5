// Kernel micro-benchmark (`npm run bench:kernels [-- --only NAME] [--f32] [--json]`): the linear kernels at real
// Llama shapes, timed on the wall clock (submit + onSubmittedWorkDone, several dispatches per submit, best of
// several runs) next to the adapter's read roofline measured in the same run (src/gpu/roofline.ts).
//   GPTQ matvec 4096×4096 and 2048→5632 / 5632→2048 (TinyLlama gate/up and down), group 128: GB/s of weights + x
//   dense lm_head matvec 32000×2048 f16:                              GB/s of weights + x
//   GPTQ prefill matmul 2048→5632, M = 64 tokens:                      GFLOP/s (2·M·N·K per run)
// Fractions are of the read roofline (the same ratio holds on any adapter; docs/PERFORMANCE.md).
import { acquireGpu, createBuffer, STORAGE, uploadBuffer, type GpuContext } from '../src/gpu/context';
import { uploadDense } from '../src/gpu/dense-weight';
import { uploadGptq, type PackedGptq } from '../src/gpu/gptq-repack';
import { DenseMatvecKernel } from '../src/gpu/kernels/dense-linear';
import { GptqMatmulKernel, GptqMatvecKernel } from '../src/gpu/kernels/gptq-linear';
import { nodeGpu } from '../src/gpu/node-gpu';
import { measureReadBandwidth } from '../src/gpu/roofline';
import { createStepBuffer, writeStep } from '../src/gpu/step';
import { f32ToF16Bits } from '../src/shared/f16';

const argv = process.argv.slice(2);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : null;
const json = argv.includes('--json');

function fillRandom(words: Uint32Array, seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    words[i] = s;
  }
}

/** A random GPTQ layer in the repacked layout (random nibbles, f16 scale, zero 8, group 128). */
function randomGptq(K: number, N: number, groupSize = 128): PackedGptq {
  const nGroups = Math.ceil(K / groupSize);
  const words = new Uint32Array((N * K) / 8);
  fillRandom(words, K * 31 + N);
  const sz = new Uint32Array(N * nGroups).fill(f32ToF16Bits(0.01) | (8 << 16));
  return { K, N, groupSize, nGroups, words, sz, perm: null, bias: null };
}

function randomX(n: number): Float32Array {
  const u = new Uint32Array(n);
  fillRandom(u, n);
  return Float32Array.from(u, (v) => v / 2 ** 32 - 0.5);
}

/** Best wall time (ms) of one encode() call: `reps` encodes per submit, best of `runs` submits. */
async function timeIt(ctx: GpuContext, encode: (pass: GPUComputePassEncoder) => void, reps: number, runs = 3): Promise<number> {
  const once = async () => {
    const enc = ctx.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let i = 0; i < reps; i++) encode(pass);
    pass.end();
    const t0 = performance.now();
    ctx.device.queue.submit([enc.finish()]);
    await ctx.device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  await once(); // warm-up: compilation, first touch
  let best = Infinity;
  for (let r = 0; r < runs; r++) best = Math.min(best, await once());
  if (ctx.firstError) throw new Error(`GPU error: ${ctx.firstError.message}`);
  return best / reps;
}

interface Row { kernel: string; shape: string; ms: number; gbps?: number; gflops?: number; roofline_fraction?: number }

async function main(): Promise<void> {
  const ctx = await acquireGpu(nodeGpu(), { preferF16: !argv.includes('--f32') });
  const roofline = await measureReadBandwidth(ctx, Math.min(128 * 2 ** 20, ctx.limits.maxStorageBufferBindingSize));
  const step = createStepBuffer(ctx);
  const rows: Row[] = [];
  const want = (name: string) => !only || name.includes(only);

  for (const [K, N] of [[4096, 4096], [2048, 5632], [5632, 2048]]) {
    const name = `gptq-matvec ${K}->${N}`;
    if (!want(name)) continue;
    const packed = randomGptq(K, N);
    const w = uploadGptq(ctx, packed);
    const x = uploadBuffer(ctx, randomX(K));
    const y = createBuffer(ctx, N * 4, STORAGE);
    writeStep(ctx, step, { pos0: 0, m: 1 });
    const k = new GptqMatvecKernel(ctx);
    const bound = k.bind(x, w, y, step);
    const bytes = packed.words.byteLength + packed.sz.byteLength + K * 4 + N * 4;
    const ms = await timeIt(ctx, (p) => k.encode(p, bound, 1), 8);
    const gbps = bytes / (ms / 1000) / 1e9;
    rows.push({ kernel: 'gptq-matvec', shape: `K=${K} N=${N} g128`, ms, gbps, roofline_fraction: gbps / roofline });
  }

  if (want('dense-matvec lm_head')) {
    const K = 2048, N = 32000;
    const bits = new Uint16Array(N * K);
    fillRandom(new Uint32Array(bits.buffer), 7);
    for (let i = 0; i < bits.length; i++) bits[i] &= 0xbbff; // finite f16 values of modest size
    const w = uploadDense(ctx, { f16: bits }, N, K);
    const x = uploadBuffer(ctx, randomX(K));
    const y = createBuffer(ctx, N * 4, STORAGE);
    writeStep(ctx, step, { pos0: 0, m: 1 });
    const k = new DenseMatvecKernel(ctx);
    const bound = k.bind(x, w, y, step);
    const bytes = N * K * 2 + K * 4 + N * 4;
    const ms = await timeIt(ctx, (p) => k.encode(p, bound, 1), 1);
    const gbps = bytes / (ms / 1000) / 1e9;
    rows.push({ kernel: 'dense-matvec (lm_head f16)', shape: `K=${K} N=${N}`, ms, gbps, roofline_fraction: gbps / roofline });
  }

  if (want('gptq-matmul')) {
    const K = 2048, N = 5632, M = 64;
    const packed = randomGptq(K, N);
    const w = uploadGptq(ctx, packed);
    const x = uploadBuffer(ctx, randomX(M * K));
    const y = createBuffer(ctx, M * N * 4, STORAGE);
    writeStep(ctx, step, { pos0: 0, m: M });
    const k = new GptqMatmulKernel(ctx);
    const bound = k.bind(x, w, y, step, { maxM: M });
    const ms = await timeIt(ctx, (p) => k.encode(p, bound, M), 1);
    const gflops = (2 * M * N * K) / (ms / 1000) / 1e9;
    const gbps = (packed.words.byteLength + packed.sz.byteLength) / (ms / 1000) / 1e9;
    rows.push({ kernel: 'gptq-matmul (prefill M=64)', shape: `K=${K} N=${N} g128`, ms, gflops, gbps, roofline_fraction: gbps / roofline });
  }

  if (json) {
    process.stdout.write(JSON.stringify({ adapter: ctx.adapterName, f16: ctx.f16, read_roofline_gbps: roofline, rows }) + '\n');
  } else {
    console.log(`adapter: ${ctx.adapterName} (f16 ${ctx.f16}, subgroups ${ctx.subgroups}); read roofline ${roofline.toFixed(2)} GB/s`);
    console.log('kernel                       shape                  ms        GB/s   of roofline   GFLOP/s');
    for (const r of rows) {
      console.log(`${r.kernel.padEnd(28)} ${r.shape.padEnd(20)} ${r.ms.toFixed(2).padStart(8)} ${(r.gbps ?? 0).toFixed(2).padStart(9)} ${((r.roofline_fraction ?? 0) * 100).toFixed(1).padStart(10)} % ${r.gflops !== undefined ? r.gflops.toFixed(2).padStart(9) : ''}`);
    }
  }
  ctx.device.destroy();
}

await main();
