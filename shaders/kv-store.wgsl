// Appends this batch's K (or V) rows to one layer's cache: cache[(Step.pos0 + i) * kv_dim + j] = src[i * kv_dim + j].
// Rows whose position is >= max_seq are dropped (the engine stops before that).
// The f16 variant (KV cache in f16, path ctx.f16) is made by the wrapper: `enable f16;` and kv_t = f16.
// Bindings:
//   @binding(0) src:   array<f32>   [M, kv_dim]        read (kv_dim = n_kv_heads * head_dim)
//   @binding(1) cache: array<kv_t>  [max_seq, kv_dim]  read-write
//   @binding(2) p:     Params       uniform {kv_dim, max_seq, stride}
//   @binding(3) step:  Step         uniform
// Dispatch: ceil(Step.m * kv_dim / 256) workgroups of 256, folded into (x, y); stride = x * 256.

alias kv_t = f32; // f16-variant

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { kv_dim: u32, max_seq: u32, stride: u32, _p0: u32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> cache: array<kv_t>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<uniform> step: Step;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  if (idx >= step.m * p.kv_dim) { return; }
  let row = idx / p.kv_dim;
  let j = idx - row * p.kv_dim;
  let pos = step.pos0 + row;
  if (pos >= p.max_seq) { return; }
  cache[pos * p.kv_dim + j] = kv_t(src[idx]);
}
