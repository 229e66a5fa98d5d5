// Prefill: the chosen experts' gate and up projections (GPTQ 4-bit) grouped by expert, fused with SwiGLU and
// the routing weight — each weight word is read once for up to TM tokens that chose the expert:
//   act[s, n] = w(s) · silu(G_e[n] · x[t]) · (U_e[n] · x[t]),  s = t · top_k + j a slot that chose e
// Same result as shaders/moe-expert-gate-up.wgsl (its CPU twin moeExpertGateUpCpu is this kernel's twin).
// Layout of a chunk as in moe-expert-gate-up.wgsl (src/model/moe-expert-pack.ts).
// Bindings:
//   @binding(0) x:      array<vec4<f32>>  [M, K / 4]          read (K % 8 == 0)
//   @binding(1) route:  array<u32>  [M, top_k, 2]             read (for the weights)
//   @binding(2) words:  array<u32>  [n_chunk, 2F, K/8]        read
//   @binding(3) sz:     array<u32>  [n_chunk, 2F, n_groups]   read
//   @binding(4) perm:   array<u32>  [n_chunk, 2, K]           read
//   @binding(5) act:    array<f32>  [M, top_k, F]             read-write
//   @binding(6) groups: array<u32>  [n_experts, 1 + max_m]    read (shaders/moe-group.wgsl)
//   @binding(7) p:      Params      uniform
//   @binding(8) step:   Step        uniform (tokens = Step.m)
// Dispatch: ceil(n_chunk · ceil(Step.m / TM) · F / 64) workgroups of 64 folded into (x, y); stride = x · 64.
// Thread (expert, token block, row); blocks past the expert's count return at once (no weight read).

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { K: u32, F: u32, top_k: u32, e0: u32, n_chunk: u32, n_groups: u32, group_words: u32, stride: u32, identity: u32, max_m: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> route: array<u32>;
@group(0) @binding(2) var<storage, read> words: array<u32>;
@group(0) @binding(3) var<storage, read> sz: array<u32>;
@group(0) @binding(4) var<storage, read> perm: array<u32>;
@group(0) @binding(5) var<storage, read_write> act: array<f32>;
@group(0) @binding(6) var<storage, read> groups: array<u32>;
@group(0) @binding(7) var<uniform> p: Params;
@group(0) @binding(8) var<uniform> step: Step;

const TM: u32 = 4u;
const SHIFT_LO = vec4<u32>(0u, 4u, 8u, 12u);
const SHIFT_HI = vec4<u32>(16u, 20u, 24u, 28u);
const ONES = vec4<f32>(1.0);

fn xat(i: u32) -> f32 { return x[i >> 2u][i & 3u]; }

// Row `row` of local expert el for the TM tokens whose x rows start at xb[i] (multiples of 8).
fn rows_dot(el: u32, row: u32, which: u32, xb: array<u32, TM>, nt: u32) -> array<f32, TM> {
  let wpr = p.K / 8u;
  let r = el * 2u * p.F + row;
  let pb = (el * 2u + which) * p.K;
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
        var x0: vec4<f32>;
        var x1: vec4<f32>;
        if (p.identity != 0u) {
          x0 = x[(xb[i] >> 2u) + 2u * wi];
          x1 = x[(xb[i] >> 2u) + 2u * wi + 1u];
        } else {
          let q = pb + wi * 8u;
          x0 = vec4<f32>(xat(xb[i] + perm[q]), xat(xb[i] + perm[q + 1u]), xat(xb[i] + perm[q + 2u]), xat(xb[i] + perm[q + 3u]));
          x1 = vec4<f32>(xat(xb[i] + perm[q + 4u]), xat(xb[i] + perm[q + 5u]), xat(xb[i] + perm[q + 6u]), xat(xb[i] + perm[q + 7u]));
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
  return acc;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  let nb = (step.m + TM - 1u) / TM;
  let n = idx % p.F;
  let q = idx / p.F;
  let b = q % nb;
  let el = q / nb;
  if (el >= p.n_chunk) { return; }
  let gbase = (p.e0 + el) * (1u + p.max_m);
  let cnt = groups[gbase];
  if (b * TM >= cnt) { return; }
  let nt = min(TM, cnt - b * TM);
  var slot: array<u32, TM>;
  var xb: array<u32, TM>;
  for (var i = 0u; i < TM; i++) {
    let s = groups[gbase + 1u + b * TM + min(i, nt - 1u)];
    slot[i] = s;
    xb[i] = (s / p.top_k) * p.K;
  }
  let g = rows_dot(el, n, 0u, xb, nt);
  let u = rows_dot(el, p.F + n, 1u, xb, nt);
  for (var i = 0u; i < nt; i++) {
    let w = bitcast<f32>(route[2u * slot[i] + 1u]);
    act[slot[i] * p.F + n] = w * (g[i] / (1.0 + exp(-g[i]))) * u[i];
  }
}
