// Prefill: the chosen experts' down projections (GPTQ 4-bit) grouped by expert — each weight word is read once
// for up to TM slots that chose the expert — written per slot (shaders/moe-combine.wgsl sums the slots into
// the residual, so experts of one token never race on it):
//   out[s, n] = D_e[n] · act[s, :],   s a slot that chose e (routing weight already in act)
// Layout of a chunk as in moe-expert-down.wgsl (src/model/moe-expert-pack.ts).
// Bindings:
//   @binding(0) act:    array<vec4<f32>>  [M, top_k, K / 4]  read (K = F, K % 8 == 0)
//   @binding(1) out:    array<f32>  [M, top_k, D]            read-write
//   @binding(2) words:  array<u32>  [n_chunk, D, K/8]        read
//   @binding(3) sz:     array<u32>  [n_chunk, D, n_groups]   read
//   @binding(4) perm:   array<u32>  [n_chunk, K]             read
//   @binding(5) groups: array<u32>  [n_experts, 1 + max_m]   read (shaders/moe-group.wgsl)
//   @binding(6) p:      Params      uniform
//   @binding(7) step:   Step        uniform (tokens = Step.m)
// Dispatch: ceil(n_chunk · ceil(Step.m / TM) · D / 64) workgroups of 64 folded into (x, y); stride = x · 64.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { K: u32, D: u32, top_k: u32, e0: u32, n_chunk: u32, n_groups: u32, group_words: u32, stride: u32, identity: u32, max_m: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<storage, read> act: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> words: array<u32>;
@group(0) @binding(3) var<storage, read> sz: array<u32>;
@group(0) @binding(4) var<storage, read> perm: array<u32>;
@group(0) @binding(5) var<storage, read> groups: array<u32>;
@group(0) @binding(6) var<uniform> p: Params;
@group(0) @binding(7) var<uniform> step: Step;

const TM: u32 = 4u;
const SHIFT_LO = vec4<u32>(0u, 4u, 8u, 12u);
const SHIFT_HI = vec4<u32>(16u, 20u, 24u, 28u);
const ONES = vec4<f32>(1.0);

fn aat(i: u32) -> f32 { return act[i >> 2u][i & 3u]; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  let nb = (step.m + TM - 1u) / TM;
  let n = idx % p.D;
  let q = idx / p.D;
  let b = q % nb;
  let el = q / nb;
  if (el >= p.n_chunk) { return; }
  let gbase = (p.e0 + el) * (1u + p.max_m);
  let cnt = groups[gbase];
  if (b * TM >= cnt) { return; }
  let nt = min(TM, cnt - b * TM);
  var slot: array<u32, TM>;
  for (var i = 0u; i < TM; i++) { slot[i] = groups[gbase + 1u + b * TM + min(i, nt - 1u)]; }
  let wpr = p.K / 8u;
  let r = el * p.D + n;
  let pb = el * p.K;
  var acc = array<f32, TM>();
  for (var g = 0u; g < p.n_groups; g++) {
    let w0 = g * p.group_words;
    let w1 = min(w0 + p.group_words, wpr);
    var dq = array<f32, TM>();
    var xs = array<f32, TM>();
    for (var wi = w0; wi < w1; wi++) {
      let word = words[r * wpr + wi];
      let qlo = vec4<f32>((vec4<u32>(word) >> SHIFT_LO) & vec4<u32>(15u));
      let qhi = vec4<f32>((vec4<u32>(word) >> SHIFT_HI) & vec4<u32>(15u));
      for (var i = 0u; i < nt; i++) {
        let ab = slot[i] * p.K;
        var x0: vec4<f32>;
        var x1: vec4<f32>;
        if (p.identity != 0u) {
          x0 = act[(ab >> 2u) + 2u * wi];
          x1 = act[(ab >> 2u) + 2u * wi + 1u];
        } else {
          let o = pb + wi * 8u;
          x0 = vec4<f32>(aat(ab + perm[o]), aat(ab + perm[o + 1u]), aat(ab + perm[o + 2u]), aat(ab + perm[o + 3u]));
          x1 = vec4<f32>(aat(ab + perm[o + 4u]), aat(ab + perm[o + 5u]), aat(ab + perm[o + 6u]), aat(ab + perm[o + 7u]));
        }
        dq[i] += dot(x0, qlo) + dot(x1, qhi);
        xs[i] += dot(x0 + x1, ONES);
      }
    }
    let s_z = sz[r * p.n_groups + g];
    let s = unpack2x16float(s_z).x;
    let z = f32((s_z >> 16u) & 0xffu);
    for (var i = 0u; i < nt; i++) { acc[i] += s * (dq[i] - z * xs[i]); }
  }
  for (var i = 0u; i < nt; i++) { out[slot[i] * p.D + n] = acc[i]; }
}
