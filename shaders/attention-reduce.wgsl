// Split-K attention pass 2: merges the n_chunks partial softmaxes of attention.wgsl into the output.
//   out[row, h, d] = sum_c exp(max_c - M) acc_c[d] / sum_c exp(max_c - M) sum_c, M = max over non-empty chunks.
// Bindings:
//   @binding(0) part: array<f32>  [Step.m, n_heads, n_chunks, 2 + head_dim]  read (n_chunks as in attention.wgsl)
//   @binding(1) out:  array<f32>  [M, n_heads, head_dim]                read-write
//   @binding(2) p:    Params      uniform (same struct as attention.wgsl)
//   @binding(3) step: Step        uniform
// Dispatch: ceil(Step.m * n_heads * head_dim / 256) workgroups of 256, folded into (x, y); stride = x * 256.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { n_heads: u32, n_kv: u32, head_dim: u32, max_chunks: u32, max_seq: u32, stride: u32, scale: f32, slots: u32 }

@group(0) @binding(0) var<storage, read> part: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<uniform> step: Step;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  let hd = p.head_dim;
  if (idx >= step.m * p.n_heads * hd) { return; }
  let n_chunks = clamp(p.slots / max(step.m * p.n_heads, 1u), 1u, p.max_chunks); // as in attention.wgsl
  let t = idx / hd;          // row * n_heads + h
  let d = idx - t * hd;
  let base = t * n_chunks * (hd + 2u);
  var mx = -3.0e38;
  for (var c = 0u; c < n_chunks; c++) {
    let o = base + c * (hd + 2u);
    if (part[o + 1u] > 0.0) { mx = max(mx, part[o]); }
  }
  var num = 0.0;
  var den = 0.0;
  for (var c = 0u; c < n_chunks; c++) {
    let o = base + c * (hd + 2u);
    let l = part[o + 1u];
    if (l > 0.0) {
      let w = exp(part[o] - mx);
      num += w * part[o + 2u + d];
      den += w * l;
    }
  }
  out[idx] = num / den;
}
