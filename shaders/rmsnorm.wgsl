// RMSNorm in f32: y[r, :] = x[r, :] * inverseSqrt(mean(x[r, :]^2) + eps) * w.
// Bindings:
//   @binding(0) x:    array<f32>  [M, dim]  read
//   @binding(1) w:    array<f32>  [dim]     read
//   @binding(2) y:    array<f32>  [M, dim]  read-write (must not alias x)
//   @binding(3) p:    Params      uniform {dim, eps, grid_x}
//   @binding(4) step: Step        uniform (rows = Step.m)
// Dispatch: one 64-thread workgroup per row, Step.m workgroups folded into (x, y) with width grid_x.
// Each thread sums a strided slice; thread 0 adds the 64 partials in order (two barriers per row).

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { dim: u32, eps: f32, grid_x: u32, _p0: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<uniform> step: Step;

var<workgroup> partial: array<f32, 64>;
var<workgroup> inv_rms: f32;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * p.grid_x;
  if (row >= step.m) { return; }
  let base = row * p.dim;
  var s = 0.0;
  for (var d = lid; d < p.dim; d += 64u) {
    let v = x[base + d];
    s += v * v;
  }
  partial[lid] = s;
  workgroupBarrier();
  if (lid == 0u) {
    var t = 0.0;
    for (var i = 0u; i < 64u; i++) { t += partial[i]; }
    inv_rms = inverseSqrt(t / f32(p.dim) + p.eps);
  }
  workgroupBarrier();
  let r = inv_rms;
  for (var d = lid; d < p.dim; d += 64u) {
    y[base + d] = x[base + d] * r * w[d];
  }
}
