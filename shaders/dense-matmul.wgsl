// Dense linear, several tokens (prefill): y[m, n] (+)= sum_k x[m, k] * W[n, k] for the rows of ONE chunk of a
// DenseWeight (nn.Linear layout; the wrapper dispatches once per chunk). Each thread owns one weight row and
// a tile of 4 tokens: every weight is loaded (and unpacked) once and used 4 times. No barriers.
// Bindings:
//   @binding(0) x:    array<f32>  [M, cols]                      read
//   @binding(1) w:    array<u32>  [rows * cols] f32 bits, or [ceil(rows * cols / 2)] packed f16 pairs
//   @binding(2) y:    array<f32>  [M, n_out]                     read-write
//   @binding(3) p:    Params      uniform
//   @binding(4) step: Step        uniform (M = Step.m)
// Dispatch: ceil(rows * ceil(Step.m / 4) / 64) workgroups of 64, folded into (x, y); stride = x * 64.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { rows: u32, cols: u32, row_start: u32, accumulate: u32, is_f16: u32, n_out: u32, stride: u32, _p0: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<uniform> step: Step;

const TM: u32 = 4u;

fn weight(e: u32) -> f32 {
  if (p.is_f16 != 0u) { return unpack2x16float(w[e >> 1u])[e & 1u]; }
  return bitcast<f32>(w[e]);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.stride;
  let M = step.m;
  let tiles = (M + TM - 1u) / TM;
  if (idx >= p.rows * tiles) { return; }
  let r = idx % p.rows;
  let m0 = (idx / p.rows) * TM;
  let K = p.cols;
  // Rows past M re-read the last valid row (no branch in the hot loop) and are not written.
  var xb: array<u32, 4>;
  for (var t = 0u; t < TM; t++) { xb[t] = min(m0 + t, M - 1u) * K; }
  var acc = vec4<f32>(0.0);
  let eb = r * K;
  for (var k = 0u; k < K; k++) {
    let wv = weight(eb + k);
    acc += wv * vec4<f32>(x[xb[0] + k], x[xb[1] + k], x[xb[2] + k], x[xb[3] + k]);
  }
  let n = p.row_start + r;
  for (var t = 0u; t < TM; t++) {
    if (m0 + t < M) {
      let o = (m0 + t) * p.n_out + n;
      if (p.accumulate != 0u) { y[o] = y[o] + acc[t]; } else { y[o] = acc[t]; }
    }
  }
}
