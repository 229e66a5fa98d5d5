// The chosen experts' gate and up projections (GPTQ 4-bit), fused with SwiGLU and the routing weight:
//   act[t, j, n] = w(t, j) · silu(G_e[n] · x[t]) · (U_e[n] · x[t]),   e = expert id of slot j of token t
// for the experts of ONE expert chunk [e0, e0 + n_chunk) (the wrapper dispatches once per chunk; a slot whose
// expert lies elsewhere returns at once, so only the chosen experts' weights are ever read).
// Layout of a chunk (src/model/moe-expert-pack.ts): per expert the gate rows then the up rows, 2F rows of K:
//   W[e, r, perm[e, r < F ? 0 : 1, p]] = scale(e, r, g) · (nibble(e, r, p) − zero(e, r, g)),  g = p / group_size
// Bindings:
//   @binding(0) x:     array<vec4<f32>>  [M, K / 4]    read (the normalised hidden state; K % 8 == 0)
//   @binding(1) route: array<u32>  [M, top_k, 2]       read (shaders/moe-route.wgsl: id, bitcast weight)
//   @binding(2) words: array<u32>  [n_chunk, 2F, K/8]  read; nibble j of word w = q at packed position 8w + j
//   @binding(3) sz:    array<u32>  [n_chunk, 2F, n_groups] read; bits 0..15 f16 scale, 16..23 zero point
//   @binding(4) perm:  array<u32>  [n_chunk, 2, K]     read; x index of packed position p (gate, up)
//   @binding(5) act:   array<f32>  [M, top_k, F]       read-write
//   @binding(6) p:     Params      uniform
//   @binding(7) step:  Step        uniform (tokens = Step.m)
// identity != 0 (no act-order in any expert of the chunk): x is read as vec4 pairs without the permutation.
// Dispatch: ceil(Step.m · top_k · F / 64) workgroups of 64 folded into (x, y); stride = x · 64. One thread per
// (token, slot, row).

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { K: u32, F: u32, top_k: u32, e0: u32, n_chunk: u32, n_groups: u32, group_words: u32, stride: u32, identity: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> route: array<u32>;
@group(0) @binding(2) var<storage, read> words: array<u32>;
@group(0) @binding(3) var<storage, read> sz: array<u32>;
@group(0) @binding(4) var<storage, read> perm: array<u32>;
@group(0) @binding(5) var<storage, read_write> act: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;
@group(0) @binding(7) var<uniform> step: Step;

const SHIFT_LO = vec4<u32>(0u, 4u, 8u, 12u);
const SHIFT_HI = vec4<u32>(16u, 20u, 24u, 28u);
const ONES = vec4<f32>(1.0);

fn xat(i: u32) -> f32 { return x[i >> 2u][i & 3u]; }

// Row `row` (0..2F) of local expert `el` dotted with x row starting at xb (a multiple of 8); `which` picks the
// permutation.
fn row_dot(el: u32, row: u32, which: u32, xb: u32) -> f32 {
  let wpr = p.K / 8u;
  let r = el * 2u * p.F + row;
  let pb = (el * 2u + which) * p.K;
  var acc = 0.0;
  for (var g = 0u; g < p.n_groups; g++) {
    let w0 = g * p.group_words;
    let w1 = min(w0 + p.group_words, wpr);
    var dq = 0.0;
    var xsum = 0.0;
    if (p.identity != 0u) {
      for (var wi = w0; wi < w1; wi++) {
        let word = vec4<u32>(words[r * wpr + wi]);
        let x0 = x[(xb >> 2u) + 2u * wi];
        let x1 = x[(xb >> 2u) + 2u * wi + 1u];
        dq += dot(x0, vec4<f32>((word >> SHIFT_LO) & vec4<u32>(15u))) + dot(x1, vec4<f32>((word >> SHIFT_HI) & vec4<u32>(15u)));
        xsum += dot(x0 + x1, ONES);
      }
    } else {
      for (var wi = w0; wi < w1; wi++) {
        let word = words[r * wpr + wi];
        for (var j = 0u; j < 8u; j++) {
          let xv = xat(xb + perm[pb + wi * 8u + j]);
          dq += xv * f32((word >> (4u * j)) & 15u);
          xsum += xv;
        }
      }
    }
    let s_z = sz[r * p.n_groups + g];
    acc += unpack2x16float(s_z).x * (dq - f32((s_z >> 16u) & 0xffu) * xsum);
  }
  return acc;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.stride;
  if (i >= step.m * p.top_k * p.F) { return; }
  let n = i % p.F;
  let tj = i / p.F; // t * top_k + j
  let t = tj / p.top_k;
  let e = route[2u * tj];
  if (e < p.e0 || e >= p.e0 + p.n_chunk) { return; }
  let el = e - p.e0;
  let w = bitcast<f32>(route[2u * tj + 1u]);
  let g = row_dot(el, n, 0u, t * p.K);
  let u = row_dot(el, p.F + n, 1u, t * p.K);
  act[i] = w * (g / (1.0 + exp(-g))) * u;
}
