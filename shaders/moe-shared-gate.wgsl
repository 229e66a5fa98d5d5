// Qwen2-MoE's shared-expert gate, applied to the shared expert's SwiGLU output before its down projection
// (down is linear, so down(s·h) = s·down(h)):  h[t, i] *= sigmoid(g[t]),  g = shared_expert_gate · x.
// Bindings:
//   @binding(0) h:    array<f32>  [M, f]  read-write
//   @binding(1) g:    array<f32>  [M]     read (the gate's one output per token)
//   @binding(2) p:    Params      uniform {f, stride}
//   @binding(3) step: Step        uniform (tokens = Step.m)
// Dispatch: ceil(Step.m · f / 256) workgroups of 256 folded into (x, y); stride = x · 256.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { f: u32, stride: u32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<storage, read_write> h: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<uniform> step: Step;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.stride;
  if (i >= step.m * p.f) { return; }
  let a = g[i / p.f];
  h[i] = h[i] / (1.0 + exp(-a));
}
