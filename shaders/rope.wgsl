// Rotary position embedding, HF rotate_half layout, in place.
// Row i of the batch is at position Step.pos0 + i; element j < d/2 of each head pairs with j + d/2:
//   a = f32(pos) * inv_freq[j];  x'[j] = x[j] cos a - x[j + d/2] sin a;  x'[j + d/2] = x[j + d/2] cos a + x[j] sin a.
// cos/sin come from sin_cos() in shaders/sin-cos.wgsl (prepended by the wrapper, src/gpu/kernels/rope.ts).
// Bindings:
//   @binding(0) x:        array<f32>  [M, n_heads, head_dim]  read-write
//   @binding(1) inv_freq: array<f32>  [head_dim / 2]          read (computed on the CPU, llama3 scaling included)
//   @binding(2) p:        Params      uniform {n_heads, head_dim, stride}
//   @binding(3) step:     Step        uniform
// Dispatch: ceil(Step.m * n_heads * head_dim / 2 / 256) workgroups of 256, folded into (x, y); stride = x * 256.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { n_heads: u32, head_dim: u32, stride: u32, _p0: u32 }

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> inv_freq: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<uniform> step: Step;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  let half = p.head_dim / 2u;
  let per_row = p.n_heads * half;
  if (idx >= step.m * per_row) { return; }
  let row = idx / per_row;
  let rem = idx - row * per_row;
  let h = rem / half;
  let j = rem - h * half;
  let a = f32(step.pos0 + row) * inv_freq[j];
  let sc = sin_cos(a);
  let s = sc.x;
  let c = sc.y;
  let base = (row * p.n_heads + h) * p.head_dim;
  let x0 = x[base + j];
  let x1 = x[base + j + half];
  x[base + j] = x0 * c - x1 * s;
  x[base + j + half] = x1 * c + x0 * s;
}
