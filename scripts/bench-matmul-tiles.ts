// The GPTQ prefill matmul's tile shapes (src/gpu/kernels/gptq-matmul-tiles.ts) against the default tile
// (shaders/gptq-matmul.wgsl) on the TinyLlama-1.1B layer shapes, in ONE process, interleaved (default, A, B, …,
// default, A, B, …), best of each; weights in enough distinct copies that one measurement reads past the caches.
// Usage: bash scripts/with-gpu-env.sh node --import ./scripts/node20-polyfills.mjs --import tsx \
//          --import ./scripts/raw-loader.mjs scripts/bench-matmul-tiles.ts [--m 64,16] [--rounds 5] [--mib 64]
//          [--shapes 2048x2048,2048x256] [--json]
// Prints per (shape, M): ms per layer and GFLOP/s of each tile and its speed relative to the default tile.
import { acquireGpu, createBuffer, STORAGE, uploadBuffer } from '../src/gpu/context';
import { destroyGptq, uploadGptq } from '../src/gpu/gptq-repack';
import { randomPackedGptq, randomX } from '../src/gpu/kernel-bench';
import { GptqMatmulKernel } from '../src/gpu/kernels/gptq-linear';
import { GPTQ_MATMUL_TILES, tileSupports } from '../src/gpu/kernels/gptq-matmul-tiles';
import { nodeGpu } from '../src/gpu/node-gpu';
import { createStepBuffer, writeStep } from '../src/gpu/step';
import { calibrateReps, GpuTimer } from '../src/gpu/timing';

const argv = process.argv.slice(2);
const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const ms = (arg('--m') ?? '64,16').split(',').map(Number);
const rounds = Number(arg('--rounds') ?? 5);
const readBytes = Number(arg('--mib') ?? 64) * 2 ** 20;
/** TinyLlama-1.1B: q/o (2048→2048), k/v (2048→256), gate/up (2048→5632), down (5632→2048); group 128. */
const SHAPES: [number, number][] = arg('--shapes')?.split(',').map((kn) => kn.split('x').map(Number) as [number, number]) ?? [[2048, 2048], [2048, 256], [2048, 5632], [5632, 2048]];

const ctx = await acquireGpu(nodeGpu(), {});
const timer = new GpuTimer(ctx);
const out: { K: number; N: number; M: number; tile: string; ms: number; gflops: number; vs_default: number }[] = [];
for (const [K, N] of SHAPES) {
  const packed = randomPackedGptq(K, N);
  const copies = Math.max(1, Math.min(32, Math.ceil(readBytes / (packed.words.byteLength + packed.sz.byteLength))));
  const ws = Array.from({ length: copies }, (_, i) => uploadGptq(ctx, packed, { label: `tiles.w${i}` }));
  for (const M of ms) {
    const x = uploadBuffer(ctx, randomX(M * K), 'tiles.x'); // f32 [M, K]
    const y = createBuffer(ctx, M * N * 4, STORAGE, 'tiles.y'); // f32 [M, N]
    const step = createStepBuffer(ctx, 'tiles.step');
    writeStep(ctx, step, { pos0: 0, m: M });
    const cases = GPTQ_MATMUL_TILES.filter((t) => tileSupports(t, packed)).map((tile) => {
      const k = new GptqMatmulKernel(ctx, { tile });
      const bounds = ws.map((w) => k.bind(x, w, y, step, { maxM: M }));
      return { tile: tile.name, encode: (p: GPUComputePassEncoder) => bounds.forEach((b) => k.encode(p, b, M)), reps: 1, best: Infinity };
    });
    for (const c of cases) { c.reps = await calibrateReps(timer, c.encode, 30, 16); process.stderr.write(`  ${c.tile}: ${c.reps} reps\n`); }
    for (let r = 0; r < rounds; r++) for (const c of cases) c.best = Math.min(c.best, await timer.time(c.encode, c.reps));
    process.stderr.write(`K=${K} N=${N} M=${M}: ${cases.map((c) => `${c.tile} ${(c.best / copies).toFixed(2)} ms`).join(', ')}\n`);
    if (ctx.firstError) throw new Error(`GPU error: ${ctx.firstError.message}`);
    const base = cases[0].best;
    for (const c of cases) {
      const per = c.best / copies;
      out.push({ K, N, M, tile: c.tile, ms: per, gflops: (2 * M * N * K) / (per / 1000) / 1e9, vs_default: base / c.best });
    }
    x.destroy(); y.destroy(); step.destroy();
  }
  ws.forEach(destroyGptq);
}
timer.destroy();
if (argv.includes('--json')) {
  process.stdout.write(JSON.stringify({ adapter: ctx.adapterName, clock: timer.clock, rounds, rows: out }) + '\n');
} else {
  console.log(`adapter: ${ctx.adapterName} (${timer.clock} clock), best of ${rounds} interleaved rounds`);
  console.log('shape               M  tile                   ms/layer   GFLOP/s  vs default');
  for (const r of out) console.log(`K=${r.K} N=${r.N}`.padEnd(18) + String(r.M).padStart(4) + '  ' + r.tile.padEnd(20) + r.ms.toFixed(3).padStart(10) + r.gflops.toFixed(2).padStart(10) + r.vs_default.toFixed(3).padStart(11));
}
ctx.device.destroy();
