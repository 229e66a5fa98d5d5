// Dense linear, one token (decode / lm_head), split-K: ONE workgroup per R output rows of ONE chunk of a
// DenseWeight (nn.Linear layout [N, K], rows split into chunks; the wrapper dispatches once per chunk), its WG
// threads striding K by vec4<u32> loads: y[n] (+)= sum_k x[xr, k] * W[n, k].
// Load j of a row is one vec4<u32>: 8 f16 weights (4 words of packed pairs, unpack2x16float) or 4 f32 weights;
// adjacent threads read adjacent 16-byte loads of the same row (coalesced on GPUs), and the x of a load (2 or
// 1 vec4<f32>) is read once for all R rows. xr = 0, or Step.m - 1 when x_row_last = 1 (logits of the last
// prompt token after a prefill). The wrapper uses this kernel only when a row is a whole number of loads
// (cols % 8 == 0 for f16, cols % 4 == 0 for f32). The R partial sums are reduced across the workgroup by
// reduce_rows(), appended by the wrapper: shaders/gptq-reduce-subgroup.wgsl (subgroupAdd, with the
// `subgroups` feature; the subgroup size comes from the subgroup_size builtin) or shaders/gptq-reduce-tree.wgsl
// (workgroup memory; the wrapper then drops the line marked subgroup-builtins) — the same reductions as the
// GPTQ split-K matvec.
// Bindings:
//   @binding(0) x:    array<vec4<f32>>  [M * cols / 4]     read
//   @binding(1) w:    array<vec4<u32>>  [rows * cols / 8] packed f16 pairs, or [rows * cols / 4] f32 bits   read
//   @binding(2) y:    array<f32>  [N]                       read-write (row_start + r for chunk row r)
//   @binding(3) p:    Params      uniform
//   @binding(4) step: Step        uniform
// Dispatch: ceil(rows / R) workgroups of WG, folded into (x, y) with x = p.grid_x.
// Overrides: R (rows per workgroup: 1..8), WG (a power of two, >= 8).

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { rows: u32, cols: u32, row_start: u32, accumulate: u32, is_f16: u32, x_row_last: u32, grid_x: u32, _p0: u32 }

override R: u32 = 4u;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<uniform> step: Step;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) sg_lane: u32, @builtin(subgroup_size) sg_size: u32, // subgroup-builtins
        ) {
  let r0 = (wid.x + wid.y * p.grid_x) * R;
  let K = p.cols;
  var xq = 0u; // x row start in vec4 units
  if (p.x_row_last != 0u) { xq = (step.m - 1u) * (K / 4u); }
  var acc: array<f32, 8>;
  if (p.is_f16 != 0u) {
    let n_loads = K / 8u;
    for (var j = lid; j < n_loads; j += WG) {
      let xa = x[xq + 2u * j];
      let xb = x[xq + 2u * j + 1u];
      for (var i = 0u; i < R; i++) {
        let r = min(r0 + i, p.rows - 1u);
        let v = w[r * n_loads + j];
        let lo = vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
        let hi = vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w));
        acc[i] += dot(xa, lo) + dot(xb, hi);
      }
    }
  } else {
    let n_loads = K / 4u;
    for (var j = lid; j < n_loads; j += WG) {
      let xa = x[xq + j];
      for (var i = 0u; i < R; i++) {
        let r = min(r0 + i, p.rows - 1u);
        acc[i] += dot(xa, bitcast<vec4<f32>>(w[r * n_loads + j]));
      }
    }
  }
  let total = reduce_rows(acc, lid, sg_lane, sg_size);
  if (lid < R) {
    let rr = r0 + lid;
    if (rr < p.rows) {
      let n = p.row_start + rr;
      if (p.accumulate != 0u) { y[n] = y[n] + total; } else { y[n] = total; }
    }
  }
}
