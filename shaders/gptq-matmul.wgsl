// GPTQ 4-bit linear, several tokens (prefill): y[m, n] (+)= sum_k x[m, k] W[n, k] (+ bias[n]) on the repacked
// layout of src/gpu/gptq-repack.ts, for the rows of ONE row chunk (the wrapper dispatches once per chunk).
//   y[m, n] = sum_g scale * (sum_{p in g} xs[m, p] * q16(n, p)  -  zero * gsum[m, g])
// xs / gsum come from shaders/gptq-prepare-x.wgsl (once per linear): x in packed order scaled by 16^-(p % 4),
// and the per-group sums of x; q16 = nibble * 16^(p % 4) is one mask + convert per nibble (see gptq-matvec.wgsl).
// Register blocking: each thread owns one weight row and a tile of TM tokens; every packed word is loaded and
// dequantised once and used TM times, and the x quads of a token are the same for all 64 threads of a
// workgroup (uniform loads). No barriers.
// Bindings:
//   @binding(0) xs:    array<vec4<f32>>  [M, K / 4]       read
//   @binding(1) words: array<u32>  [K / 8, rows]          read; nibble j of word w = q at packed position 8w + j
//   @binding(2) sz:    array<u32>  [n_groups, rows]       read; bits 0..15 f16 scale, bits 16..23 zero point
//   @binding(3) gsum:  array<f32>  [M, n_groups]          read
//   @binding(4) bias:  array<f32>  [N] (or [4] unused)    read
//   @binding(5) y:     array<f32>  [M, N]                 read-write
//   @binding(6) p:     Params      uniform
//   @binding(7) step:  Step        uniform (M = Step.m)
// Dispatch: ceil(rows / 64) * ceil(Step.m / TM) workgroups of 64, folded into (x, y); stride = x * 64.
// Workgroup w covers rows 64 * (w % row_blocks) .. + 63 for tokens TM * (w / row_blocks) .. + TM - 1.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params {
  K: u32, rows: u32, row_start: u32, n_groups: u32,
  group_words: u32, _unused: u32, has_bias: u32, accumulate: u32,
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
const MASK = vec4<u32>(0xfu, 0xf0u, 0xf00u, 0xf000u);

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // The token tile comes from the workgroup id so that the compiler sees every x / gsum address as uniform
  // across the workgroup (one scalar load + broadcast on CPU adapters, a broadcast read on GPUs).
  let M = step.m;
  let row_blocks = (p.rows + 127u) / 128u;
  let wg = wid.x + wid.y * (p.stride / 64u);
  let m0 = (wg / row_blocks) * TM;
  let r_out = (wg % row_blocks) * 128u + lid; // and r_out + 64
  if (m0 >= M) { return; } // uniform: whole workgroup
  // Threads past the last row compute on the last row and write nothing: no divergent early return, so that
  // CPU adapters (lavapipe) keep every lane active and may load the uniform x quads once per workgroup.
  let r = min(r_out, p.rows - 1u);
  let r2 = min(r_out + 64u, p.rows - 1u);
  let K = p.K;
  let wpr = K / 8u;
  // x row offsets (in vec4) of the TM = 8 tokens; tokens past M re-read the last valid token (no branch in the
  // hot loop) and are not written. Fully unrolled: no private arrays (dynamic indexing of those is slow on CPUs).
  let last = M - 1u;
  let b0 = min(m0, last) * (K / 4u);
  let b1 = min(m0 + 1u, last) * (K / 4u);
  let b2 = min(m0 + 2u, last) * (K / 4u);
  let b3 = min(m0 + 3u, last) * (K / 4u);
  var acc_a = vec4<f32>(0.0); // row r, tokens m0 .. m0 + 3
  var acc_c = vec4<f32>(0.0); // row r2
  for (var g = 0u; g < p.n_groups; g++) {
    let w0 = g * p.group_words;
    let w1 = min(w0 + p.group_words, wpr);
    var xq_a = vec4<f32>(0.0);
    var xq_c = vec4<f32>(0.0);
    for (var wi = w0; wi < w1; wi++) {
      let word = words[wi * p.rows + r];
      let word2 = words[wi * p.rows + r2];
      let q0 = vec4<f32>(vec4<i32>(vec4<u32>(word) & MASK));
      let q1 = vec4<f32>(vec4<i32>(vec4<u32>(word >> 16u) & MASK));
      let u0 = vec4<f32>(vec4<i32>(vec4<u32>(word2) & MASK));
      let u1 = vec4<f32>(vec4<i32>(vec4<u32>(word2 >> 16u) & MASK));
      let o = 2u * wi;
      let x00 = xs[b0 + o]; let x01 = xs[b0 + o + 1u];
      let x10 = xs[b1 + o]; let x11 = xs[b1 + o + 1u];
      let x20 = xs[b2 + o]; let x21 = xs[b2 + o + 1u];
      let x30 = xs[b3 + o]; let x31 = xs[b3 + o + 1u];
      xq_a += vec4<f32>(dot(x00, q0) + dot(x01, q1), dot(x10, q0) + dot(x11, q1), dot(x20, q0) + dot(x21, q1), dot(x30, q0) + dot(x31, q1));
      xq_c += vec4<f32>(dot(x00, u0) + dot(x01, u1), dot(x10, u0) + dot(x11, u1), dot(x20, u0) + dot(x21, u1), dot(x30, u0) + dot(x31, u1));
    }
    let s_z = sz[g * p.rows + r];
    let scale = unpack2x16float(s_z).x;
    let zero = f32((s_z >> 16u) & 0xffu);
    let gb = g;
    let s_a = vec4<f32>(gsum[min(m0, last) * p.n_groups + gb], gsum[min(m0 + 1u, last) * p.n_groups + gb],
                        gsum[min(m0 + 2u, last) * p.n_groups + gb], gsum[min(m0 + 3u, last) * p.n_groups + gb]);
    acc_a += scale * (xq_a - zero * s_a);
    let s_z2 = sz[g * p.rows + r2];
    acc_c += unpack2x16float(s_z2).x * (xq_c - f32((s_z2 >> 16u) & 0xffu) * s_a);
  }
  for (var h = 0u; h < 2u; h++) {
    let rr = r_out + 64u * h;
    if (rr >= p.rows) { break; }
    let n = p.row_start + rr;
    var b = 0.0;
    if (p.has_bias != 0u) { b = bias[n]; }
    var acc = acc_a;
    if (h == 1u) { acc = acc_c; }
    for (var i = 0u; i < TM; i++) {
      if (m0 + i < M) {
        let o = (m0 + i) * p.n_out + n;
        let v = acc[i] + b;
        if (p.accumulate != 0u) { y[o] = y[o] + v; } else { y[o] = v; }
      }
    }
  }
}
