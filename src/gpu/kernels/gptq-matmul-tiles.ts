// Tile shapes of the GPTQ prefill matmul (the autotuner picks one per layer shape; src/gpu/autotune-matmul.ts).
// Every tile is generated here from one algorithm with a different
//   tokens per thread (TM) x rows per thread (RT) x workgroup size (WG), the weight load width:
//   u32 (one packed word = 8 positions per load) or vec4 (one vec4<u32> = 32 positions per load; needs whole
//   quads inside a group and K % 32 == 0, so no load reads the zero padding of a row past the x of the token),
//   and the workgroup order (row blocks of one token tile first, or the token tiles of one row block first).
// The default tile (DEFAULT_MATMUL_TILE, used where nothing was tuned) is this generator's output written to
// shaders/gptq-matmul.wgsl by scripts/write-gptq-matmul-default.ts (a test checks the file is current).
// Generated rather than written with override constants and private arrays: dynamic indexing of private
// arrays becomes scratch memory on CPU adapters, so every accumulator is its own register variable. All tiles compute the same y as gptqLinearCpu (src/gpu/cpu/gptq-linear.ts), in the
// same order within a row and token (group by group, position by position inside 4-wide dots), so one CPU twin
// serves them all (tests/gpu/kernels-gptq-matmul-tiles.test.ts).

import { emitTokenTileFlag, emitUpperTokens, emitWorkgroupOrigin, range, tileDispatchThreads, tokenHalves, tokensCopied } from './matmul-tile-emit';

export interface GptqMatmulTile {
  /** Stable id, e.g. "tm4 rt8 wg64" (the default), "tm8 rt4 wg64 v4". */
  name: string;
  /** Tokens per thread (TM). */
  tokens: number;
  /** Output rows per thread (RT): thread lid owns rows lid + WG i of its workgroup's block. */
  rows: number;
  /** Threads per workgroup (WG). */
  workgroup: number;
  /** Weight loads of a vec4<u32> (32 positions) instead of one u32 word (8 positions). */
  vec4: boolean;
  /**
   * Workgroup order "tokens first" (" tf"): consecutive workgroups take the token tiles of one row block (its
   * weights stay in the core's cache while they are reused for every token tile) instead of the row blocks of
   * one token tile (the whole layer streamed once per token tile).
   */
  tokensFirst?: boolean;
}

export function tileName(t: Omit<GptqMatmulTile, 'name'>): string {
  return `tm${t.tokens} rt${t.rows} wg${t.workgroup}${t.vec4 ? ' v4' : ''}${t.tokensFirst ? ' tf' : ''}`;
}

function tile(tokens: number, rows: number, workgroup: number, vec4: boolean, tokensFirst = false): GptqMatmulTile {
  return { name: tileName({ tokens, rows, workgroup, vec4, tokensFirst }), tokens, rows, workgroup, vec4, ...(tokensFirst ? { tokensFirst } : {}) };
}

/**
 * The tile of shaders/gptq-matmul.wgsl: 32 threads x 8 rows x 8 tokens, token tiles of a row block first. Chosen
 * on lavapipe (docs/PERFORMANCE-NOTES.md, "default prefill matmul tile"): 1.07-1.26x the previous default
 * (tm4 rt8 wg64) on the fused TinyLlama shapes at M = 64 and 16, 0.95-1.47x the old-layout kernel (median per-round
 * ratios); on SwiftShader 1.18-1.26x the previous default. Where tuning runs, the tuner decides.
 */
export const DEFAULT_MATMUL_TILE: GptqMatmulTile = tile(8, 8, 32, false, true);

/** Every tile the autotuner considers, the default first. */
export const GPTQ_MATMUL_TILES: GptqMatmulTile[] = [
  DEFAULT_MATMUL_TILE,
  tile(4, 8, 64, false), // the default until 2026-12-01: 512-row blocks, row blocks of a token tile first
  tile(4, 8, 32, false), // half the rows per workgroup: twice the workgroups
  tile(8, 8, 32, false), // and every weight word used for 8 tokens (the default's shape, row blocks first)
  tile(8, 8, 64, false),
  tile(4, 4, 64, false), // 256-row blocks: small N (k/v projections) wastes no work
  tile(8, 8, 64, true), // wide loads (GPU-shaped)
  tile(4, 4, 128, true), // more threads, wide loads (GPU-shaped)
];

export function gptqMatmulTileByName(name: string): GptqMatmulTile | null {
  return GPTQ_MATMUL_TILES.find((t) => t.name === name) ?? null;
}

/** Any tile by its name ("tm8 rt8 wg32 v4"), listed or not (benchmarks try tiles the tuner is not offered). */
export function parseTileName(name: string): GptqMatmulTile | null {
  const m = /^tm(\d+) rt(\d+) wg(\d+)( v4)?( tf)?$/.exec(name.trim());
  return m ? tile(Number(m[1]), Number(m[2]), Number(m[3]), !!m[4], !!m[5]) : null;
}

/** Whether a tile can run a layer (the vec4 tiles need K % 32 == 0 and no 32-position quad across groups). */
export function tileSupports(t: GptqMatmulTile, w: { K: number; groupSize: number; nGroups: number }): boolean {
  if (!t.vec4) return true;
  return w.K % 32 === 0 && (w.groupSize % 32 === 0 || w.nGroups === 1);
}

/** Output rows one workgroup covers. */
export function tileRowsPerWorkgroup(t: GptqMatmulTile): number {
  return t.workgroup * t.rows;
}

/** Dispatch units of 64 threads (the grid unit of the wrapper: see `stride / 64u` below) for rows x m tokens. */
export function tileThreads(t: GptqMatmulTile, rows: number, m: number): number {
  return tileDispatchThreads(t, rows, m);
}

/** The WGSL of a tile (the default tile's is also in shaders/gptq-matmul.wgsl, which the engine loads). */
export function gptqMatmulTileSource(t: GptqMatmulTile): string {
  const { tokens: TM, rows: RT, workgroup: WG, vec4 } = t;
  const R = range(RT), T = range(TM);
  // Positions per weight load: 8 (u32) or 32 (vec4); x quads (4 positions) per load: 2 or 8.
  const quadsPerLoad = vec4 ? 8 : 2;
  const loadsPerTile = vec4 ? 4 : 16; // a K tile = 128 positions = 16 words
  const tileQuads = loadsPerTile * quadsPerLoad; // 32 x quads per token per tile
  const L: string[] = [];
  const e = (s: string) => L.push(s);
  const isDefault = t.name === DEFAULT_MATMUL_TILE.name;
  e(`// GENERATED by src/gpu/kernels/gptq-matmul-tiles.ts (tile "${t.name}"${isDefault ? ', the default tile' : ''}).`);
  if (isDefault) e('// Written to shaders/gptq-matmul.wgsl by scripts/write-gptq-matmul-default.ts: edit the generator, not the file.');
  e('// GPTQ 4-bit linear, several tokens (prefill): y[m, n] (+)= sum_k x[m, k] W[n, k] (+ bias[n]) on the repacked');
  e('// layout of src/gpu/gptq-repack.ts, for the rows of ONE row chunk (the wrapper dispatches once per chunk):');
  e('//   y[m, n] = sum_g scale * (sum_{p in g} xs[m, p] * q16(n, p)  -  zero * gsum[m, g])');
  e('// xs / gsum come from shaders/gptq-prepare-x.wgsl (once per linear): x in packed order scaled by 16^-(p % 4),');
  e('// and the per-group sums of x; q16 = nibble * 16^(p % 4) is one mask + convert per nibble (see gptq-matvec.wgsl).');
  e(`// Tiling: a workgroup of ${WG} computes ${WG * RT} rows x TM = ${TM} tokens; thread lid owns rows lid + ${WG} i (i < RT = ${RT})`);
  e(`// and all TM tokens (${TM * RT} register accumulators). Per K tile (128 positions, at most one group) the x of the TM`);
  e(`// tokens is copied once into workgroup memory; every weight load (${vec4 ? 'one vec4<u32> = 32 positions' : 'one u32 word = 8 positions'}) is dequantised once`);
  e('// and used for TM tokens. The zero-point term is subtracted once per group: zero * scale * gsum.');
  if (TM >= 8) e(`// A token tile with at most ${TM / 2} tokens (short prefill chunks, the ragged last tile) skips the work of tokens ${TM / 2}..${TM - 1}`);
  if (TM >= 8) e('// (uniform branch `full`, once per weight load, in the one K loop).');
  e('// Bindings:');
  e('//   @binding(0) xs:    array<vec4<f32>>  [M, K / 4]       read');
  e(`//   @binding(1) words: ${vec4 ? 'array<vec4<u32>>  [rows, row_words / 4]' : 'array<u32>  [rows, row_words]     '}  read; nibble j of word w = q at packed position 8w + j`);
  e('//   @binding(2) sz:    array<u32>  [n_groups, rows]       read; bits 0..15 f16 scale, bits 16..23 zero point');
  e('//   @binding(3) gsum:  array<f32>  [M, n_groups]          read');
  e('//   @binding(4) bias:  array<f32>  [N] (or [4] unused)    read');
  e('//   @binding(5) y:     array<f32>  [M, N]                 read-write');
  e('//   @binding(6) p:     Params      uniform');
  e('//   @binding(7) step:  Step        uniform (M = Step.m)');
  e(`// Dispatch: ceil(rows / ${WG * RT}) * ceil(Step.m / ${TM}) workgroups of ${WG}, folded into (x, y) in units of 64 threads`);
  e('// (stride = x * 64: workgroup index = wid.x + wid.y * stride / 64). Rows past the chunk compute on its last row');
  e('// and write nothing; tokens past M re-read the last token.');
  e(t.tokensFirst
    ? '// Order: workgroup w takes token tile w % ceil(M / TM) of row block w / ceil(M / TM) (a row block\'s weights stay in cache across its token tiles).'
    : '// Order: workgroup w takes row block w % row_blocks of token tile w / row_blocks.');
  e('');
  e('struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }');
  e('struct Params {');
  e('  K: u32, rows: u32, row_start: u32, n_groups: u32,');
  e('  group_words: u32, row_words: u32, has_bias: u32, accumulate: u32,');
  e('  _unused2: u32, stride: u32, n_out: u32, _p0: u32,');
  e('}');
  e('');
  e('@group(0) @binding(0) var<storage, read> xs: array<vec4<f32>>;');
  e(`@group(0) @binding(1) var<storage, read> words: array<${vec4 ? 'vec4<u32>' : 'u32'}>;`);
  e('@group(0) @binding(2) var<storage, read> sz: array<u32>;');
  e('@group(0) @binding(3) var<storage, read> gsum: array<f32>;');
  e('@group(0) @binding(4) var<storage, read> bias: array<f32>;');
  e('@group(0) @binding(5) var<storage, read_write> y: array<f32>;');
  e('@group(0) @binding(6) var<uniform> p: Params;');
  e('@group(0) @binding(7) var<uniform> step: Step;');
  e('');
  e(`const TM: u32 = ${TM}u;`);
  e(`const RT: u32 = ${RT}u;`);
  e(`const WG: u32 = ${WG}u;`);
  e(`const LT: u32 = ${loadsPerTile}u; // weight loads per row per K tile (128 positions)`);
  e(`const TQ: u32 = ${tileQuads}u; // x quads per token per K tile`);
  e('const MASK = vec4<u32>(0xfu, 0xf0u, 0xf00u, 0xf000u);');
  e(`var<workgroup> xt: array<vec4<f32>, ${TM * tileQuads}>; // [TM][TQ] x quads of the current K tile`);
  e('');
  e(`@compute @workgroup_size(${WG})`);
  e('fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {');
  emitWorkgroupOrigin(e, !!t.tokensFirst);
  e('  let K4 = p.K / 4u;');
  e('  let last = M - 1u;');
  e('  let ng = p.n_groups;');
  // Load index units: words (u32) or quads of words (vec4).
  e(vec4 ? '  let row_loads = p.row_words / 4u;' : '  let row_loads = p.row_words;');
  e(vec4 ? '  let group_loads = (p.group_words + 3u) / 4u;' : '  let group_loads = p.group_words;');
  e(vec4 ? '  let k_loads = p.K / 32u;' : '  let k_loads = K4 / 2u;');
  for (const i of R) e(`  let r${i} = min(r_base + ${WG * i}u, p.rows - 1u);`);
  for (const j of T) {
    e(`  let t${j} = min(m0 + ${j}u, last);`);
    for (const i of R) e(`  var a${i}_${j} = 0.0;`);
  }
  // The K loop: the lower tokens always, the upper ones (TM >= 8) under the uniform `full` (tokenHalves).
  const { lower, upper } = tokenHalves(TM);
  emitTokenTileFlag(e, TM);
  const f = (s: string) => e('  ' + s);
  f('for (var g = 0u; g < ng; g++) {');
  for (const i of R) f(`  let sz${i} = sz[g * p.rows + r${i}]; let sc${i} = unpack2x16float(sz${i}).x;`);
  f('  let w0 = g * group_loads;');
  f('  let w1 = min(w0 + group_loads, k_loads);');
  f('  for (var k0 = w0; k0 < w1; k0 += LT) {');
  f('    let nw = min(LT, w1 - k0);');
  f('    workgroupBarrier();');
  f(`    for (var i = lid; i < ${tokensCopied(TM)} * TQ; i += WG) {`);
  f('      let t = i / TQ; let j = i - t * TQ;');
  f(`      if (j < ${quadsPerLoad}u * nw) { xt[i] = xs[min(m0 + t, last) * K4 + ${quadsPerLoad}u * k0 + j]; }`);
  f('    }');
  f('    workgroupBarrier();');
  f('    for (var j = 0u; j < nw; j++) {');
  f('      let wi = k0 + j;');
  f(`      let o = ${quadsPerLoad}u * j;`);
  for (const i of R) f(`      let wd${i} = words[r${i} * row_loads + wi];`);
  for (let h = 0; h < quadsPerLoad; h++) {
    // quad h of the load: word h / 2 of it (the u32 itself when not vec4), its low or high 16 bits
    const comp = vec4 ? `.${'xyzw'[h >> 1]}` : '';
    const shift = h & 1 ? ' >> 16u' : '';
    for (const j of lower) f(`      let x${j}_${h} = xt[${j * tileQuads}u + o + ${h}u];`);
    for (const i of R) {
      f(`      let q${i}_${h} = vec4<f32>(vec4<i32>(vec4<u32>(wd${i}${comp}${shift}) & MASK)) * sc${i};`);
      for (const j of lower) f(`      a${i}_${j} += dot(x${j}_${h}, q${i}_${h});`);
    }
  }
  emitUpperTokens((s) => f('      ' + s), upper, (g) => {
    for (let h = 0; h < quadsPerLoad; h++) {
      for (const j of upper) g(`let x${j}_${h} = xt[${j * tileQuads}u + o + ${h}u];`);
      for (const i of R) for (const j of upper) g(`a${i}_${j} += dot(x${j}_${h}, q${i}_${h});`);
    }
  });
  f('    }');
  f('  }');
  for (const j of lower) f(`  let gs${j} = gsum[t${j} * ng + g];`);
  for (const i of R) {
    f(`  let zs${i} = sc${i} * f32((sz${i} >> 16u) & 0xffu);`);
    for (const j of lower) f(`  a${i}_${j} -= zs${i} * gs${j};`);
  }
  emitUpperTokens((s) => f('  ' + s), upper, (g) => {
    for (const j of upper) g(`let gs${j} = gsum[t${j} * ng + g];`);
    for (const i of R) for (const j of upper) g(`a${i}_${j} -= zs${i} * gs${j};`);
  });
  f('}');
  e('  let acc = p.accumulate != 0u;');
  for (const i of R) {
    e(`  let ro${i} = r_base + ${WG * i}u;`);
    e(`  if (ro${i} < p.rows) {`);
    e(`    let n = p.row_start + ro${i};`);
    e('    var b = 0.0;');
    e('    if (p.has_bias != 0u) { b = bias[n]; }');
    for (const j of T) e(`    if (m0 + ${j}u < M) { let o = (m0 + ${j}u) * p.n_out + n; var v = a${i}_${j} + b; if (acc) { v += y[o]; } y[o] = v; }`);
    e('  }');
  }
  e('}');
  return L.join('\n') + '\n';
}
