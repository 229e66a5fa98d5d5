// Dense linear, one token (decode / lm_head): y[n] (+)= sum_k x[xr, k] * W[n, k] for the rows n of ONE chunk
// of a DenseWeight (nn.Linear layout [N, K], rows split into chunks; the wrapper dispatches once per chunk).
// xr = 0, or Step.m - 1 when x_row_last = 1 (logits of the last prompt token after a prefill).
// One thread per output row, no barriers. Vector loads: when cols % 8 == 0 (f16) or cols % 4 == 0 (f32) every
// load brings a vec4<u32> of weights (8 f16 or 4 f32) and the matching x quads; other shapes take the scalar path.
// Threads past the last row compute on the last row and write nothing (no divergent early return).
// Bindings:
//   @binding(0) x:    array<vec4<f32>>  [M * cols / 4] (buffers are padded to 16 bytes) read
//   @binding(1) w:    array<vec4<u32>>  [rows * cols] f32 bits, or [ceil(rows * cols / 2)] packed f16 pairs
//   @binding(2) y:    array<f32>  [N]                            read-write (row_start + r for chunk row r)
//   @binding(3) p:    Params      uniform
//   @binding(4) step: Step        uniform
// Dispatch: ceil(rows / 64) workgroups of 64, folded into (x, y); stride = x * 64.

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { rows: u32, cols: u32, row_start: u32, accumulate: u32, is_f16: u32, x_row_last: u32, stride: u32, _p0: u32 }

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<uniform> step: Step;

fn xs(i: u32) -> f32 { return x[i >> 2u][i & 3u]; }
fn ws(i: u32) -> u32 { return w[i >> 2u][i & 3u]; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r_out = gid.x + gid.y * p.stride;
  let r = min(r_out, p.rows - 1u);
  let K = p.cols;
  var xb = 0u;
  if (p.x_row_last != 0u) { xb = (step.m - 1u) * K; }
  var acc = 0.0;
  if (p.is_f16 == 0u) {
    let wb = r * K;
    if ((K & 3u) == 0u) {
      var a4 = vec4<f32>(0.0);
      for (var j = 0u; j < K / 4u; j++) { a4 += x[xb / 4u + j] * bitcast<vec4<f32>>(w[wb / 4u + j]); }
      acc = a4.x + a4.y + a4.z + a4.w;
    } else {
      for (var k = 0u; k < K; k++) { acc += xs(xb + k) * bitcast<f32>(ws(wb + k)); }
    }
  } else if ((K & 7u) == 0u) {
    let wb = r * (K / 8u);
    let xq = xb / 4u;
    var a4 = vec4<f32>(0.0);
    for (var j = 0u; j < K / 8u; j++) {
      let v = w[wb + j];
      let lo = vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
      let hi = vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w));
      a4 += x[xq + 2u * j] * lo + x[xq + 2u * j + 1u] * hi;
    }
    acc = a4.x + a4.y + a4.z + a4.w;
  } else if ((K & 1u) == 0u) {
    let wb = r * (K / 2u);
    for (var j = 0u; j < K / 2u; j++) {
      let pair = unpack2x16float(ws(wb + j));
      acc += xs(xb + 2u * j) * pair.x + xs(xb + 2u * j + 1u) * pair.y;
    }
  } else {
    let eb = r * K;
    for (var k = 0u; k < K; k++) {
      let e = eb + k;
      acc += xs(xb + k) * unpack2x16float(ws(e >> 1u))[e & 1u];
    }
  }
  if (r_out < p.rows) {
    let n = p.row_start + r_out;
    if (p.accumulate != 0u) { y[n] = y[n] + acc; } else { y[n] = acc; }
  }
}
