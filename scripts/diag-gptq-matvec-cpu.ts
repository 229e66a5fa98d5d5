// Diagnosis of the GPTQ decode matvec on CPU drivers (issue 8): is it bound by its dequant arithmetic or by
// its access pattern? For one layer shape (default TinyLlama gate/up, K=2048 N=5632 g128), in distinct weight
// copies past the caches, timed in interleaved rounds (A, B, C, …, A, B, C, …, best of each):
//   kernel   — today's rows-per-thread shader (shaders/gptq-matvec.wgsl) and generated experimental designs
//              (rows per thread, workgroup size, u32 vs vec4<u32> loads, rows strided vs consecutive per thread)
//   xor      — the same design's loads with trivial arithmetic (words xor-ed into the output): the "read at
//              this access pattern" limit
//   probe    — the roofline's contiguous-per-thread pattern (shaders/read-bandwidth-contiguous.wgsl) over the
//              same words buffers, and the honest roofline (src/gpu/roofline.ts, all patterns) in the same run.
// Every full-math design's output is checked against the CPU twin (gptqLinearCpu) before it is timed.
// Usage: bash scripts/with-gpu-env.sh node --import ./scripts/node20-polyfills.mjs --import tsx \
//          --import ./scripts/raw-loader.mjs scripts/diag-gptq-matvec-cpu.ts [--only a,b] [--rounds N] [--mib N] [--K K --N N]
//          [--min-ms MS per measurement] [--no-roofline] [--quiet: no per-round lines]
// Designs: "today", "rows-vec4 r2" / "rows-vec4 r4" (shaders/gptq-matvec-rows-vec4.wgsl as shipped), "i8 r2"
// (x as int8 per group + dot4I8Packed, see i8Source), and generated ones "[xor ]u32|vec4 rR wgW strided|consecutive"
// with optional suffixes in this order: " ubo" (x and gsum from uniform buffers), " bcast" (x index through
// subgroupBroadcastFirst), " sgx" (each lane loads one x vec4, subgroupBroadcast to all), " fma" (explicit fma into
// vec4 accumulators), " wm" (broadcasts word by word) — e.g. "vec4 r2 wg64 strided sgx", "xor vec4 r2 wg64 strided".
// Output: best GB/s, fraction of the honest roofline, and the median per-round ratios vs the first design and vs
// the contiguous probe (the numbers to read on a shared machine).
import matvecCode from '../shaders/gptq-matvec.wgsl?raw';
import rowsVec4Code from '../shaders/gptq-matvec-rows-vec4.wgsl?raw';
import { acquireGpu, createBuffer, readBuffer, STORAGE, UNIFORM, uniformBuffer, uploadBuffer, type GpuContext } from '../src/gpu/context';
import { gptqLinearCpu } from '../src/gpu/cpu/gptq-linear';
import { uploadGptq, type GpuGptq } from '../src/gpu/gptq-repack';
import { randomPackedGptq, randomX } from '../src/gpu/kernel-bench';
import { dispatchWorkgroups, getPipelineWithConstants, uniformWords } from '../src/gpu/kernels/common';
import { ReadBandwidthKernel } from '../src/gpu/kernels/read-bandwidth';
import { nodeGpu } from '../src/gpu/node-gpu';
import { RooflineProbe } from '../src/gpu/roofline';
import { calibrateReps, GpuTimer, type EncodeFn } from '../src/gpu/timing';
import { median } from './bench-stats';

const argv = process.argv.slice(2);
const arg = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
const K = Number(arg('--K') ?? 2048), N = Number(arg('--N') ?? 5632), G = 128;
const rounds = Number(arg('--rounds') ?? 3);
const mib = Number(arg('--mib') ?? 64);
const minMs = Number(arg('--min-ms') ?? 15);

export interface Design { load: 'u32' | 'vec4'; rows: number; wg: number; map: 'strided' | 'consecutive'; math: 'full' | 'xor'; today?: boolean; ubo?: boolean; bcast?: boolean; sgx?: boolean; fma?: boolean; wm?: boolean; shipped?: 2 | 4; i8?: boolean }

export function designName(d: Design): string {
  if (d.today) return 'today (shaders/gptq-matvec.wgsl)';
  if (d.i8) return `i8 dot4I8Packed r${d.rows} sgx (x int8 per group)`;
  if (d.shipped) return `gptq-matvec-rows-vec4.wgsl R=${d.shipped}`;
  return `${d.math === 'xor' ? 'xor ' : ''}${d.load} r${d.rows} wg${d.wg} ${d.map}${d.ubo ? ' ubo' : ''}${d.bcast ? ' bcast' : ''}${d.sgx ? ' sgx' : ''}${d.fma ? ' fma' : ''}${d.wm ? ' wm' : ''}`;
}

function parseDesign(s: string): Design {
  const i8 = /^i8 r([124])$/.exec(s.trim());
  if (i8) return { load: 'vec4', rows: Number(i8[1]), wg: 64, map: 'strided', math: 'full', i8: true };
  const sh = /^rows-vec4 r([24])$/.exec(s.trim());
  if (sh) return { load: 'vec4', rows: Number(sh[1]), wg: 64, map: 'strided', math: 'full', shipped: Number(sh[1]) as 2 | 4 };
  if (s.trim() === 'today') return { load: 'u32', rows: 4, wg: 64, map: 'strided', math: 'full', today: true };
  const m = /^(xor )?(u32|vec4) r(\d+) wg(\d+) (strided|consecutive)( ubo)?( bcast)?( sgx)?( fma)?( wm)?$/.exec(s.trim());
  if (!m) throw new Error(`bad design "${s}"`);
  return { math: m[1] ? 'xor' : 'full', load: m[2] as Design['load'], rows: Number(m[3]), wg: Number(m[4]), map: m[5] as Design['map'], ubo: !!m[6], bcast: !!m[7], sgx: !!m[8], fma: !!m[9], wm: !!m[10] };
}

/** Rows of the design hand-unrolled (one set of variables per row, no private arrays). */
function designSource(d: Design): string {
  const R = d.rows;
  const rowsOf = (f: (j: number) => string) => Array.from({ length: R }, (_, j) => f(j)).join('\n');
  const header = `${d.bcast || d.sgx ? 'enable subgroups;' : ''}
struct Params { K: u32, rows: u32, row_start: u32, n_groups: u32, group_words: u32, row_words: u32, has_bias: u32, accumulate: u32, _u: u32, stride: u32, n_out: u32, _p0: u32 }
${d.ubo ? '@group(0) @binding(0) var<uniform> xs: array<vec4<f32>, 4096>;\n@group(0) @binding(3) var<uniform> gsum: array<vec4<f32>, 256>;' : '@group(0) @binding(0) var<storage, read> xs: array<vec4<f32>>;\n@group(0) @binding(3) var<storage, read> gsum: array<f32>;'}
@group(0) @binding(1) var<storage, read> words: array<${d.load === 'vec4' ? 'vec4<u32>' : 'u32'}>;
@group(0) @binding(2) var<storage, read> sz: array<u32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;
const MASK = vec4<u32>(0xfu, 0xf0u, 0xf00u, 0xf000u);
fn lo16(w: u32) -> vec4<f32> { return vec4<f32>(vec4<i32>(vec4<u32>(w) & MASK)); }
fn hi16(w: u32) -> vec4<f32> { return vec4<f32>(vec4<i32>(vec4<u32>(w >> 16u) & MASK)); }
@compute @workgroup_size(${d.wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>${d.sgx ? ', @builtin(subgroup_invocation_id) sg_lane: u32' : ''}) {
  let t = gid.x + gid.y * p.stride;
  ${d.map === 'strided' ? `let base = (t / ${d.wg}u) * ${d.wg * R}u + (t % ${d.wg}u);` : `let base = t * ${R}u;`}
  let step = ${d.map === 'strided' ? `${d.wg}u` : '1u'};
${rowsOf((j) => `  let r${j} = min(base + ${j}u * step, p.rows - 1u);`)}
`;
  const unit = d.load === 'vec4' ? 'p.row_words / 4u' : 'p.row_words';
  const per = d.load === 'vec4' ? 'p.group_words / 4u' : 'p.group_words';
  const stores = (v: (j: number) => string) => rowsOf((j) => `  if (base + ${j}u * step < p.rows) { y[base + ${j}u * step] = ${v(j)}; }`);
  if (d.math === 'xor') {
    const zero = d.load === 'vec4' ? 'vec4<u32>(0u)' : '0u';
    const fold = (j: number) => (d.load === 'vec4' ? `f32(a${j}.x ^ a${j}.y ^ a${j}.z ^ a${j}.w)` : `f32(a${j})`);
    return `${header}
  let n_units = ${unit};
${rowsOf((j) => `  var a${j} = ${zero};`)}
  for (var i = 0u; i < n_units; i++) {
${rowsOf((j) => `    a${j} ^= words[r${j} * n_units + i];`)}
  }
${stores(fold)}
}`;
  }
  const xi = d.bcast ? '      let iu = subgroupBroadcastFirst(i);\n' : '      let iu = i;\n';
  const body = d.load === 'vec4'
    ? d.sgx && d.wm ? `      let xv = xs[8u * i + (sg_lane & 7u)];
${rowsOf((j) => `      let w${j} = words[r${j} * n_units + i];`)}
${['x', 'y', 'z', 'w'].map((c, k) => `      { let xa = subgroupBroadcast(xv, ${2 * k}u); let xb = subgroupBroadcast(xv, ${2 * k + 1}u);
${rowsOf((j) => `        s${j} += dot(xa, lo16(w${j}.${c})) + dot(xb, hi16(w${j}.${c}));`)} }`).join('\n')}`
    : d.sgx ? `      let xv = xs[8u * i + (sg_lane & 7u)];
      let x0 = subgroupBroadcast(xv, 0u); let x1 = subgroupBroadcast(xv, 1u); let x2 = subgroupBroadcast(xv, 2u); let x3 = subgroupBroadcast(xv, 3u);
      let x4 = subgroupBroadcast(xv, 4u); let x5 = subgroupBroadcast(xv, 5u); let x6 = subgroupBroadcast(xv, 6u); let x7 = subgroupBroadcast(xv, 7u);
${rowsOf((j) => d.fma ? `      { let w = words[r${j} * n_units + i];
        l${j} = fma(x0, lo16(w.x), l${j}); h${j} = fma(x1, hi16(w.x), h${j});
        l${j} = fma(x2, lo16(w.y), l${j}); h${j} = fma(x3, hi16(w.y), h${j});
        l${j} = fma(x4, lo16(w.z), l${j}); h${j} = fma(x5, hi16(w.z), h${j});
        l${j} = fma(x6, lo16(w.w), l${j}); h${j} = fma(x7, hi16(w.w), h${j}); }` : `      { let w = words[r${j} * n_units + i];
        s${j} += dot(x0, lo16(w.x)) + dot(x1, hi16(w.x)) + dot(x2, lo16(w.y)) + dot(x3, hi16(w.y))
              + dot(x4, lo16(w.z)) + dot(x5, hi16(w.z)) + dot(x6, lo16(w.w)) + dot(x7, hi16(w.w)); }`)}`
    : `${xi}      let x0 = xs[8u * iu]; let x1 = xs[8u * iu + 1u]; let x2 = xs[8u * iu + 2u]; let x3 = xs[8u * iu + 3u];
      let x4 = xs[8u * iu + 4u]; let x5 = xs[8u * iu + 5u]; let x6 = xs[8u * iu + 6u]; let x7 = xs[8u * iu + 7u];
${rowsOf((j) => d.fma ? `      { let w = words[r${j} * n_units + i];
        l${j} = fma(x0, lo16(w.x), l${j}); h${j} = fma(x1, hi16(w.x), h${j});
        l${j} = fma(x2, lo16(w.y), l${j}); h${j} = fma(x3, hi16(w.y), h${j});
        l${j} = fma(x4, lo16(w.z), l${j}); h${j} = fma(x5, hi16(w.z), h${j});
        l${j} = fma(x6, lo16(w.w), l${j}); h${j} = fma(x7, hi16(w.w), h${j}); }` : `      { let w = words[r${j} * n_units + i];
        s${j} += dot(x0, lo16(w.x)) + dot(x1, hi16(w.x)) + dot(x2, lo16(w.y)) + dot(x3, hi16(w.y))
              + dot(x4, lo16(w.z)) + dot(x5, hi16(w.z)) + dot(x6, lo16(w.w)) + dot(x7, hi16(w.w)); }`)}`
    : `${xi}      let x0 = xs[2u * iu]; let x1 = xs[2u * iu + 1u];
${rowsOf((j) => `      { let w = words[r${j} * n_units + i]; s${j} += dot(x0, lo16(w)) + dot(x1, hi16(w)); }`)}`;
  return `${header}
  let n_units = ${unit};
  let per_group = ${per};
${rowsOf((j) => `  var a${j} = 0.0;`)}
  for (var g = 0u; g < p.n_groups; g++) {
${rowsOf((j) => d.fma ? `    var l${j} = vec4<f32>(0.0); var h${j} = vec4<f32>(0.0);` : `    var s${j} = 0.0;`)}
    for (var i = g * per_group; i < (g + 1u) * per_group; i++) {
${body}
    }
${d.fma ? rowsOf((j) => `    let s${j} = dot(l${j} + h${j}, vec4<f32>(1.0));`) : ''}
    let gu = ${d.bcast ? 'subgroupBroadcastFirst(g)' : 'g'};
    let gs = ${d.ubo ? 'gsum[gu / 4u][gu % 4u]' : 'gsum[gu]'};
${rowsOf((j) => `    { let s_z = sz[g * p.rows + r${j}]; a${j} += unpack2x16float(s_z).x * (s${j} - f32((s_z >> 16u) & 0xffu) * gs); }`)}
  }
${stores((j) => `a${j}`)}
}`;
}

/**
 * x quantised to int8 per group (llama.cpp's Q8 x Q4 idea) and the packed dot product: per word, nibbles
 * 0,2,4,6 and 1,3,5,7 as bytes (one mask each) against x packed the same way; i32 sums per group.
 *   xs8:  array<vec4<u32>> [row_words / 4 * 2]: quad q = (lo of words 4q..4q+3), (hi of words 4q..4q+3)
 *   gq8:  array<vec2<f32>> [n_groups]: (x scale, x scale * sum of the group's int8 x)
 */
function i8Source(R: number): string {
  const rowsOf = (f: (j: number) => string) => Array.from({ length: R }, (_, j) => f(j)).join('\n');
  return `enable subgroups;
requires packed_4x8_integer_dot_product;
struct Params { K: u32, rows: u32, row_start: u32, n_groups: u32, group_words: u32, row_words: u32, has_bias: u32, accumulate: u32, _u: u32, stride: u32, n_out: u32, _p0: u32 }
@group(0) @binding(0) var<storage, read> xs8: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> words: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> sz: array<u32>;
@group(0) @binding(3) var<storage, read> gq8: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;
const M = 0x0f0f0f0fu;
fn qd(w: vec4<u32>, lo: vec4<u32>, hi: vec4<u32>) -> i32 {
  return dot4I8Packed(w.x & M, lo.x) + dot4I8Packed((w.x >> 4u) & M, hi.x) + dot4I8Packed(w.y & M, lo.y) + dot4I8Packed((w.y >> 4u) & M, hi.y)
       + dot4I8Packed(w.z & M, lo.z) + dot4I8Packed((w.z >> 4u) & M, hi.z) + dot4I8Packed(w.w & M, lo.w) + dot4I8Packed((w.w >> 4u) & M, hi.w);
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let t = gid.x + gid.y * p.stride;
  let base = (t / 64u) * ${64 * R}u + (t % 64u);
${rowsOf((j) => `  let r${j} = min(base + ${j * 64}u, p.rows - 1u);`)}
  let n_units = p.row_words / 4u;
  let per_group = p.group_words / 4u;
${rowsOf((j) => `  var a${j} = 0.0;`)}
  for (var g = 0u; g < p.n_groups; g++) {
${rowsOf((j) => `    var s${j} = 0i;`)}
    for (var i = g * per_group; i < (g + 1u) * per_group; i++) {
      let xv = xs8[2u * i + (lane & 1u)];
      let lo = subgroupBroadcast(xv, 0u); let hi = subgroupBroadcast(xv, 1u);
${rowsOf((j) => `      s${j} += qd(words[r${j} * n_units + i], lo, hi);`)}
    }
    let gq = gq8[g];
${rowsOf((j) => `    { let s_z = sz[g * p.rows + r${j}]; a${j} += unpack2x16float(s_z).x * (f32(s${j}) * gq.x - f32((s_z >> 16u) & 0xffu) * gq.y); }`)}
  }
${rowsOf((j) => `  if (base + ${j * 64}u < p.rows) { y[base + ${j * 64}u] = a${j}; }`)}
}`;
}

function threadsFor(d: Design, rows: number): number {
  return d.map === 'strided' ? Math.ceil(rows / (d.wg * d.rows)) * d.wg : Math.ceil(Math.ceil(rows / d.rows) / d.wg) * d.wg;
}

interface Timed { name: string; bytes: number; encode: EncodeFn; reps: number; best: number; all: number[] }

async function main(): Promise<void> {
  const ctx: GpuContext = await acquireGpu(nodeGpu());
  const packed = randomPackedGptq(K, N, G);
  const wordBytes = packed.words.byteLength, szBytes = packed.sz.byteLength;
  const copies = Math.max(1, Math.ceil((mib * 2 ** 20) / (wordBytes + szBytes)));
  const ws: GpuGptq[] = Array.from({ length: copies }, (_, i) => uploadGptq(ctx, packed, { label: `diag.w${i}` }));
  const rowWords = ws[0].rowWords;
  const x = randomX(K);
  const xs = new Float32Array(rowWords * 8);
  for (let p = 0; p < K; p++) xs[p] = x[p] * 16 ** -(p % 4);
  const gs = new Float32Array(packed.nGroups);
  for (let p = 0; p < K; p++) gs[Math.floor(p / G)] += x[p];
  const xsBuf = uploadBuffer(ctx, xs), gsBuf = uploadBuffer(ctx, gs); // f32 [rowWords * 8], f32 [nGroups]
  // The same as uniform buffers of the declared sizes (vec4<f32> [4096] and [256])
  const xsU = createBuffer(ctx, 65536, UNIFORM, 'diag.xs-uniform'), gsU = createBuffer(ctx, 4096, UNIFORM, 'diag.gsum-uniform');
  ctx.device.queue.writeBuffer(xsU, 0, xs); ctx.device.queue.writeBuffer(gsU, 0, gs);
  const y = createBuffer(ctx, N * 4, STORAGE, 'diag.y'); // f32 [N]
  // x as int8 per group for the dot4I8Packed design (i8Source)
  const xs8 = new Uint32Array(rowWords * 2), gq8 = new Float32Array(packed.nGroups * 2);
  for (let g = 0; g < packed.nGroups; g++) {
    let m = 0;
    for (let p = g * G; p < Math.min((g + 1) * G, K); p++) m = Math.max(m, Math.abs(x[p]));
    const sc = m / 127 || 1;
    let qs = 0;
    for (let p = g * G; p < Math.min((g + 1) * G, K); p++) {
      const q = Math.round(x[p] / sc); qs += q;
      const w = p >> 3, j = p & 7, quad = w >> 2, c = w & 3;
      const idx = (2 * quad + (j & 1)) * 4 + c; // lo (even nibbles) vec4 then hi (odd) vec4 of the quad
      xs8[idx] |= (q & 255) << (8 * (j >> 1));
    }
    gq8[2 * g] = sc; gq8[2 * g + 1] = sc * qs;
  }
  const xs8Buf = uploadBuffer(ctx, xs8), gq8Buf = uploadBuffer(ctx, gq8); // u32 [rowWords * 2], vec2<f32> [nGroups]
  const want = gptqLinearCpu(x, packed);
  const timer = new GpuTimer(ctx);
  const timed: Timed[] = [];

  const designs = (arg('--only') ?? 'today,rows-vec4 r2,rows-vec4 r4,xor u32 r4 wg64 strided,xor vec4 r2 wg64 strided').split(',').map(parseDesign);
  for (const d of designs) {
    const name = designName(d);
    const code = d.today ? matvecCode : d.shipped ? rowsVec4Code : d.i8 ? i8Source(d.rows) : designSource(d);
    const pipeline = getPipelineWithConstants(ctx, `diag ${name}`, code, d.shipped ? { R: d.shipped } : {});
    const threads = threadsFor(d, N);
    const gridX = Math.min(Math.ceil(threads / d.wg), ctx.limits.maxComputeWorkgroupsPerDimension);
    const params = uniformBuffer(ctx, uniformWords([K, N, 0, packed.nGroups, G / 8, rowWords, 0, 0, d.shipped ? gridX : 0, gridX * d.wg, N, 0]));
    const layout = pipeline.getBindGroupLayout(0);
    const bgs = ws.map((w) => ctx.device.createBindGroup({ layout, entries: [
      ...(d.math === 'full' ? [{ binding: 0, resource: { buffer: d.i8 ? xs8Buf : d.ubo ? xsU : xsBuf } }, { binding: 2, resource: { buffer: w.chunks[0].sz } }, { binding: 3, resource: { buffer: d.i8 ? gq8Buf : d.ubo ? gsU : gsBuf } }] : []),
      { binding: 1, resource: { buffer: w.chunks[0].words } },
      ...(d.today || d.shipped ? [{ binding: 4, resource: { buffer: gsBuf } }] : []),
      { binding: 5, resource: { buffer: y } },
      { binding: 6, resource: { buffer: params } },
    ] }));
    const wgs = Math.ceil(threads / d.wg);
    const encode: EncodeFn = (pass) => { pass.setPipeline(pipeline); for (const bg of bgs) { pass.setBindGroup(0, bg); dispatchWorkgroups(pass, gridX, wgs); } };
    if (d.math === 'full') {
      const t0 = performance.now();
      await timer.time((pass) => { pass.setPipeline(pipeline); pass.setBindGroup(0, bgs[0]); dispatchWorkgroups(pass, gridX, wgs); }, 1);
      const got = new Float32Array(await readBuffer(ctx, y, N * 4));
      let mx = 0, err = 0;
      for (let i = 0; i < N; i++) { mx = Math.max(mx, Math.abs(want[i])); err = Math.max(err, Math.abs(got[i] - want[i])); }
      console.log(`${name}: compiled + first run ${(performance.now() - t0).toFixed(0)} ms, max |Δy| / max |y| vs CPU twin ${(err / mx).toExponential(2)}`);
      if (!(err / mx < (d.i8 ? 5e-2 : 1e-5))) throw new Error(`${name} is wrong`);
    }
    const bytes = copies * (d.math === 'full' ? wordBytes + szBytes : wordBytes);
    timed.push({ name, bytes, encode, reps: await calibrateReps(timer, encode, minMs, 16), best: Infinity, all: [] });
  }
  for (const [wg, run] of [[256, 256], [64, 64]]) {
    const k = new ReadBandwidthKernel(ctx, { kind: 'contiguous', workgroupSize: wg, run });
    const bs = ws.map((w) => k.bind(w.chunks[0].words, wordBytes));
    const encode: EncodeFn = (pass) => { for (const b of bs) k.encode(pass, b); };
    timed.push({ name: `probe contiguous wg${wg} run${run} (same words)`, bytes: copies * wordBytes, encode, reps: await calibrateReps(timer, encode, minMs, 16), best: Infinity, all: [] });
  }
  const roof = argv.includes('--no-roofline') ? null : await RooflineProbe.create(ctx, { minMs: 30 });
  console.log(`adapter ${ctx.adapterName}; K=${K} N=${N} g${G}; ${copies} copies (${((copies * (wordBytes + szBytes)) / 2 ** 20).toFixed(0)} MiB) per measurement; ${rounds} interleaved rounds`);
  for (let r = 0; r < rounds; r++) {
    const line: string[] = [];
    for (const t of timed) { const ms = await timer.time(t.encode, t.reps); t.all.push(ms); t.best = Math.min(t.best, ms); line.push(`${(t.bytes / (ms / 1000) / 1e9).toFixed(2)}`); }
    if (roof) await roof.round();
    if (!argv.includes('--quiet')) console.log(`round ${r + 1} GB/s: ${line.join('  ')}`);
  }
  const rr = roof ? await roof.result() : null;
  const ref = rr?.gbps ?? Math.max(...timed.filter((t) => t.name.startsWith('probe')).map((t) => t.bytes / (t.best / 1000) / 1e9));
  const probe = timed.find((t) => t.name.startsWith('probe'))!;
  const gbpsOf = (t: Timed, ms: number) => t.bytes / (ms / 1000) / 1e9;
  // Per-round ratios (same round = same machine load): median over rounds is what to read on a shared machine.
  console.log(`honest roofline: ${rr ? `${rr.gbps.toFixed(2)} GB/s (${rr.best})` : 'not measured (--no-roofline): fractions of the best probe'}`);
  console.log(`design                                   ms/layer   GB/s (best)  of roofline   median per-round: vs ${timed[0].name.slice(0, 24)}, vs probe wg256`);
  for (const t of timed) {
    const gbps = gbpsOf(t, t.best);
    const vsFirst = median(t.all.map((ms, r) => timed[0].all[r] / ms));
    const vsProbe = median(t.all.map((ms, r) => gbpsOf(t, ms) / gbpsOf(probe, probe.all[r])));
    console.log(`${t.name.padEnd(40)} ${(t.best / copies).toFixed(3).padStart(8)} ${gbps.toFixed(2).padStart(10)} ${(gbps / ref).toFixed(3).padStart(11)}   ${vsFirst.toFixed(2).padStart(8)}x ${vsProbe.toFixed(3).padStart(8)}`);
  }
  roof?.destroy();
  timer.destroy();
  ctx.device.destroy();
}

await main();
