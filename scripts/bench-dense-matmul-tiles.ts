// The dense prefill matmul's generated tiles (src/gpu/kernels/dense-matmul-tiles.ts; the default tile among them)
// against its row-per-thread kernel (shaders/dense-matmul.wgsl, the default until 2026-12-01) in ONE process, interleaved: every round times every case once, the summary is the
// median of the per-round ratios (min–max beside it); weights in enough distinct copies that one measurement reads
// at least --mib MiB. Usage:
//   bash scripts/with-gpu-env.sh node --import ./scripts/node20-polyfills.mjs --import tsx --import ./scripts/raw-loader.mjs \
//     scripts/bench-dense-matmul-tiles.ts [--m 64,16] [--rounds 4] [--mib 32] [--dtype f16|f32]
//     [--shapes 2048x2560,2048x2048,2048x11264,5632x2048] [--tiles "tm8 rt4 wg32 tf,tm4 rt4 wg64"] [--json]
// Default shapes: the fused TinyLlama-1.1B layers (q/k/v 2048→2560, o 2048→2048, gate/up 2048→11264, down 5632→2048)
// as an unquantised (f16) checkpoint would have them.
import { readFileSync } from 'node:fs';
import { acquireGpu, createBuffer, STORAGE, uploadBuffer } from '../src/gpu/context';
import { destroyDense, uploadDense } from '../src/gpu/dense-weight';
import { randomX } from '../src/gpu/kernel-bench';
import { DenseMatmulKernel } from '../src/gpu/kernels/dense-linear';
import { DEFAULT_DENSE_MATMUL_TILE, DENSE_MATMUL_TILES, denseMatmulTileByName, ROW_PER_THREAD_DENSE_MATMUL, type DenseMatmulTile } from '../src/gpu/kernels/dense-matmul-tiles';
import { nodeGpu } from '../src/gpu/node-gpu';
import { createStepBuffer, writeStep } from '../src/gpu/step';
import { GpuTimer } from '../src/gpu/timing';
import { f32ArrayToF16Bits } from '../src/shared/f16';
import { median } from './bench-stats';

const argv = process.argv.slice(2);
const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const ms = (arg('--m') ?? '64,16').split(',').map(Number);
const rounds = Number(arg('--rounds') ?? 4);
const readBytes = Number(arg('--mib') ?? 32) * 2 ** 20;
const dtype = (arg('--dtype') ?? 'f16') as 'f16' | 'f32';
const SHAPES: [number, number][] = (arg('--shapes') ?? '2048x2560,2048x2048,2048x11264,5632x2048').split(',').map((kn) => kn.split('x').map(Number) as [number, number]);
const tiles: DenseMatmulTile[] = arg('--tiles')
  ? arg('--tiles')!.split(',').map((n) => { const t = denseMatmulTileByName(n); if (!t) throw new Error(`no tile "${n}"`); return t; })
  : DENSE_MATMUL_TILES;
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const ctx = await acquireGpu(nodeGpu(), {});
const timer = new GpuTimer(ctx);
const load0 = loadavg();
const out: { K: number; N: number; M: number; case: string; first_call_ms: number; ms: number; gflops: number; vs_row_per_thread: { median: number; min: number; max: number } }[] = [];
for (const [K, N] of SHAPES) {
  const W = randomX(N * K);
  const data = dtype === 'f16' ? { f16: f32ArrayToF16Bits(W) } : W;
  const copies = Math.max(1, Math.min(16, Math.ceil(readBytes / (N * K * (dtype === 'f16' ? 2 : 4)))));
  const ws = Array.from({ length: copies }, () => uploadDense(ctx, data, N, K, { label: 'dense-tiles.w' }));
  for (const M of ms) {
    const x = uploadBuffer(ctx, randomX(M * K), 'dense-tiles.x'); // f32 [M, K]
    const y = createBuffer(ctx, M * N * 4, STORAGE, 'dense-tiles.y'); // f32 [M, N]
    const step = createStepBuffer(ctx, 'dense-tiles.step');
    writeStep(ctx, step, { pos0: 0, m: M });
    const cases = [null, ...tiles].map((tile) => {
      const k = new DenseMatmulKernel(ctx);
      const bounds = ws.map((w) => k.bind(x, w, y, step, { maxM: M }, tile));
      return { name: tile ? `${tile.name}${tile === DEFAULT_DENSE_MATMUL_TILE ? ' (default)' : ''}` : ROW_PER_THREAD_DENSE_MATMUL, encode: (p: GPUComputePassEncoder) => bounds.forEach((b) => k.encode(p, b, M)), times: [] as number[], firstMs: 0 };
    });
    for (const c of cases) { const t = performance.now(); await timer.time(c.encode, 1); c.firstMs = performance.now() - t; } // compile, first touch
    for (let r = 0; r < rounds; r++) for (const c of cases) c.times.push((await timer.time(c.encode, 1)) / copies);
    if (ctx.firstError) throw new Error(`GPU error: ${ctx.firstError.message}`);
    const def = cases[0];
    for (const c of cases) {
      const rr = def.times.map((d, i) => d / c.times[i]);
      const per = median(c.times);
      out.push({ K, N, M, case: c.name, first_call_ms: c.firstMs, ms: per, gflops: (2 * M * N * K) / (per / 1000) / 1e9, vs_row_per_thread: { median: median(rr), min: Math.min(...rr), max: Math.max(...rr) } });
    }
    process.stderr.write(`K=${K} N=${N} M=${M} ${dtype} (${copies} copies): ${cases.map((c) => `${c.name} ${c.times.map((t) => t.toFixed(1)).join('/')} ms (first call ${(c.firstMs / 1000).toFixed(1)} s)`).join('; ')}\n`);
    x.destroy(); y.destroy(); step.destroy();
  }
  ws.forEach(destroyDense);
}
timer.destroy();
const load1 = loadavg();
if (argv.includes('--json')) {
  process.stdout.write(JSON.stringify({ adapter: ctx.adapterName, clock: timer.clock, dtype, rounds, loadavg: [load0, load1], rows: out }) + '\n');
} else {
  console.log(`adapter: ${ctx.adapterName} (${timer.clock} clock), ${dtype} weights, ${rounds} interleaved rounds, ≥ ${readBytes / 2 ** 20} MiB per measurement; load average ${load0} → ${load1}`);
  console.log(`shape               M  case                    med ms/layer  GFLOP/s   × ${ROW_PER_THREAD_DENSE_MATMUL}: median (min–max)`);
  for (const r of out) console.log(`K=${r.K} N=${r.N}`.padEnd(18) + String(r.M).padStart(4) + '  ' + r.case.padEnd(22) + r.ms.toFixed(2).padStart(12) + r.gflops.toFixed(2).padStart(9) + `   ${r.vs_row_per_thread.median.toFixed(2)} (${r.vs_row_per_thread.min.toFixed(2)}–${r.vs_row_per_thread.max.toFixed(2)})`);
}
ctx.device.destroy();
