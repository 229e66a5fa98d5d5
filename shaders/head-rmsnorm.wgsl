// Per-head RMSNorm, in place (Qwen3's q_norm / k_norm, applied after the projection and before RoPE):
//   x[r, h, :] = x[r, h, :] * inverseSqrt(mean(x[r, h, :]^2) + eps) * w   for r < Step.m, h < n_heads
// Bindings:
//   @group(0) @binding(0) x:    array<f32>  [M, n_heads, head_dim]  read-write (updated in place)
//   @group(0) @binding(1) w:    array<f32>  [head_dim]              read (shared by every head)
//   @group(0) @binding(2) p:    Params      uniform {head_dim, n_heads, eps, grid_x}
//   @group(0) @binding(3) step: Step        uniform (rows = Step.m)
// Dispatch: one 64-thread workgroup per (row, head), Step.m * n_heads workgroups folded into (x, y) with width
// grid_x. Each thread sums a strided slice; thread 0 adds the 64 partials in order; every element is read
// before the barrier and written after it, so the in-place update is safe.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { head_dim: u32, n_heads: u32, eps: f32, grid_x: u32 }

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<uniform> step: Step;

var<workgroup> partial: array<f32, 64>;
var<workgroup> inv_rms: f32;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let item = wid.x + wid.y * p.grid_x;
  // Uniform per workgroup, so the early return cannot split a barrier.
  if (item >= step.m * p.n_heads) { return; }
  let base = item * p.head_dim;
  var s = 0.0;
  for (var d = lid; d < p.head_dim; d += 64u) {
    let v = x[base + d];
    s += v * v;
  }
  partial[lid] = s;
  workgroupBarrier();
  if (lid == 0u) {
    var t = 0.0;
    for (var i = 0u; i < 64u; i++) { t += partial[i]; }
    inv_rms = inverseSqrt(t / f32(p.head_dim) + p.eps);
  }
  workgroupBarrier();
  let r = inv_rms;
  for (var d = lid; d < p.head_dim; d += 64u) {
    x[base + d] = x[base + d] * r * w[d];
  }
}
