// Causal GQA attention, split-K ("flash decoding") pass 1: each thread owns one (query row, head, chunk of
// cache positions) and runs an online softmax over its chunk, writing (max, sum, acc[head_dim]) to `part`.
// attention-reduce.wgsl then merges the chunks. No barriers.
// Query row i sits at position Step.pos0 + i and attends to cache positions 0 ..= pos0 + i.
// The chunk length is ceil(Step.kv_len / n_chunks), so the work spreads evenly whatever the context length.
// n_chunks = clamp(slots / (Step.m * n_heads), 1, max_chunks): decode (m = 1) splits finely, a long prefill
// less, always within the scratch of `slots` records (the wrapper computes the same number for the dispatch).
// Head h reads kv head h / (n_heads / n_kv). Scores are q.k / sqrt(head_dim) in f32.
// The f16 variant (ctx.f16: KV cache stored as f16) is made by the wrapper: `enable f16;` and kv_t = f16.
// Bindings:
//   @binding(0) q:       array<f32>   [M, n_heads, head_dim]            read
//   @binding(1) k_cache: array<kv_t>  [max_seq, n_kv, head_dim]         read
//   @binding(2) v_cache: array<kv_t>  [max_seq, n_kv, head_dim]         read
//   @binding(3) part:    array<f32>   [Step.m, n_heads, n_chunks, 2 + head_dim] (<= slots records) read-write scratch
//   @binding(4) p:       Params       uniform
//   @binding(5) step:    Step         uniform
// Dispatch: ceil(Step.m * n_heads * n_chunks / 64) workgroups of 64, folded into (x, y); stride = x * 64.
// head_dim <= 128 (private arrays).

alias kv_t = f32; // f16-variant

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { n_heads: u32, n_kv: u32, head_dim: u32, max_chunks: u32, max_seq: u32, stride: u32, scale: f32, slots: u32 }

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k_cache: array<kv_t>;
@group(0) @binding(2) var<storage, read> v_cache: array<kv_t>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
@group(0) @binding(5) var<uniform> step: Step;

const EMPTY: f32 = -3.0e38; // running max of an empty chunk (no infinities in WGSL constants)

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  let n_chunks = clamp(p.slots / max(step.m * p.n_heads, 1u), 1u, p.max_chunks);
  if (idx >= step.m * p.n_heads * n_chunks) { return; }
  let c = idx % n_chunks;
  let t = idx / n_chunks;
  let h = t % p.n_heads;
  let row = t / p.n_heads;
  let hd = p.head_dim;
  let kvh = h / (p.n_heads / p.n_kv);
  let kv_stride = p.n_kv * hd;
  let len = min(step.pos0 + row + 1u, p.max_seq);
  let chunk = (min(step.kv_len, p.max_seq) + n_chunks - 1u) / n_chunks;
  let start = c * chunk;
  let end = min(start + chunk, len);

  var qv: array<f32, 128>;
  var acc: array<f32, 128>;
  let qb = (row * p.n_heads + h) * hd;
  for (var d = 0u; d < hd; d++) {
    qv[d] = q[qb + d] * p.scale;
    acc[d] = 0.0;
  }
  var mx = EMPTY;
  var l = 0.0;
  for (var pos = start; pos < end; pos++) {
    let kb = pos * kv_stride + kvh * hd;
    var s = 0.0;
    for (var d = 0u; d < hd; d++) { s += qv[d] * f32(k_cache[kb + d]); }
    let m_new = max(mx, s);
    let corr = exp(mx - m_new);
    let e = exp(s - m_new);
    l = l * corr + e;
    for (var d = 0u; d < hd; d++) { acc[d] = acc[d] * corr + e * f32(v_cache[kb + d]); }
    mx = m_new;
  }
  let ob = idx * (hd + 2u);
  part[ob] = mx;
  part[ob + 1u] = l;
  for (var d = 0u; d < hd; d++) { part[ob + 2u + d] = acc[d]; }
}
