// GPTQ activations, prepared ONCE per linear input (not once per output row): the matvec/matmul then read
//   xs[i, p]   = x[src_row(i), perm[p]] * 16^-(p % 4)     (packed order; perm = identity when has_perm = 0)
//   gsum[i, g] = sum_{p in group g} x[src_row(i), perm[p]] (unscaled)
// The 16^-(p % 4) factor lets the main kernels turn nibble j of a word into a float with ONE mask and a
// convert: (word & (15 << 4j)) = q * 16^j for j < 4, and the same on word >> 16 for j >= 4; the power-of-two
// scales cancel exactly (W = scale * (q - zero), y = sum_g scale * (sum_p xs * q16 - zero * gsum)).
// Rows: mode 0 → every row i < Step.m (src_row = i); mode 1 → one row, x row 0; mode 2 → one row, x row Step.m - 1.
// glu = 1 (SwiGLU folded in, src/gpu/kernels/gptq-prepare.ts): x is a fused gate/up output [M, 2K] and the value
// at x index k is silu(x[r, k]) * x[r, K + k], silu(a) = a / (1 + exp(-a)) (as shaders/silu-mul.wgsl).
// In the one-row modes the thread of the last group also zeroes xs[K .. ceil(K / 32) * 32): the split-K
// matvecs read whole 32-position quads, and the padding must be 0 whatever an earlier linear left there.
// Bindings:
//   @binding(0) x:    array<f32>  [M, K] (glu: [M, 2K])  read
//   @binding(1) perm: array<u32>  [K] (or [4] unused)    read (x index of packed position p)
//   @binding(2) xs:   array<f32>  [rows, K] (one-row modes: [ceil(K / 32) * 32])  read-write (scratch shared by
//                                                        the linears of one kernel)
//   @binding(3) gsum: array<f32>  [rows, n_groups]       read-write (scratch, likewise)
//   @binding(4) p:    Params      uniform {K, mode, stride, n_groups, group_size, has_perm, glu}
//   @binding(5) step: Step        uniform
// Dispatch: ceil(rows * n_groups / 64) workgroups of 64, folded into (x, y); stride = x * 64. One thread per
// (row, group) walks the group's positions in order (no barriers).

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { K: u32, mode: u32, stride: u32, n_groups: u32, group_size: u32, has_perm: u32, glu: u32, _p1: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> perm: array<u32>;
@group(0) @binding(2) var<storage, read_write> xs: array<f32>;
@group(0) @binding(3) var<storage, read_write> gsum: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
@group(0) @binding(5) var<uniform> step: Step;

const NIBBLE_SCALE = array<f32, 4>(1.0, 0.0625, 0.00390625, 0.000244140625);

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  var rows = step.m;
  if (p.mode != 0u) { rows = 1u; }
  if (idx >= rows * p.n_groups) { return; }
  let i = idx / p.n_groups;
  let g = idx - i * p.n_groups;
  var src = i;
  if (p.mode == 1u) { src = 0u; }
  if (p.mode == 2u) { src = step.m - 1u; }
  var xb = src * p.K;
  if (p.glu != 0u) { xb = 2u * xb; }
  let ob = i * p.K;
  let p0 = g * p.group_size;
  let p1 = min(p0 + p.group_size, p.K);
  var s = 0.0;
  for (var q = p0; q < p1; q++) {
    var k = q;
    if (p.has_perm != 0u) { k = perm[q]; }
    var v = x[xb + k];
    if (p.glu != 0u) { v = v / (1.0 + exp(-v)) * x[xb + p.K + k]; }
    s += v;
    xs[ob + q] = v * NIBBLE_SCALE[q & 3u];
  }
  gsum[i * p.n_groups + g] = s;
  if (p.mode != 0u && g == p.n_groups - 1u) {
    for (var q = p.K; q < (p.K + 31u) / 32u * 32u; q++) { xs[q] = 0.0; }
  }
}
