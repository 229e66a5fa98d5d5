// The chosen experts' down projections (GPTQ 4-bit), summed over the slots and added to the residual:
//   y[t, n] += Σ_j D_e[n] · act[t, j, :],   e = expert id of slot j of token t (routing weight already in act)
// for the experts of ONE expert chunk [e0, e0 + n_chunk) (one dispatch per chunk, in order, so the += of
// different chunks never race); slots whose expert lies elsewhere are skipped without reading their weights.
// Layout of a chunk (src/model/moe-expert-pack.ts): D rows of K = F per expert:
//   W[e, n, perm[e, p]] = scale(e, n, g) · (nibble(e, n, p) − zero(e, n, g)),  g = p / group_size
// Bindings:
//   @binding(0) act:   array<vec4<f32>>  [M, top_k, K / 4] read (shaders/moe-expert-gate-up.wgsl; K % 8 == 0)
//   @binding(1) route: array<u32>  [M, top_k, 2]       read (id, bitcast weight)
//   @binding(2) words: array<u32>  [n_chunk, D, K/8]   read
//   @binding(3) sz:    array<u32>  [n_chunk, D, n_groups] read; bits 0..15 f16 scale, 16..23 zero point
//   @binding(4) perm:  array<u32>  [n_chunk, K]        read
//   @binding(5) y:     array<f32>  [M, D]              read-write (the residual stream)
//   @binding(6) p:     Params      uniform
//   @binding(7) step:  Step        uniform (tokens = Step.m)
// identity != 0 (no act-order in any expert of the chunk): act is read as vec4 pairs without the permutation.
// Dispatch: ceil(Step.m · D / 64) workgroups of 64 folded into (x, y); stride = x · 64. One thread per (token, row).

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { K: u32, D: u32, top_k: u32, e0: u32, n_chunk: u32, n_groups: u32, group_words: u32, stride: u32, identity: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<storage, read> act: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> route: array<u32>;
@group(0) @binding(2) var<storage, read> words: array<u32>;
@group(0) @binding(3) var<storage, read> sz: array<u32>;
@group(0) @binding(4) var<storage, read> perm: array<u32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;
@group(0) @binding(7) var<uniform> step: Step;

const SHIFT_LO = vec4<u32>(0u, 4u, 8u, 12u);
const SHIFT_HI = vec4<u32>(16u, 20u, 24u, 28u);
const ONES = vec4<f32>(1.0);

fn aat(i: u32) -> f32 { return act[i >> 2u][i & 3u]; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.stride;
  if (i >= step.m * p.D) { return; }
  let n = i % p.D;
  let t = i / p.D;
  let wpr = p.K / 8u;
  var total = 0.0;
  var hit = false;
  for (var j = 0u; j < p.top_k; j++) {
    let tj = t * p.top_k + j;
    let e = route[2u * tj];
    if (e < p.e0 || e >= p.e0 + p.n_chunk) { continue; }
    hit = true;
    let el = e - p.e0;
    let r = el * p.D + n;
    let ab = tj * p.K;
    let pb = el * p.K;
    var acc = 0.0;
    for (var g = 0u; g < p.n_groups; g++) {
      let w0 = g * p.group_words;
      let w1 = min(w0 + p.group_words, wpr);
      var dq = 0.0;
      var xsum = 0.0;
      if (p.identity != 0u) {
        for (var wi = w0; wi < w1; wi++) {
          let word = vec4<u32>(words[r * wpr + wi]);
          let x0 = act[(ab >> 2u) + 2u * wi];
          let x1 = act[(ab >> 2u) + 2u * wi + 1u];
          dq += dot(x0, vec4<f32>((word >> SHIFT_LO) & vec4<u32>(15u))) + dot(x1, vec4<f32>((word >> SHIFT_HI) & vec4<u32>(15u)));
          xsum += dot(x0 + x1, ONES);
        }
      } else {
        for (var wi = w0; wi < w1; wi++) {
          let word = words[r * wpr + wi];
          for (var b = 0u; b < 8u; b++) {
            let xv = aat(ab + perm[pb + wi * 8u + b]);
            dq += xv * f32((word >> (4u * b)) & 15u);
            xsum += xv;
          }
        }
      }
      let s_z = sz[r * p.n_groups + g];
      acc += unpack2x16float(s_z).x * (dq - f32((s_z >> 16u) & 0xffu) * xsum);
    }
    total += acc;
  }
  if (hit) { y[i] = y[i] + total; }
}
