// Dense linear, one token (decode / lm_head), for CPU drivers (lavapipe/llvmpipe): rows per thread, weights read
// as vec4<u32>, x shared over the subgroup. Same math as shaders/dense-matvec.wgsl, for the rows of ONE chunk of a
// DenseWeight (nn.Linear layout [N, K], rows split into chunks; the wrapper dispatches once per chunk):
//   y[n] (+)= sum_k x[xr, k] * W[n, k]        xr = 0, or Step.m - 1 when x_row_last = 1
// A load j of a row is one vec4<u32>: 8 f16 weights (4 words of packed pairs, unpack2x16float) or 4 f32 weights.
// Why (docs/PERFORMANCE-NOTES.md, "CPU-driver GPTQ matvec: what limits it on lavapipe"): llvmpipe turns every
// storage load whose index depends on a loop variable into a per-lane scalar loop, including the x loads that all
// lanes share. So x is read in blocks of 8 vec4<f32> (32 values): each lane loads ONE of them (lane & 7) and
// subgroupBroadcast (a register extract + broadcast there) hands all 8 to every lane; the weights come 4 words
// per load. A block covers 4 f16 loads or 8 f32 loads of each row; the last, partial block guards its loads with
// conditions that depend only on K (uniform), so every lane stays active for the broadcasts.
// Each thread owns R rows (R = 1, 2 or 4, override), 64 apart; out-of-range rows re-read the last row and are
// not written. Needs subgroups with subgroup_size >= 8 (the variant's supports() checks GpuContext.subgroupMinSize);
// on a smaller subgroup the output is NaN, so that the autotuner's CPU-twin check rejects it instead of using
// wrong numbers. The wrapper uses this kernel only when a row is a whole number of loads (cols % 8 == 0 for f16,
// cols % 4 == 0 for f32), so every row starts on a vec4 boundary.
// Bindings:
//   @binding(0) x:    array<vec4<f32>>  [M * cols / 4]                                   read
//   @binding(1) w:    array<vec4<u32>>  [rows * cols / 8] packed f16 pairs, or [rows * cols / 4] f32 bits   read
//   @binding(2) y:    array<f32>  [N]                         read-write (row_start + r for chunk row r)
//   @binding(3) p:    Params      uniform
//   @binding(4) step: Step        uniform
// Dispatch: ceil(rows / (64 * R)) workgroups of 64, folded into (x, y) with x = p.grid_x.
enable subgroups;

struct Step { pos0: u32, m: u32, kv_len: u32, seed: u32, sample_step: u32, _pad0: u32, _pad1: u32, _pad2: u32 }
struct Params { rows: u32, cols: u32, row_start: u32, accumulate: u32, is_f16: u32, x_row_last: u32, grid_x: u32, _p0: u32 }

/** Rows per thread: 1, 2 or 4 (the code of rows 1..3 folds away at R = 1, of rows 2, 3 at R = 2). */
override R: u32 = 2u;

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<uniform> step: Step;

// 8 f16 weights (one load) against their 8 x values (xa: weights 0..3, xb: 4..7).
fn dot8(v: vec4<u32>, xa: vec4<f32>, xb: vec4<f32>) -> vec4<f32> {
  return xa * vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y)) + xb * vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w));
}

// 4 f32 weights (one load) against their 4 x values.
fn dot4(v: vec4<u32>, xa: vec4<f32>) -> vec4<f32> { return xa * bitcast<vec4<f32>>(v); }

fn store(rr: u32, a: vec4<f32>, poison: bool) {
  if (rr < p.rows) {
    let n = p.row_start + rr;
    var v = a.x + a.y + a.z + a.w;
    if (poison) { v = bitcast<f32>(0x7fc00000u | (rr & 0u)); }
    if (p.accumulate != 0u) { y[n] = y[n] + v; } else { y[n] = v; }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) sg_size: u32) {
  let base = (wid.x + wid.y * p.grid_x) * (64u * R) + lid;
  let last = p.rows - 1u;
  let r0 = min(base, last);
  let r1 = min(base + 64u, last);
  let r2 = min(base + 128u, last);
  let r3 = min(base + 192u, last);
  let K = p.cols;
  let xvecs = K / 4u; // x vec4s of one row
  var xq = 0u;        // x row start in vec4 units
  if (p.x_row_last != 0u) { xq = (step.m - 1u) * xvecs; }
  let xl = lane & 7u;
  let blocks = (xvecs + 7u) / 8u;
  var a0 = vec4<f32>(0.0); var a1 = vec4<f32>(0.0); var a2 = vec4<f32>(0.0); var a3 = vec4<f32>(0.0);
  if (p.is_f16 != 0u) {
    let n_loads = K / 8u; // per row; block b holds loads 4b .. 4b + 3
    let w0 = r0 * n_loads; let w1 = r1 * n_loads; let w2 = r2 * n_loads; let w3 = r3 * n_loads;
    for (var b = 0u; b < blocks; b++) {
      // Lanes past the row's end load a clamped vec4 that no guarded load below uses.
      let xv = x[xq + min(8u * b + xl, xvecs - 1u)];
      let j = 4u * b;
      let full = j + 4u <= n_loads;
      {
        let xa = subgroupBroadcast(xv, 0u); let xb = subgroupBroadcast(xv, 1u);
        a0 += dot8(w[w0 + j], xa, xb); if (R > 1u) { a1 += dot8(w[w1 + j], xa, xb); }
        if (R > 2u) { a2 += dot8(w[w2 + j], xa, xb); a3 += dot8(w[w3 + j], xa, xb); }
      }
      let xc = subgroupBroadcast(xv, 2u); let xd = subgroupBroadcast(xv, 3u);
      if (full || j + 1u < n_loads) {
        a0 += dot8(w[w0 + j + 1u], xc, xd); if (R > 1u) { a1 += dot8(w[w1 + j + 1u], xc, xd); }
        if (R > 2u) { a2 += dot8(w[w2 + j + 1u], xc, xd); a3 += dot8(w[w3 + j + 1u], xc, xd); }
      }
      let xe = subgroupBroadcast(xv, 4u); let xf = subgroupBroadcast(xv, 5u);
      if (full || j + 2u < n_loads) {
        a0 += dot8(w[w0 + j + 2u], xe, xf); if (R > 1u) { a1 += dot8(w[w1 + j + 2u], xe, xf); }
        if (R > 2u) { a2 += dot8(w[w2 + j + 2u], xe, xf); a3 += dot8(w[w3 + j + 2u], xe, xf); }
      }
      let xg = subgroupBroadcast(xv, 6u); let xh = subgroupBroadcast(xv, 7u);
      if (full) {
        a0 += dot8(w[w0 + j + 3u], xg, xh); if (R > 1u) { a1 += dot8(w[w1 + j + 3u], xg, xh); }
        if (R > 2u) { a2 += dot8(w[w2 + j + 3u], xg, xh); a3 += dot8(w[w3 + j + 3u], xg, xh); }
      }
    }
  } else {
    let n_loads = xvecs; // per row; block b holds loads 8b .. 8b + 7
    let w0 = r0 * n_loads; let w1 = r1 * n_loads; let w2 = r2 * n_loads; let w3 = r3 * n_loads;
    for (var b = 0u; b < blocks; b++) {
      let xv = x[xq + min(8u * b + xl, xvecs - 1u)];
      let j = 8u * b;
      let full = j + 8u <= n_loads;
      {
        let xa = subgroupBroadcast(xv, 0u);
        a0 += dot4(w[w0 + j], xa); if (R > 1u) { a1 += dot4(w[w1 + j], xa); }
        if (R > 2u) { a2 += dot4(w[w2 + j], xa); a3 += dot4(w[w3 + j], xa); }
      }
      let x1 = subgroupBroadcast(xv, 1u);
      if (full || j + 1u < n_loads) {
        a0 += dot4(w[w0 + j + 1u], x1); if (R > 1u) { a1 += dot4(w[w1 + j + 1u], x1); }
        if (R > 2u) { a2 += dot4(w[w2 + j + 1u], x1); a3 += dot4(w[w3 + j + 1u], x1); }
      }
      let x2 = subgroupBroadcast(xv, 2u);
      if (full || j + 2u < n_loads) {
        a0 += dot4(w[w0 + j + 2u], x2); if (R > 1u) { a1 += dot4(w[w1 + j + 2u], x2); }
        if (R > 2u) { a2 += dot4(w[w2 + j + 2u], x2); a3 += dot4(w[w3 + j + 2u], x2); }
      }
      let x3 = subgroupBroadcast(xv, 3u);
      if (full || j + 3u < n_loads) {
        a0 += dot4(w[w0 + j + 3u], x3); if (R > 1u) { a1 += dot4(w[w1 + j + 3u], x3); }
        if (R > 2u) { a2 += dot4(w[w2 + j + 3u], x3); a3 += dot4(w[w3 + j + 3u], x3); }
      }
      let x4 = subgroupBroadcast(xv, 4u);
      if (full || j + 4u < n_loads) {
        a0 += dot4(w[w0 + j + 4u], x4); if (R > 1u) { a1 += dot4(w[w1 + j + 4u], x4); }
        if (R > 2u) { a2 += dot4(w[w2 + j + 4u], x4); a3 += dot4(w[w3 + j + 4u], x4); }
      }
      let x5 = subgroupBroadcast(xv, 5u);
      if (full || j + 5u < n_loads) {
        a0 += dot4(w[w0 + j + 5u], x5); if (R > 1u) { a1 += dot4(w[w1 + j + 5u], x5); }
        if (R > 2u) { a2 += dot4(w[w2 + j + 5u], x5); a3 += dot4(w[w3 + j + 5u], x5); }
      }
      let x6 = subgroupBroadcast(xv, 6u);
      if (full || j + 6u < n_loads) {
        a0 += dot4(w[w0 + j + 6u], x6); if (R > 1u) { a1 += dot4(w[w1 + j + 6u], x6); }
        if (R > 2u) { a2 += dot4(w[w2 + j + 6u], x6); a3 += dot4(w[w3 + j + 6u], x6); }
      }
      let x7 = subgroupBroadcast(xv, 7u);
      if (full) {
        a0 += dot4(w[w0 + j + 7u], x7); if (R > 1u) { a1 += dot4(w[w1 + j + 7u], x7); }
        if (R > 2u) { a2 += dot4(w[w2 + j + 7u], x7); a3 += dot4(w[w3 + j + 7u], x7); }
      }
    }
  }
  let poison = sg_size < 8u;
  store(base, a0, poison);
  if (R > 1u) { store(base + 64u, a1, poison); }
  if (R > 2u) {
    store(base + 128u, a2, poison);
    store(base + 192u, a3, poison);
  }
}
