// GPTQ 4-bit linear, several tokens (prefill): y[m, n] (+)= sum_k x[m, k] W[n, k] (+ bias[n]) on the repacked
// layout of src/gpu/gptq-repack.ts, for the rows of ONE row chunk (the wrapper dispatches once per chunk).
//   y[m, n] = sum_g scale * (sum_{p in g} xs[m, p] * q16(n, p)  -  zero * gsum[m, g])
// xs / gsum come from shaders/gptq-prepare-x.wgsl (once per linear): x in packed order scaled by 16^-(p % 4),
// and the per-group sums of x; q16 = nibble * 16^(p % 4) is one mask + convert per nibble (see gptq-matvec.wgsl).
// Tiling: a workgroup of 64 computes 512 rows x TM = 4 tokens; thread `lid` owns rows lid + 64 i (i < RT = 8,
// each row read contiguously along K, one 64-byte run per K tile) and all TM tokens: 32 register accumulators, unrolled by hand (no
// private arrays: dynamic indexing of those becomes scratch memory on CPU adapters). Per K tile (KT = 16 packed
// words = 128 positions, at most one group) the x of the TM tokens is copied once into workgroup memory (two
// barriers per tile, none per element); then every packed word is loaded and dequantised (scale folded in) once
// and used for TM tokens, and every x quad is read once from workgroup memory (same address for the whole
// workgroup) and used for RT rows. The zero-point term is subtracted once per group: zero * scale * gsum.
// Bindings:
//   @binding(0) xs:    array<vec4<f32>>  [M, K / 4]       read
//   @binding(1) words: array<u32>  [rows, row_words]      read; nibble j of word w = q at packed position 8w + j
//                                                       (row-major, rows padded to row_words = ceil(K/32)*4)
//   @binding(2) sz:    array<u32>  [n_groups, rows]       read; bits 0..15 f16 scale, bits 16..23 zero point
//   @binding(3) gsum:  array<f32>  [M, n_groups]          read
//   @binding(4) bias:  array<f32>  [N] (or [4] unused)    read
//   @binding(5) y:     array<f32>  [M, N]                 read-write
//   @binding(6) p:     Params      uniform
//   @binding(7) step:  Step        uniform (M = Step.m)
// Dispatch: ceil(rows / (64 RT)) * ceil(Step.m / TM) workgroups of 64, folded into (x, y); stride = x * 64.
// Workgroup w covers rows 64 RT (w % row_blocks) .. + 64 RT - 1 for tokens TM (w / row_blocks) .. + TM - 1;
// rows past the chunk compute on its last row and write nothing, tokens past M re-read the last token.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params {
  K: u32, rows: u32, row_start: u32, n_groups: u32,
  group_words: u32, row_words: u32, has_bias: u32, accumulate: u32,
  _unused2: u32, stride: u32, n_out: u32, _p0: u32,
}

@group(0) @binding(0) var<storage, read> xs: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> words: array<u32>;
@group(0) @binding(2) var<storage, read> sz: array<u32>;
@group(0) @binding(3) var<storage, read> gsum: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;
@group(0) @binding(7) var<uniform> step: Step;

const TM: u32 = 4u;
const RT: u32 = 8u;
const KT: u32 = 16u; // packed words per K tile
const MASK = vec4<u32>(0xfu, 0xf0u, 0xf00u, 0xf000u);
var<workgroup> xt: array<vec4<f32>, 128>; // [TM][2 KT] x quads of the current K tile

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let M = step.m;
  let row_blocks = (p.rows + 64u * RT - 1u) / (64u * RT);
  let wg = wid.x + wid.y * (p.stride / 64u);
  let m0 = (wg / row_blocks) * TM;
  let r_base = (wg % row_blocks) * 64u * RT + lid;
  if (m0 >= M) { return; } // uniform: whole workgroup
  let K4 = p.K / 4u;
  let last = M - 1u;
  let ng = p.n_groups;
  let r0 = min(r_base + 0u, p.rows - 1u);
  let r1 = min(r_base + 64u, p.rows - 1u);
  let r2 = min(r_base + 128u, p.rows - 1u);
  let r3 = min(r_base + 192u, p.rows - 1u);
  let r4 = min(r_base + 256u, p.rows - 1u);
  let r5 = min(r_base + 320u, p.rows - 1u);
  let r6 = min(r_base + 384u, p.rows - 1u);
  let r7 = min(r_base + 448u, p.rows - 1u);
  let t0 = min(m0 + 0u, last);
  var a0_0 = 0.0;
  var a1_0 = 0.0;
  var a2_0 = 0.0;
  var a3_0 = 0.0;
  var a4_0 = 0.0;
  var a5_0 = 0.0;
  var a6_0 = 0.0;
  var a7_0 = 0.0;
  let t1 = min(m0 + 1u, last);
  var a0_1 = 0.0;
  var a1_1 = 0.0;
  var a2_1 = 0.0;
  var a3_1 = 0.0;
  var a4_1 = 0.0;
  var a5_1 = 0.0;
  var a6_1 = 0.0;
  var a7_1 = 0.0;
  let t2 = min(m0 + 2u, last);
  var a0_2 = 0.0;
  var a1_2 = 0.0;
  var a2_2 = 0.0;
  var a3_2 = 0.0;
  var a4_2 = 0.0;
  var a5_2 = 0.0;
  var a6_2 = 0.0;
  var a7_2 = 0.0;
  let t3 = min(m0 + 3u, last);
  var a0_3 = 0.0;
  var a1_3 = 0.0;
  var a2_3 = 0.0;
  var a3_3 = 0.0;
  var a4_3 = 0.0;
  var a5_3 = 0.0;
  var a6_3 = 0.0;
  var a7_3 = 0.0;
  for (var g = 0u; g < ng; g++) {
    let sz0 = sz[g * p.rows + r0]; let sc0 = unpack2x16float(sz0).x;
    let sz1 = sz[g * p.rows + r1]; let sc1 = unpack2x16float(sz1).x;
    let sz2 = sz[g * p.rows + r2]; let sc2 = unpack2x16float(sz2).x;
    let sz3 = sz[g * p.rows + r3]; let sc3 = unpack2x16float(sz3).x;
    let sz4 = sz[g * p.rows + r4]; let sc4 = unpack2x16float(sz4).x;
    let sz5 = sz[g * p.rows + r5]; let sc5 = unpack2x16float(sz5).x;
    let sz6 = sz[g * p.rows + r6]; let sc6 = unpack2x16float(sz6).x;
    let sz7 = sz[g * p.rows + r7]; let sc7 = unpack2x16float(sz7).x;
    let w0 = g * p.group_words;
    let w1 = min(w0 + p.group_words, K4 / 2u);
    for (var k0 = w0; k0 < w1; k0 += KT) {
      let nw = min(KT, w1 - k0);
      workgroupBarrier();
      for (var i = lid; i < 128u; i += 64u) {
        let t = i / (2u * KT); let j = i - t * 2u * KT;
        if (j < 2u * nw) { xt[i] = xs[min(m0 + t, last) * K4 + 2u * k0 + j]; }
      }
      workgroupBarrier();
      for (var j = 0u; j < nw; j++) {
        let wi = k0 + j;
        let o = 2u * j;
        let wd0 = words[r0 * p.row_words + wi];
        let wd1 = words[r1 * p.row_words + wi];
        let wd2 = words[r2 * p.row_words + wi];
        let wd3 = words[r3 * p.row_words + wi];
        let wd4 = words[r4 * p.row_words + wi];
        let wd5 = words[r5 * p.row_words + wi];
        let wd6 = words[r6 * p.row_words + wi];
        let wd7 = words[r7 * p.row_words + wi];
        let x0_0 = xt[0u + o + 0u];
        let x1_0 = xt[32u + o + 0u];
        let x2_0 = xt[64u + o + 0u];
        let x3_0 = xt[96u + o + 0u];
        let q0_0 = vec4<f32>(vec4<i32>(vec4<u32>(wd0) & MASK)) * sc0;
        a0_0 += dot(x0_0, q0_0);
        a0_1 += dot(x1_0, q0_0);
        a0_2 += dot(x2_0, q0_0);
        a0_3 += dot(x3_0, q0_0);
        let q1_0 = vec4<f32>(vec4<i32>(vec4<u32>(wd1) & MASK)) * sc1;
        a1_0 += dot(x0_0, q1_0);
        a1_1 += dot(x1_0, q1_0);
        a1_2 += dot(x2_0, q1_0);
        a1_3 += dot(x3_0, q1_0);
        let q2_0 = vec4<f32>(vec4<i32>(vec4<u32>(wd2) & MASK)) * sc2;
        a2_0 += dot(x0_0, q2_0);
        a2_1 += dot(x1_0, q2_0);
        a2_2 += dot(x2_0, q2_0);
        a2_3 += dot(x3_0, q2_0);
        let q3_0 = vec4<f32>(vec4<i32>(vec4<u32>(wd3) & MASK)) * sc3;
        a3_0 += dot(x0_0, q3_0);
        a3_1 += dot(x1_0, q3_0);
        a3_2 += dot(x2_0, q3_0);
        a3_3 += dot(x3_0, q3_0);
        let q4_0 = vec4<f32>(vec4<i32>(vec4<u32>(wd4) & MASK)) * sc4;
        a4_0 += dot(x0_0, q4_0);
        a4_1 += dot(x1_0, q4_0);
        a4_2 += dot(x2_0, q4_0);
        a4_3 += dot(x3_0, q4_0);
        let q5_0 = vec4<f32>(vec4<i32>(vec4<u32>(wd5) & MASK)) * sc5;
        a5_0 += dot(x0_0, q5_0);
        a5_1 += dot(x1_0, q5_0);
        a5_2 += dot(x2_0, q5_0);
        a5_3 += dot(x3_0, q5_0);
        let q6_0 = vec4<f32>(vec4<i32>(vec4<u32>(wd6) & MASK)) * sc6;
        a6_0 += dot(x0_0, q6_0);
        a6_1 += dot(x1_0, q6_0);
        a6_2 += dot(x2_0, q6_0);
        a6_3 += dot(x3_0, q6_0);
        let q7_0 = vec4<f32>(vec4<i32>(vec4<u32>(wd7) & MASK)) * sc7;
        a7_0 += dot(x0_0, q7_0);
        a7_1 += dot(x1_0, q7_0);
        a7_2 += dot(x2_0, q7_0);
        a7_3 += dot(x3_0, q7_0);
        let x0_1 = xt[0u + o + 1u];
        let x1_1 = xt[32u + o + 1u];
        let x2_1 = xt[64u + o + 1u];
        let x3_1 = xt[96u + o + 1u];
        let q0_1 = vec4<f32>(vec4<i32>(vec4<u32>(wd0 >> 16u) & MASK)) * sc0;
        a0_0 += dot(x0_1, q0_1);
        a0_1 += dot(x1_1, q0_1);
        a0_2 += dot(x2_1, q0_1);
        a0_3 += dot(x3_1, q0_1);
        let q1_1 = vec4<f32>(vec4<i32>(vec4<u32>(wd1 >> 16u) & MASK)) * sc1;
        a1_0 += dot(x0_1, q1_1);
        a1_1 += dot(x1_1, q1_1);
        a1_2 += dot(x2_1, q1_1);
        a1_3 += dot(x3_1, q1_1);
        let q2_1 = vec4<f32>(vec4<i32>(vec4<u32>(wd2 >> 16u) & MASK)) * sc2;
        a2_0 += dot(x0_1, q2_1);
        a2_1 += dot(x1_1, q2_1);
        a2_2 += dot(x2_1, q2_1);
        a2_3 += dot(x3_1, q2_1);
        let q3_1 = vec4<f32>(vec4<i32>(vec4<u32>(wd3 >> 16u) & MASK)) * sc3;
        a3_0 += dot(x0_1, q3_1);
        a3_1 += dot(x1_1, q3_1);
        a3_2 += dot(x2_1, q3_1);
        a3_3 += dot(x3_1, q3_1);
        let q4_1 = vec4<f32>(vec4<i32>(vec4<u32>(wd4 >> 16u) & MASK)) * sc4;
        a4_0 += dot(x0_1, q4_1);
        a4_1 += dot(x1_1, q4_1);
        a4_2 += dot(x2_1, q4_1);
        a4_3 += dot(x3_1, q4_1);
        let q5_1 = vec4<f32>(vec4<i32>(vec4<u32>(wd5 >> 16u) & MASK)) * sc5;
        a5_0 += dot(x0_1, q5_1);
        a5_1 += dot(x1_1, q5_1);
        a5_2 += dot(x2_1, q5_1);
        a5_3 += dot(x3_1, q5_1);
        let q6_1 = vec4<f32>(vec4<i32>(vec4<u32>(wd6 >> 16u) & MASK)) * sc6;
        a6_0 += dot(x0_1, q6_1);
        a6_1 += dot(x1_1, q6_1);
        a6_2 += dot(x2_1, q6_1);
        a6_3 += dot(x3_1, q6_1);
        let q7_1 = vec4<f32>(vec4<i32>(vec4<u32>(wd7 >> 16u) & MASK)) * sc7;
        a7_0 += dot(x0_1, q7_1);
        a7_1 += dot(x1_1, q7_1);
        a7_2 += dot(x2_1, q7_1);
        a7_3 += dot(x3_1, q7_1);
      }
    }
    let gs0 = gsum[t0 * ng + g];
    let gs1 = gsum[t1 * ng + g];
    let gs2 = gsum[t2 * ng + g];
    let gs3 = gsum[t3 * ng + g];
    let zs0 = sc0 * f32((sz0 >> 16u) & 0xffu);
    a0_0 -= zs0 * gs0;
    a0_1 -= zs0 * gs1;
    a0_2 -= zs0 * gs2;
    a0_3 -= zs0 * gs3;
    let zs1 = sc1 * f32((sz1 >> 16u) & 0xffu);
    a1_0 -= zs1 * gs0;
    a1_1 -= zs1 * gs1;
    a1_2 -= zs1 * gs2;
    a1_3 -= zs1 * gs3;
    let zs2 = sc2 * f32((sz2 >> 16u) & 0xffu);
    a2_0 -= zs2 * gs0;
    a2_1 -= zs2 * gs1;
    a2_2 -= zs2 * gs2;
    a2_3 -= zs2 * gs3;
    let zs3 = sc3 * f32((sz3 >> 16u) & 0xffu);
    a3_0 -= zs3 * gs0;
    a3_1 -= zs3 * gs1;
    a3_2 -= zs3 * gs2;
    a3_3 -= zs3 * gs3;
    let zs4 = sc4 * f32((sz4 >> 16u) & 0xffu);
    a4_0 -= zs4 * gs0;
    a4_1 -= zs4 * gs1;
    a4_2 -= zs4 * gs2;
    a4_3 -= zs4 * gs3;
    let zs5 = sc5 * f32((sz5 >> 16u) & 0xffu);
    a5_0 -= zs5 * gs0;
    a5_1 -= zs5 * gs1;
    a5_2 -= zs5 * gs2;
    a5_3 -= zs5 * gs3;
    let zs6 = sc6 * f32((sz6 >> 16u) & 0xffu);
    a6_0 -= zs6 * gs0;
    a6_1 -= zs6 * gs1;
    a6_2 -= zs6 * gs2;
    a6_3 -= zs6 * gs3;
    let zs7 = sc7 * f32((sz7 >> 16u) & 0xffu);
    a7_0 -= zs7 * gs0;
    a7_1 -= zs7 * gs1;
    a7_2 -= zs7 * gs2;
    a7_3 -= zs7 * gs3;
  }
  let acc = p.accumulate != 0u;
  let ro0 = r_base + 0u;
  if (ro0 < p.rows) {
    let n = p.row_start + ro0;
    var b = 0.0;
    if (p.has_bias != 0u) { b = bias[n]; }
    if (m0 + 0u < M) { let o = (m0 + 0u) * p.n_out + n; var v = a0_0 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 1u < M) { let o = (m0 + 1u) * p.n_out + n; var v = a0_1 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 2u < M) { let o = (m0 + 2u) * p.n_out + n; var v = a0_2 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 3u < M) { let o = (m0 + 3u) * p.n_out + n; var v = a0_3 + b; if (acc) { v += y[o]; } y[o] = v; }
  }
  let ro1 = r_base + 64u;
  if (ro1 < p.rows) {
    let n = p.row_start + ro1;
    var b = 0.0;
    if (p.has_bias != 0u) { b = bias[n]; }
    if (m0 + 0u < M) { let o = (m0 + 0u) * p.n_out + n; var v = a1_0 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 1u < M) { let o = (m0 + 1u) * p.n_out + n; var v = a1_1 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 2u < M) { let o = (m0 + 2u) * p.n_out + n; var v = a1_2 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 3u < M) { let o = (m0 + 3u) * p.n_out + n; var v = a1_3 + b; if (acc) { v += y[o]; } y[o] = v; }
  }
  let ro2 = r_base + 128u;
  if (ro2 < p.rows) {
    let n = p.row_start + ro2;
    var b = 0.0;
    if (p.has_bias != 0u) { b = bias[n]; }
    if (m0 + 0u < M) { let o = (m0 + 0u) * p.n_out + n; var v = a2_0 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 1u < M) { let o = (m0 + 1u) * p.n_out + n; var v = a2_1 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 2u < M) { let o = (m0 + 2u) * p.n_out + n; var v = a2_2 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 3u < M) { let o = (m0 + 3u) * p.n_out + n; var v = a2_3 + b; if (acc) { v += y[o]; } y[o] = v; }
  }
  let ro3 = r_base + 192u;
  if (ro3 < p.rows) {
    let n = p.row_start + ro3;
    var b = 0.0;
    if (p.has_bias != 0u) { b = bias[n]; }
    if (m0 + 0u < M) { let o = (m0 + 0u) * p.n_out + n; var v = a3_0 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 1u < M) { let o = (m0 + 1u) * p.n_out + n; var v = a3_1 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 2u < M) { let o = (m0 + 2u) * p.n_out + n; var v = a3_2 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 3u < M) { let o = (m0 + 3u) * p.n_out + n; var v = a3_3 + b; if (acc) { v += y[o]; } y[o] = v; }
  }
  let ro4 = r_base + 256u;
  if (ro4 < p.rows) {
    let n = p.row_start + ro4;
    var b = 0.0;
    if (p.has_bias != 0u) { b = bias[n]; }
    if (m0 + 0u < M) { let o = (m0 + 0u) * p.n_out + n; var v = a4_0 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 1u < M) { let o = (m0 + 1u) * p.n_out + n; var v = a4_1 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 2u < M) { let o = (m0 + 2u) * p.n_out + n; var v = a4_2 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 3u < M) { let o = (m0 + 3u) * p.n_out + n; var v = a4_3 + b; if (acc) { v += y[o]; } y[o] = v; }
  }
  let ro5 = r_base + 320u;
  if (ro5 < p.rows) {
    let n = p.row_start + ro5;
    var b = 0.0;
    if (p.has_bias != 0u) { b = bias[n]; }
    if (m0 + 0u < M) { let o = (m0 + 0u) * p.n_out + n; var v = a5_0 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 1u < M) { let o = (m0 + 1u) * p.n_out + n; var v = a5_1 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 2u < M) { let o = (m0 + 2u) * p.n_out + n; var v = a5_2 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 3u < M) { let o = (m0 + 3u) * p.n_out + n; var v = a5_3 + b; if (acc) { v += y[o]; } y[o] = v; }
  }
  let ro6 = r_base + 384u;
  if (ro6 < p.rows) {
    let n = p.row_start + ro6;
    var b = 0.0;
    if (p.has_bias != 0u) { b = bias[n]; }
    if (m0 + 0u < M) { let o = (m0 + 0u) * p.n_out + n; var v = a6_0 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 1u < M) { let o = (m0 + 1u) * p.n_out + n; var v = a6_1 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 2u < M) { let o = (m0 + 2u) * p.n_out + n; var v = a6_2 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 3u < M) { let o = (m0 + 3u) * p.n_out + n; var v = a6_3 + b; if (acc) { v += y[o]; } y[o] = v; }
  }
  let ro7 = r_base + 448u;
  if (ro7 < p.rows) {
    let n = p.row_start + ro7;
    var b = 0.0;
    if (p.has_bias != 0u) { b = bias[n]; }
    if (m0 + 0u < M) { let o = (m0 + 0u) * p.n_out + n; var v = a7_0 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 1u < M) { let o = (m0 + 1u) * p.n_out + n; var v = a7_1 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 2u < M) { let o = (m0 + 2u) * p.n_out + n; var v = a7_2 + b; if (acc) { v += y[o]; } y[o] = v; }
    if (m0 + 3u < M) { let o = (m0 + 3u) * p.n_out + n; var v = a7_3 + b; if (acc) { v += y[o]; } y[o] = v; }
  }
}
