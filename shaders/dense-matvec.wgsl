// Dense linear, one token (decode / lm_head): y[n] (+)= sum_k x[xr, k] * W[n, k] for the rows n of ONE chunk
// of a DenseWeight (nn.Linear layout [N, K], rows split into chunks; the wrapper dispatches once per chunk).
// xr = 0, or Step.m - 1 when x_row_last = 1 (logits of the last prompt token after a prefill).
// One thread per output row, no barriers.
// Bindings:
//   @binding(0) x:    array<f32>  [M, cols]                      read
//   @binding(1) w:    array<u32>  [rows * cols] f32 bits, or [ceil(rows * cols / 2)] packed f16 pairs
//   @binding(2) y:    array<f32>  [N]                            read-write (row_start + r for chunk row r)
//   @binding(3) p:    Params      uniform
//   @binding(4) step: Step        uniform
// Dispatch: ceil(rows / 64) workgroups of 64, folded into (x, y); stride = x * 64.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { rows: u32, cols: u32, row_start: u32, accumulate: u32, is_f16: u32, x_row_last: u32, stride: u32, _p0: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<uniform> step: Step;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x + gid.y * p.stride;
  if (r >= p.rows) { return; }
  let K = p.cols;
  var xb = 0u;
  if (p.x_row_last != 0u) { xb = (step.m - 1u) * K; }
  var acc = 0.0;
  if (p.is_f16 == 0u) {
    let wb = r * K;
    for (var k = 0u; k < K; k++) { acc += x[xb + k] * bitcast<f32>(w[wb + k]); }
  } else if ((K & 1u) == 0u) {
    let wb = r * (K / 2u);
    for (var j = 0u; j < K / 2u; j++) {
      let pair = unpack2x16float(w[wb + j]);
      acc += x[xb + 2u * j] * pair.x + x[xb + 2u * j + 1u] * pair.y;
    }
  } else {
    let eb = r * K;
    for (var k = 0u; k < K; k++) {
      let e = eb + k;
      acc += x[xb + k] * unpack2x16float(w[e >> 1u])[e & 1u];
    }
  }
  let n = p.row_start + r;
  if (p.accumulate != 0u) { y[n] = y[n] + acc; } else { y[n] = acc; }
}
