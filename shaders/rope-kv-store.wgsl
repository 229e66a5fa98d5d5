// RoPE and the KV-cache append in ONE dispatch (replaces rope q, rope k, kv-store k, kv-store v, and Qwen3's two
// per-head q/k norms): for each row i of the batch (position pos = Step.pos0 + i)
//   qh = norm?(q[i, h, :])  →  q_out[i, h, :] = rope(qh, pos)                       for h < n_heads
//   kh = norm?(k[i, h, :])  →  k_cache[pos, h, :] = kv_t(rope(kh, pos));  v_cache[pos, h, :] = kv_t(v[i, h, :])  for h < n_kv
// with norm(x) = x * inverseSqrt(mean(x^2) + eps) * w (only when has_norm; w = q_norm or k_norm) and rope the HF
// rotate_half rotation: a = f32(pos) * inv_freq[j]; x'[j] = x[j] cos a - x[j + d/2] sin a, x'[j + d/2] = x[j + d/2]
// cos a + x[j] sin a. Same arithmetic, in the same order, as shaders/head-rmsnorm.wgsl, rope.wgsl and kv-store.wgsl
// one after another (CPU twin: ropeKvStoreCpu, built from their twins). sin_cos() comes from shaders/sin-cos.wgsl
// (prepended by the wrapper). Rows whose position is >= max_seq write q but not the cache (as kv-store).
// q, k, v are read through (offset, row stride) so they can be three buffers or three column ranges of ONE fused
// q/k/v projection output [M, q_dim + 2 kv_dim] (then all three bindings are that buffer, read-only).
// The f16 variant (KV cache in f16, path ctx.f16) is made by the wrapper: `enable f16;` and kv_t = f16.
// Bindings:
//   @binding(0) q_in:    array<f32>   q_in[q_off + i * q_stride + h * head_dim + d]   read
//   @binding(1) k_in:    array<f32>   k_in[k_off + i * k_stride + h * head_dim + d]   read
//   @binding(2) v_in:    array<f32>   v_in[v_off + i * v_stride + h * head_dim + d]   read
//   @binding(3) aux:     array<f32>   [head_dim / 2 + 2 * head_dim]: inv_freq | q_norm w | k_norm w (norms only
//                                     read when has_norm)                             read
//   @binding(4) q_out:   array<f32>   [M, n_heads, head_dim]                           read-write
//   @binding(5) k_cache: array<kv_t>  [max_seq, n_kv * head_dim]                       read-write
//   @binding(6) v_cache: array<kv_t>  [max_seq, n_kv * head_dim]                       read-write
//   @binding(7) p:       Params       uniform
//   @binding(8) step:    Step         uniform (rows = Step.m)
// Dispatch: one 64-thread workgroup per (row, head slot), slots 0 .. n_heads - 1 = q heads, n_heads .. n_heads +
// n_kv - 1 = k and v of kv head slot - n_heads; Step.m * (n_heads + n_kv) workgroups folded into (x, y), width grid_x.

alias kv_t = f32; // f16-variant

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params {
  n_heads: u32, n_kv: u32, head_dim: u32, max_seq: u32,
  q_off: u32, q_stride: u32, k_off: u32, k_stride: u32,
  v_off: u32, v_stride: u32, has_norm: u32, eps: f32,
  grid_x: u32, _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<storage, read> q_in: array<f32>;
@group(0) @binding(1) var<storage, read> k_in: array<f32>;
@group(0) @binding(2) var<storage, read> v_in: array<f32>;
@group(0) @binding(3) var<storage, read> aux: array<f32>;
@group(0) @binding(4) var<storage, read_write> q_out: array<f32>;
@group(0) @binding(5) var<storage, read_write> k_cache: array<kv_t>;
@group(0) @binding(6) var<storage, read_write> v_cache: array<kv_t>;
@group(0) @binding(7) var<uniform> p: Params;
@group(0) @binding(8) var<uniform> step: Step;

var<workgroup> partial: array<f32, 64>;
var<workgroup> inv_rms: f32;

// Element d of this workgroup's q or k head (before the norm).
fn src(is_q: bool, base: u32, d: u32) -> f32 {
  if (is_q) { return q_in[base + d]; }
  return k_in[base + d];
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let item = wid.x + wid.y * p.grid_x;
  let slots = p.n_heads + p.n_kv;
  // Uniform per workgroup, so the early return cannot split a barrier.
  if (item >= step.m * slots) { return; }
  let row = item / slots;
  let slot = item - row * slots;
  let is_q = slot < p.n_heads;
  let hd = p.head_dim;
  let half = hd / 2u;
  let h = select(slot - p.n_heads, slot, is_q);
  let base = select(p.k_off + row * p.k_stride, p.q_off + row * p.q_stride, is_q) + h * hd;
  let nw = half + select(hd, 0u, is_q); // offset of this head's norm weights in aux
  let pos = step.pos0 + row;

  var r = 1.0;
  if (p.has_norm != 0u) {
    var s = 0.0;
    for (var d = lid; d < hd; d += 64u) {
      let v = src(is_q, base, d);
      s += v * v;
    }
    partial[lid] = s;
    workgroupBarrier();
    if (lid == 0u) {
      var t = 0.0;
      for (var i = 0u; i < 64u; i++) { t += partial[i]; }
      inv_rms = inverseSqrt(t / f32(hd) + p.eps);
    }
    workgroupBarrier();
    r = inv_rms;
  }

  let kv_dim = p.n_kv * hd;
  let store = pos < p.max_seq;
  for (var j = lid; j < half; j += 64u) {
    var x0 = src(is_q, base, j);
    var x1 = src(is_q, base, j + half);
    if (p.has_norm != 0u) {
      x0 = x0 * r * aux[nw + j];
      x1 = x1 * r * aux[nw + j + half];
    }
    let a = f32(pos) * aux[j];
    let sc = sin_cos(a);
    let y0 = x0 * sc.y - x1 * sc.x;
    let y1 = x1 * sc.y + x0 * sc.x;
    if (is_q) {
      let o = (row * p.n_heads + h) * hd;
      q_out[o + j] = y0;
      q_out[o + j + half] = y1;
    } else if (store) {
      let o = pos * kv_dim + h * hd;
      k_cache[o + j] = kv_t(y0);
      k_cache[o + j + half] = kv_t(y1);
    }
  }
  if (!is_q && store) {
    let vb = p.v_off + row * p.v_stride + h * hd;
    let o = pos * kv_dim + h * hd;
    for (var d = lid; d < hd; d += 64u) { v_cache[o + d] = kv_t(v_in[vb + d]); }
  }
}
