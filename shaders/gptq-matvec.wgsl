// GPTQ 4-bit linear, one token (decode): fused dequant + matvec on the repacked layout of src/gpu/gptq-repack.ts,
// for the rows of ONE row chunk (the wrapper dispatches once per chunk).
//   W[n, perm[p]] = scale(n, g) * (nibble(n, p) - zero(n, g)),  g = p / group_size (packed position p);
//   xp[p] = x[perm[p]] (the activations in packed order)
//   y[n] (+)= sum_g scale * (sum_{p in g} xp[p] * q  -  zero * sum_{p in g} xp[p])  (+ bias[n])
// x row 0, or Step.m - 1 when x_row_last = 1. One thread per output row reading its packed u32 words in order;
// x is read as vec4 (K % 8 == 0) in PACKED order: for act-order layers the wrapper first gathers x through
// perm (shaders/gptq-permute-x.wgsl), which is ~4x faster than gathering per nibble.
// Bindings:
//   @binding(0) x:     array<vec4<f32>>  [M, K / 4]       read
//   @binding(1) words: array<u32>  [K / 8, rows]          read; nibble j of word w = q at packed position 8w + j
//                                                       (row-interleaved: adjacent threads read adjacent words)
//   @binding(2) sz:    array<u32>  [n_groups, rows]       read; bits 0..15 f16 scale, bits 16..23 zero point
//   @binding(4) bias:  array<f32>  [N] (or [4] unused)    read
//   @binding(5) y:     array<f32>  [N]                    read-write (row_start + r for chunk row r)
//   @binding(6) p:     Params      uniform
//   @binding(7) step:  Step        uniform
// Dispatch: ceil(rows / 64) workgroups of 64, folded into (x, y); stride = x * 64.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params {
  K: u32, rows: u32, row_start: u32, n_groups: u32,
  group_words: u32, _unused: u32, has_bias: u32, accumulate: u32,
  x_row_last: u32, stride: u32, n_out: u32, _p0: u32,
}

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> words: array<u32>;
@group(0) @binding(2) var<storage, read> sz: array<u32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;
@group(0) @binding(7) var<uniform> step: Step;

const SHIFT_LO = vec4<u32>(0u, 4u, 8u, 12u);
const SHIFT_HI = vec4<u32>(16u, 20u, 24u, 28u);

// x[xb + p0 .. xb + p0 + 3] (xb and p0 are multiples of 4).
fn x_quad(xb: u32, p0: u32) -> vec4<f32> {
  return x[(xb + p0) >> 2u];
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x + gid.y * p.stride;
  if (r >= p.rows) { return; }
  let K = p.K;
  let wpr = K / 8u;
  var xb = 0u;
  if (p.x_row_last != 0u) { xb = (step.m - 1u) * K; }
  var acc = 0.0;
  for (var g = 0u; g < p.n_groups; g++) {
    let s_z = sz[g * p.rows + r];
    let scale = unpack2x16float(s_z).x;
    let zero = f32((s_z >> 16u) & 0xffu);
    let w0 = g * p.group_words;
    let w1 = min(w0 + p.group_words, wpr);
    var xq = 0.0;
    var xs = 0.0;
    for (var wi = w0; wi < w1; wi++) {
      let word = vec4<u32>(words[wi * p.rows + r]);
      let x0 = x_quad(xb, wi * 8u);
      let x1 = x_quad(xb, wi * 8u + 4u);
      xq += dot(x0, vec4<f32>((word >> SHIFT_LO) & vec4<u32>(15u))) + dot(x1, vec4<f32>((word >> SHIFT_HI) & vec4<u32>(15u)));
      xs += dot(x0 + x1, vec4<f32>(1.0));
    }
    acc += scale * (xq - zero * xs);
  }
  let n = p.row_start + r;
  if (p.has_bias != 0u) { acc += bias[n]; }
  if (p.accumulate != 0u) { y[n] = y[n] + acc; } else { y[n] = acc; }
}
