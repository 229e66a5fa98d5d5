// GPTQ input preparation with the RMSNorm folded in (replaces rmsnorm + gptq-prepare-x before a GPTQ linear):
//   xn[i, k]   = x[src_row(i), k] * inverseSqrt(mean(x[src_row(i), :]^2) + eps) * w[k]
//   xs[i, p]   = xn[i, perm[p]] * 16^-(p % 4)          (packed order; perm = identity when has_perm = 0)
//   gsum[i, g] = sum_{p in group g} xn[i, perm[p]]      (unscaled)
// i.e. exactly shaders/rmsnorm.wgsl (same partial sums, same order) followed by shaders/gptq-prepare-x.wgsl, with xn
// never stored. Rows: mode 0 → every row i < Step.m (src_row = i); mode 1 → one row, x row 0; mode 2 → one row,
// x row Step.m - 1; in the one-row modes xs[K .. ceil(K / 32) * 32) is zeroed (the split-K matvecs read whole quads).
// Bindings:
//   @binding(0) x:    array<f32>  [M, K]                 read (the residual stream)
//   @binding(1) w:    array<f32>  [K]                    read (the norm weight)
//   @binding(2) perm: array<u32>  [K] (or [4] unused)    read (x index of packed position p)
//   @binding(3) xs:   array<f32>  [rows, K] (one-row modes: [ceil(K / 32) * 32])  read-write (the linear's scratch)
//   @binding(4) gsum: array<f32>  [rows, n_groups]       read-write (the linear's scratch)
//   @binding(5) p:    Params      uniform {K, mode, grid_x, n_groups, group_size, has_perm, eps}
//   @binding(6) step: Step        uniform
// Dispatch: one 64-thread workgroup per row (Step.m, or 1 in the one-row modes), folded into (x, y) with width
// grid_x. The threads sum a strided slice of x^2, thread 0 adds the 64 partials in order; then thread t prepares
// groups t, t + 64, … (each group's positions in order, as gptq-prepare-x).

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { K: u32, mode: u32, grid_x: u32, n_groups: u32, group_size: u32, has_perm: u32, eps: f32, _p0: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> perm: array<u32>;
@group(0) @binding(3) var<storage, read_write> xs: array<f32>;
@group(0) @binding(4) var<storage, read_write> gsum: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;
@group(0) @binding(6) var<uniform> step: Step;

const NIBBLE_SCALE = array<f32, 4>(1.0, 0.0625, 0.00390625, 0.000244140625);

var<workgroup> partial: array<f32, 64>;
var<workgroup> inv_rms: f32;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = wid.x + wid.y * p.grid_x;
  var rows = step.m;
  if (p.mode != 0u) { rows = 1u; }
  // Uniform per workgroup, so the early return cannot split a barrier.
  if (i >= rows) { return; }
  var src = i;
  if (p.mode == 1u) { src = 0u; }
  if (p.mode == 2u) { src = step.m - 1u; }
  let xb = src * p.K;
  var s = 0.0;
  for (var d = lid; d < p.K; d += 64u) {
    let v = x[xb + d];
    s += v * v;
  }
  partial[lid] = s;
  workgroupBarrier();
  if (lid == 0u) {
    var t = 0.0;
    for (var j = 0u; j < 64u; j++) { t += partial[j]; }
    inv_rms = inverseSqrt(t / f32(p.K) + p.eps);
  }
  workgroupBarrier();
  let r = inv_rms;
  let ob = i * p.K;
  for (var g = lid; g < p.n_groups; g += 64u) {
    let p0 = g * p.group_size;
    let p1 = min(p0 + p.group_size, p.K);
    var gs = 0.0;
    for (var q = p0; q < p1; q++) {
      var k = q;
      if (p.has_perm != 0u) { k = perm[q]; }
      let v = x[xb + k] * r * w[k];
      gs += v;
      xs[ob + q] = v * NIBBLE_SCALE[q & 3u];
    }
    gsum[i * p.n_groups + g] = gs;
  }
  if (p.mode != 0u && lid == 0u) {
    for (var q = p.K; q < (p.K + 31u) / 32u * 32u; q++) { xs[q] = 0.0; }
  }
}
