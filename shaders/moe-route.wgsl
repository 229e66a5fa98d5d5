// Mixture-of-experts routing for each token (HF semantics, src/model/moe.ts):
//   p = softmax(logits[t, :]) over ALL n_experts in f32;  top-k of p (best first, ties: lower expert id);
//   if norm_topk != 0: the k weights divided by their sum.
// One thread per token (n_experts ≤ 256, top_k ≤ n_experts: checked at bind time).
// Bindings:
//   @binding(0) logits: array<f32>  [M, n_experts]     read (the router's output)
//   @binding(1) route:  array<u32>  [M, top_k, 2]      read-write; [t, j, 0] = expert id, [t, j, 1] = bitcast f32 weight
//   @binding(2) p:      Params      uniform {n_experts, top_k, norm_topk}
//   @binding(3) step:   Step        uniform (tokens = Step.m)
// Dispatch: ceil(Step.m / 64) workgroups of 64.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { n_experts: u32, top_k: u32, norm_topk: u32, _p0: u32 }

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read_write> route: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<uniform> step: Step;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= step.m) { return; }
  let base = t * p.n_experts;
  var mx = logits[base];
  for (var e = 1u; e < p.n_experts; e++) { mx = max(mx, logits[base + e]); }
  var prob: array<f32, 256>;
  var sum = 0.0;
  for (var e = 0u; e < p.n_experts; e++) {
    let v = exp(logits[base + e] - mx);
    prob[e] = v;
    sum += v;
  }
  for (var e = 0u; e < p.n_experts; e++) { prob[e] = prob[e] / sum; }
  // Repeated selection: the largest remaining probability, the lower id on ties (strict >); taken ones get -1.
  var ids: array<u32, 256>;
  var ws: array<f32, 256>;
  var wsum = 0.0;
  for (var j = 0u; j < p.top_k; j++) {
    var best = 0u;
    var bv = -1.0;
    for (var e = 0u; e < p.n_experts; e++) {
      if (prob[e] > bv) { bv = prob[e]; best = e; }
    }
    ids[j] = best;
    ws[j] = bv;
    wsum += bv;
    prob[best] = -1.0;
  }
  let o = t * p.top_k * 2u;
  for (var j = 0u; j < p.top_k; j++) {
    var w = ws[j];
    if (p.norm_topk != 0u) { w = w / wsum; }
    route[o + 2u * j] = ids[j];
    route[o + 2u * j + 1u] = bitcast<u32>(w);
  }
}
