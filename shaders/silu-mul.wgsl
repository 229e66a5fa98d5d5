// SwiGLU gate: out[i] = silu(gate[i]) * up[i], silu(a) = a / (1 + exp(-a)), for i < Step.m * f.
// Entry `main` writes `out`; entry `main_inplace` writes the result into `gate` (out aliases gate; WebGPU
// forbids binding one buffer twice when one binding is writable, so the aliasing case has its own entry).
// Bindings:
//   @binding(0) gate: array<f32>  [M, f]  read-write (written only by main_inplace)
//   @binding(1) up:   array<f32>  [M, f]  read
//   @binding(2) out:  array<f32>  [M, f]  read-write (main only)
//   @binding(3) p:    Params      uniform {f, stride}
//   @binding(4) step: Step        uniform
// Dispatch: ceil(Step.m * f / 256) workgroups of 256, folded into (x, y); stride = x * 256.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { f: u32, stride: u32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<storage, read_write> gate: array<f32>;
@group(0) @binding(1) var<storage, read> up: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<uniform> step: Step;

fn silu_mul(g: f32, u: f32) -> f32 {
  return g / (1.0 + exp(-g)) * u;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.stride;
  if (i >= step.m * p.f) { return; }
  out[i] = silu_mul(gate[i], up[i]);
}

@compute @workgroup_size(256)
fn main_inplace(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.stride;
  if (i >= step.m * p.f) { return; }
  gate[i] = silu_mul(gate[i], up[i]);
}
