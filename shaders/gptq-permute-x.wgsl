// Act-order GPTQ: gathers the activations into packed order once per linear, xp[i, p] = x[src_row(i), perm[p]],
// so the matvec/matmul then read xp contiguously (vec4) instead of gathering per nibble.
// Rows: mode 0 → every row i < Step.m (src_row = i); mode 1 → one row, x row 0; mode 2 → one row, x row Step.m - 1.
// Bindings:
//   @binding(0) x:    array<f32>  [M, K]                 read
//   @binding(1) perm: array<u32>  [K]                    read (x index of packed position p)
//   @binding(2) xp:   array<f32>  [rows, K]              read-write (scratch shared by the linears of one kernel)
//   @binding(3) p:    Params      uniform {K, mode, stride}
//   @binding(4) step: Step        uniform
// Dispatch: ceil(rows * K / 256) workgroups of 256, folded into (x, y); stride = x * 256.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { K: u32, mode: u32, stride: u32, _p0: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> perm: array<u32>;
@group(0) @binding(2) var<storage, read_write> xp: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<uniform> step: Step;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  var rows = step.m;
  if (p.mode != 0u) { rows = 1u; }
  if (idx >= rows * p.K) { return; }
  let i = idx / p.K;
  let k = idx - i * p.K;
  var src = i;
  if (p.mode == 1u) { src = 0u; }
  if (p.mode == 2u) { src = step.m - 1u; }
  xp[idx] = x[src * p.K + perm[k]];
}
