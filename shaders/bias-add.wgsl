// Bias add after a dense linear, in place: y[r, n] += bias[n] for r < Step.m, n < N (Qwen2's q/k/v biases
// when the projections are not GPTQ; GPTQ layers add their bias inside the matvec/matmul).
// Bindings:
//   @group(0) @binding(0) y:    array<f32>  [M, N]  read-write (the linear's output, updated in place)
//   @group(0) @binding(1) bias: array<f32>  [N]     read
//   @group(0) @binding(2) p:    Params      uniform {n, stride}
//   @group(0) @binding(3) step: Step        uniform (rows = Step.m)
// Dispatch: ceil(Step.m * N / 256) workgroups of 256, folded into (x, y); stride = x * 256.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { n: u32, stride: u32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<uniform> step: Step;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.stride;
  if (i >= step.m * p.n) { return; }
  y[i] = y[i] + bias[i % p.n];
}
