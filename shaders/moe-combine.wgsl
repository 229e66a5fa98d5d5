// Prefill: the per-slot expert outputs of shaders/moe-expert-down-grouped.wgsl summed into the residual:
//   y[t, n] += Σ_j out[t, j, n]   (j < top_k)
// Bindings:
//   @binding(0) out:  array<f32>  [M, top_k, D]  read
//   @binding(1) y:    array<f32>  [M, D]         read-write (the residual stream)
//   @binding(2) p:    Params      uniform {D, top_k, stride}
//   @binding(3) step: Step        uniform (tokens = Step.m)
// Dispatch: ceil(Step.m · D / 256) workgroups of 256 folded into (x, y); stride = x · 256.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { D: u32, top_k: u32, stride: u32, _p0: u32 }

@group(0) @binding(0) var<storage, read> out: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<uniform> step: Step;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.stride;
  if (i >= step.m * p.D) { return; }
  let t = i / p.D;
  let n = i % p.D;
  var s = 0.0;
  for (var j = 0u; j < p.top_k; j++) { s += out[(t * p.top_k + j) * p.D + n]; }
  y[i] = y[i] + s;
}
