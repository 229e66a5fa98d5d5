// Embedding lookup for one row chunk of a DenseWeight: out[i, d] = table[ids[i] - row_start, d] for the
// ids that fall in this chunk [row_start, row_start + rows); the wrapper dispatches once per chunk.
// Bindings:
//   @binding(0) ids:   array<u32>  [M]                 token ids of this batch (only the first Step.m are read)
//   @binding(1) table: array<u32>  [rows * dim] f32 bits, or [ceil(rows * dim / 2)] packed f16 pairs (low half first)
//   @binding(2) out:   array<f32>  [M, dim]            read-write
//   @binding(3) p:     Params      uniform
//   @binding(4) step:  Step        uniform (the shared step uniform; m = tokens in this batch)
// Dispatch: ceil(Step.m * dim / 256) workgroups of 256 threads, folded into (x, y); stride = x * 256.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { dim: u32, row_start: u32, rows: u32, stride: u32, is_f16: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<storage, read> ids: array<u32>;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<uniform> step: Step;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.stride;
  if (i >= step.m * p.dim) { return; }
  let row = i / p.dim;
  let d = i - row * p.dim;
  let id = ids[row];
  if (id < p.row_start || id >= p.row_start + p.rows) { return; }
  let e = (id - p.row_start) * p.dim + d;
  if (p.is_f16 != 0u) {
    out[i] = unpack2x16float(table[e >> 1u])[e & 1u];
  } else {
    out[i] = bitcast<f32>(table[e]);
  }
}
