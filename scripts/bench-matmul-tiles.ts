// The GPTQ prefill matmul's tile shapes (src/gpu/kernels/gptq-matmul-tiles.ts) against the default tile
// (shaders/gptq-matmul.wgsl), with --prev REV against the default shader of an earlier commit (its file read with
// `git show REV:shaders/gptq-matmul.wgsl`, dispatched as a tm4 rt8 wg64 tile — the default until 2026-12-01 — or as
// --prev-geometry NAME: a listed non-default tile with that shader's TM, RT and WG) and,
// with --old, against the kernel of the old row-interleaved [K/8, rows] layout (shaders/gptq-matmul.wgsl as of
// commit 6010b29, also tm4 rt8 wg64, on weights transposed to that layout), in ONE process, interleaved: every round
// times every case once (old, prev, default, A, B, …), so that each round's ratios are taken at one machine load;
// the summary is the median of the per-round ratios and their range.
// Weights in enough distinct copies that one measurement reads at least --mib MiB (past the caches). Every case's y
// is checked against the first case's (max |Δy| <= 1e-4 max |y|) before timing.
// Usage: bash scripts/with-gpu-env.sh node --import ./scripts/node20-polyfills.mjs --import tsx \
//          --import ./scripts/raw-loader.mjs scripts/bench-matmul-tiles.ts [--m 64,16] [--rounds 4] [--mib 32]
//          [--shapes 2048x2560,2048x2048,2048x11264,5632x2048] [--tiles "tm8 rt8 wg32,tm16 rt8 wg32 tf"] [--old]
//          [--prev REV [--prev-geometry "tm8 rt8 wg32"]]
//          [--json]
// Default shapes: the fused TinyLlama-1.1B layers (q/k/v 2048→2560, o 2048→2048, gate/up 2048→11264, down
// 5632→2048; group 128). Prints per (shape, M) and case: median ms per layer call, GFLOP/s, and the median
// (min–max) per-round speed relative to the default tile, the --prev kernel and the old-layout kernel; stderr and
// --json also give each case's first call (pipeline compilation included: with MESA_SHADER_CACHE_DISABLE=true on
// lavapipe, the cold compile of a tile).
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { acquireGpu, createBuffer, readBuffer, STORAGE, uploadBuffer, type GpuContext } from '../src/gpu/context';
import { destroyGptq, uploadGptq, type GpuGptq } from '../src/gpu/gptq-repack';
import { randomPackedGptq, randomX } from '../src/gpu/kernel-bench';
import { getPipelineWithConstants } from '../src/gpu/kernels/common';
import { GptqMatmulKernel } from '../src/gpu/kernels/gptq-linear';
import { DEFAULT_MATMUL_TILE, GPTQ_MATMUL_TILES, parseTileName, tileSupports, type GptqMatmulTile } from '../src/gpu/kernels/gptq-matmul-tiles';
import { nodeGpu } from '../src/gpu/node-gpu';
import { createStepBuffer, writeStep } from '../src/gpu/step';
import { GpuTimer } from '../src/gpu/timing';
import { median } from './bench-stats';

const argv = process.argv.slice(2);
const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const ms = (arg('--m') ?? '64,16').split(',').map(Number);
const rounds = Number(arg('--rounds') ?? 4);
const readBytes = Number(arg('--mib') ?? 32) * 2 ** 20;
const withOld = argv.includes('--old');
const prevRev = arg('--prev');
const SHAPES: [number, number][] = (arg('--shapes') ?? '2048x2560,2048x2048,2048x11264,5632x2048').split(',').map((kn) => kn.split('x').map(Number) as [number, number]);
const tiles: GptqMatmulTile[] = arg('--tiles')
  ? arg('--tiles')!.split(',').map((n) => { const t = parseTileName(n); if (!t) throw new Error(`no tile "${n}" (tiles: ${GPTQ_MATMUL_TILES.map((x) => x.name).join(', ')})`); return t; })
  : GPTQ_MATMUL_TILES;
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** The old layout: words [K/8, rows] (transposed), as the old shader reads them (Params word 5 was unused there). */
function oldUpload(ctx: GpuContext, w: GpuGptq, packedWords: Uint32Array, K: number, N: number): GpuGptq {
  const W8 = K / 8;
  const t = new Uint32Array(W8 * N);
  for (let r = 0; r < N; r++) for (let c = 0; c < W8; c++) t[c * N + r] = packedWords[r * W8 + c];
  return { ...w, chunks: [{ ...w.chunks[0], words: uploadBuffer(ctx, t, 'tiles.old-words') }] }; // u32 [K/8, N]
}
const OLD = '6010b29';
const shaderAt = (rev: string) => execSync(`git show ${rev}:shaders/gptq-matmul.wgsl`, { encoding: 'utf8' });
const oldCode = withOld ? shaderAt(OLD) : '';
const prevCode = prevRev ? shaderAt(prevRev) : '';
/** The geometry of the old shader (64 threads x 8 rows x 4 tokens, row blocks first), and of --prev's. */
const LEGACY = parseTileName('tm4 rt8 wg64')!;
const PREV_GEOMETRY = parseTileName(arg('--prev-geometry') ?? LEGACY.name)!;
/**
 * A matmul that dispatches as the LEGACY tile but runs `code`: the kernel's LEGACY tile instance is created by a
 * first bind, then its pipeline replaced before the real binds (bind groups take the pipeline's layout at bind).
 */
function legacyKernel(ctx: GpuContext, label: string, code: string, probe: () => void, geometry: GptqMatmulTile, k: GptqMatmulKernel): GptqMatmulKernel {
  if (geometry.name === DEFAULT_MATMUL_TILE.name) throw new Error('the geometry tile is the default (dispatched from the shader file): pick a listed tile of the same TM, RT, WG');
  probe.call(k);
  const inner = (k as unknown as { tiled: Map<string, { pipeline: GPUComputePipeline }> }).tiled.get(geometry.name)!;
  inner.pipeline = getPipelineWithConstants(ctx, label, code, {});
  return k;
}

const ctx = await acquireGpu(nodeGpu(), {});
const timer = new GpuTimer(ctx);
const load0 = loadavg();
interface Ratio { median: number; min: number; max: number }
interface Row { K: number; N: number; M: number; case: string; first_call_ms: number; ms: number; gflops: number; vs_default: Ratio; vs_prev?: Ratio; vs_old?: Ratio }
const out: Row[] = [];
for (const [K, N] of SHAPES) {
  const packed = randomPackedGptq(K, N);
  const copies = Math.max(1, Math.min(32, Math.ceil(readBytes / (packed.words.byteLength + packed.sz.byteLength))));
  const ws = Array.from({ length: copies }, (_, i) => uploadGptq(ctx, packed, { label: `tiles.w${i}` }));
  if (ws[0].chunks.length !== 1 && withOld) throw new Error('--old needs single-chunk layers');
  const olds = withOld ? ws.map((w) => oldUpload(ctx, w, packed.words, K, N)) : [];
  for (const M of ms) {
    const x = uploadBuffer(ctx, randomX(M * K), 'tiles.x'); // f32 [M, K]
    const y = createBuffer(ctx, M * N * 4, STORAGE, 'tiles.y'); // f32 [M, N]
    const step = createStepBuffer(ctx, 'tiles.step');
    writeStep(ctx, step, { pos0: 0, m: M });
    const mk = (name: string, k: GptqMatmulKernel, wset: GpuGptq[]) => {
      const bounds = wset.map((w) => k.bind(x, w, y, step, { maxM: M }));
      return { name, encode: (p: GPUComputePassEncoder) => bounds.forEach((b) => k.encode(p, b, M)), times: [] as number[], firstMs: 0 };
    };
    const legacy = (label: string, code: string, w: GpuGptq, geometry: GptqMatmulTile) => {
      const k = new GptqMatmulKernel(ctx, { tile: geometry });
      return legacyKernel(ctx, label, code, () => k.bind(x, w, y, step, { maxM: M }), geometry, k);
    };
    const cases = [
      ...(withOld ? [mk(`old layout (${OLD})`, legacy('old-layout gptq-matmul', oldCode, olds[0], LEGACY), olds)] : []),
      ...(prevRev ? [mk(`default @${prevRev}`, legacy(`gptq-matmul @${prevRev}`, prevCode, ws[0], PREV_GEOMETRY), ws)] : []),
      mk(DEFAULT_MATMUL_TILE.name, new GptqMatmulKernel(ctx), ws),
      ...tiles.filter((t) => t.name !== DEFAULT_MATMUL_TILE.name && tileSupports(t, packed)).map((tile) => mk(tile.name, new GptqMatmulKernel(ctx, { tile }), ws)),
    ];
    let ref: Float32Array | null = null;
    for (const c of cases) { // pipeline compilation (on lavapipe at the first dispatch), first touch; same y as the first case
      ctx.device.queue.writeBuffer(y, 0, new Float32Array(M * N).fill(NaN));
      const t = performance.now();
      await timer.time(c.encode, 1);
      c.firstMs = performance.now() - t;
      const got = new Float32Array(await readBuffer(ctx, y, M * N * 4));
      ref ??= got;
      let worst = 0, scale = 0;
      for (let i = 0; i < got.length; i++) { worst = Math.max(worst, Math.abs(got[i] - ref[i])); scale = Math.max(scale, Math.abs(ref[i])); }
      if (!(worst <= 1e-4 * scale)) throw new Error(`${c.name}: y differs from ${cases[0].name}'s (max |Δy| ${worst} vs max |y| ${scale})`);
    }
    for (let r = 0; r < rounds; r++) for (const c of cases) c.times.push((await timer.time(c.encode, 1)) / copies);
    if (ctx.firstError) throw new Error(`GPU error: ${ctx.firstError.message}`);
    const def = cases.find((c) => c.name === DEFAULT_MATMUL_TILE.name)!;
    const old = withOld ? cases[0] : null;
    const prev = prevRev ? cases[withOld ? 1 : 0] : null;
    const ratios = (base: number[], t: number[]) => base.map((b, i) => b / t[i]);
    const stats = (r: number[]) => ({ median: median(r), min: Math.min(...r), max: Math.max(...r) });
    for (const c of cases) {
      const per = median(c.times);
      out.push({ K, N, M, case: c.name, first_call_ms: c.firstMs, ms: per, gflops: (2 * M * N * K) / (per / 1000) / 1e9, vs_default: stats(ratios(def.times, c.times)),
        ...(prev ? { vs_prev: stats(ratios(prev.times, c.times)) } : {}), ...(old ? { vs_old: stats(ratios(old.times, c.times)) } : {}) });
    }
    process.stderr.write(`K=${K} N=${N} M=${M} (${copies} copies): ${cases.map((c) => `${c.name} ${c.times.map((t) => t.toFixed(1)).join('/')} ms (first call ${(c.firstMs / 1000).toFixed(1)} s)`).join('; ')}\n`);
    x.destroy(); y.destroy(); step.destroy();
  }
  ws.forEach(destroyGptq);
  olds.forEach((w) => w.chunks[0].words.destroy());
}
timer.destroy();
const load1 = loadavg();
if (argv.includes('--json')) {
  process.stdout.write(JSON.stringify({ adapter: ctx.adapterName, clock: timer.clock, rounds, loadavg: [load0, load1], rows: out }) + '\n');
} else {
  const f = (r: Ratio | undefined) => (r ? `${r.median.toFixed(2)} (${r.min.toFixed(2)}–${r.max.toFixed(2)})`.padStart(19) : '');
  console.log(`adapter: ${ctx.adapterName} (${timer.clock} clock), ${rounds} interleaved rounds, ≥ ${readBytes / 2 ** 20} MiB of weights per measurement; load average ${load0} → ${load1}`);
  console.log(`speed ratios: median (min–max) over rounds of the per-round ms ratio; default = ${DEFAULT_MATMUL_TILE.name}`);
  console.log('shape               M  case                    med ms/layer  GFLOP/s          × default' + (prevRev ? `   × default @${prevRev}`.padStart(21) : '') + (withOld ? '       × old layout' : ''));
  for (const r of out) {
    console.log(`K=${r.K} N=${r.N}`.padEnd(18) + String(r.M).padStart(4) + '  ' + r.case.padEnd(22) + r.ms.toFixed(2).padStart(12) + r.gflops.toFixed(2).padStart(9) + f(r.vs_default) + f(r.vs_prev) + f(r.vs_old));
  }
}
ctx.device.destroy();
