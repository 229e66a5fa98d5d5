// GPTQ 4-bit linear, one token (decode): fused dequant + matvec on the repacked layout of src/gpu/gptq-repack.ts,
// for the rows of ONE row chunk (the wrapper dispatches once per chunk).
//   W[n, perm[p]] = scale(n, g) * (nibble(n, p) - zero(n, g)),  g = p / group_size (packed position p)
//   y[n] (+)= sum_g scale * (sum_{p in g} xs[p] * q16(n, p)  -  zero * gsum[g])  (+ bias[n])
// xs / gsum come from shaders/gptq-prepare-x.wgsl (once per linear, not per row): x in packed order scaled by
// 16^-(p % 4), and the per-group sums of x. q16 = nibble * 16^(p % 4) is ONE mask + convert per nibble (the
// nibble is never shifted down): word & (15 << 4j) for j < 4, (word >> 16) & (15 << 4(j - 4)) for j >= 4.
// Each thread owns ROWS rows (64 apart) and walks each of them contiguously along K (rows are row-major, the
// per-thread streaming pattern CPU drivers read best), loading each x quad once for all of them. No barriers,
// no workgroup memory. (For GPUs see the split-K variant, shaders/gptq-matvec-splitk.wgsl.)
// Bindings:
//   @binding(0) xs:    array<vec4<f32>>  [K / 4]          read (row 0 of the prepared scratch)
//   @binding(1) words: array<u32>  [rows, row_words]      read; nibble j of word w = q at packed position 8w + j
//                                                       (row-major, rows padded to row_words = ceil(K/32)*4)
//   @binding(2) sz:    array<u32>  [n_groups, rows]       read; bits 0..15 f16 scale, bits 16..23 zero point
//   @binding(3) gsum:  array<f32>  [n_groups]            read (row 0 of the prepared scratch)
//   @binding(4) bias:  array<f32>  [N] (or [4] unused)    read
//   @binding(5) y:     array<f32>  [N]                    read-write (row_start + r for chunk row r)
//   @binding(6) p:     Params      uniform
// Dispatch: ceil(rows / (64 * ROWS)) workgroups of 64, folded into (x, y); stride = x * 64.

struct Params {
  K: u32, rows: u32, row_start: u32, n_groups: u32,
  group_words: u32, row_words: u32, has_bias: u32, accumulate: u32,
  _unused2: u32, stride: u32, n_out: u32, _p0: u32,
}

@group(0) @binding(0) var<storage, read> xs: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> words: array<u32>;
@group(0) @binding(2) var<storage, read> sz: array<u32>;
@group(0) @binding(3) var<storage, read> gsum: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

const ROWS: u32 = 4u;
const MASK = vec4<u32>(0xfu, 0xf0u, 0xf00u, 0xf000u);

// The 8 nibbles of a word as floats q * 16^(j % 4): (lo, hi).
fn lo16(word: u32) -> vec4<f32> { return vec4<f32>(vec4<i32>(vec4<u32>(word) & MASK)); }
fn hi16(word: u32) -> vec4<f32> { return vec4<f32>(vec4<i32>(vec4<u32>(word >> 16u) & MASK)); }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * p.stride;
  let base = (t >> 6u) * (64u * ROWS) + (t & 63u);
  let wpr = p.K / 8u;
  // Rows past the chunk re-read the last row and are not written: no divergent early return, so that CPU
  // adapters (lavapipe) keep every lane active and load the uniform x quads once per workgroup.
  var r: array<u32, ROWS>;
  for (var j = 0u; j < ROWS; j++) { r[j] = min(base + 64u * j, p.rows - 1u); }
  var acc = array<f32, ROWS>();
  for (var g = 0u; g < p.n_groups; g++) {
    let w0 = g * p.group_words;
    let w1 = min(w0 + p.group_words, wpr);
    var xq = array<f32, ROWS>(); // explicit: zeroed every group
    for (var wi = w0; wi < w1; wi++) {
      let x0 = xs[2u * wi];
      let x1 = xs[2u * wi + 1u];
      for (var j = 0u; j < ROWS; j++) {
        let word = words[r[j] * p.row_words + wi];
        xq[j] += dot(x0, lo16(word)) + dot(x1, hi16(word));
      }
    }
    let s = gsum[g];
    for (var j = 0u; j < ROWS; j++) {
      let s_z = sz[g * p.rows + r[j]];
      acc[j] += unpack2x16float(s_z).x * (xq[j] - f32((s_z >> 16u) & 0xffu) * s);
    }
  }
  for (var j = 0u; j < ROWS; j++) {
    let rr = base + 64u * j;
    if (rr < p.rows) {
      let n = p.row_start + rr;
      var v = acc[j];
      if (p.has_bias != 0u) { v += bias[n]; }
      if (p.accumulate != 0u) { y[n] = y[n] + v; } else { y[n] = v; }
    }
  }
}
