// GPTQ 4-bit linear, one token (decode), for CPU drivers (lavapipe/llvmpipe): rows per thread like
// shaders/gptq-matvec.wgsl, but each thread reads its rows as vec4<u32> quads (32 weights per load) and the x
// quad is broadcast across the subgroup instead of being loaded by every lane. Same math:
//   W[n, perm[p]] = scale(n, g) * (nibble(n, p) - zero(n, g)),  g = p / group_size (packed position p)
//   y[n] (+)= sum_g scale * (sum_{p in g} xs[p] * q16(n, p)  -  zero * gsum[g])  (+ bias[n])
// xs / gsum come from shaders/gptq-prepare-x.wgsl (x in packed order scaled by 16^-(p % 4), per-group sums);
// q16 = one mask + convert per nibble, as in gptq-matvec.wgsl.
// Why (docs/PERFORMANCE-NOTES.md, "CPU-driver matvec"): llvmpipe runs a subgroup as the lanes of one SIMD
// register and turns EVERY storage load whose index is not a compile-time constant into a per-lane scalar
// loop with a bounds check per component — including the x loads that all lanes share. So here each lane
// loads ONE distinct vec4 of the quad's 8 x vec4s (lane & 7) and subgroupBroadcast (a register extract +
// broadcast there) hands each of them to every lane; and weights come 4 words per load, which amortises the
// per-lane loop overhead 4x compared with u32 loads.
// Each thread owns R rows (R = 2 or 4, override), 64 apart; out-of-range rows re-read the last row and are not
// written (all lanes stay active, as subgroupBroadcast needs). Needs subgroups with subgroup_size >= 8 (the
// variant's supports() checks the adapter's subgroupMinSize); on a smaller subgroup the output is NaN, so
// that the autotuner's CPU-twin check rejects it rather than using wrong numbers.
// Quads never straddle groups: group_size a multiple of 32 (group_words % 4 == 0) or one group (the row's
// zero padding to a whole quad adds 0 * 0: prepare-x zeroes xs past K).
// Bindings:
//   @binding(0) xs:    array<vec4<f32>>  [row_words * 2]   read (one-row prepared scratch, zero past K)
//   @binding(1) words: array<vec4<u32>>  [rows, row_words / 4]  read; nibble j of word w = q at packed
//                                                        position 8w + j (row-major, rows padded to whole quads)
//   @binding(2) sz:    array<u32>  [n_groups, rows]       read; bits 0..15 f16 scale, bits 16..23 zero point
//   @binding(3) gsum:  array<f32>  [n_groups]            read
//   @binding(4) bias:  array<f32>  [N] (or [4] unused)    read
//   @binding(5) y:     array<f32>  [N]                    read-write (row_start + r for chunk row r)
//   @binding(6) p:     Params      uniform
// Dispatch: ceil(rows / (64 * R)) workgroups of 64, folded into (grid_x, y).
enable subgroups;

struct Params {
  K: u32, rows: u32, row_start: u32, n_groups: u32,
  group_words: u32, row_words: u32, has_bias: u32, accumulate: u32,
  grid_x: u32, _stride: u32, n_out: u32, _p0: u32,
}

/** Rows per thread: 2 or 4 (rows 2 and 3 fold away at R = 2). */
override R: u32 = 2u;

@group(0) @binding(0) var<storage, read> xs: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> words: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> sz: array<u32>;
@group(0) @binding(3) var<storage, read> gsum: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

const MASK = vec4<u32>(0xfu, 0xf0u, 0xf00u, 0xf000u);

// The 8 nibbles of a word as floats q * 16^(j % 4): (lo, hi).
fn lo16(word: u32) -> vec4<f32> { return vec4<f32>(vec4<i32>(vec4<u32>(word) & MASK)); }
fn hi16(word: u32) -> vec4<f32> { return vec4<f32>(vec4<i32>(vec4<u32>(word >> 16u) & MASK)); }

// One quad (4 words, 32 positions) of one row against the quad's x (8 vec4s).
fn quad_dot(w: vec4<u32>, x0: vec4<f32>, x1: vec4<f32>, x2: vec4<f32>, x3: vec4<f32>, x4: vec4<f32>, x5: vec4<f32>, x6: vec4<f32>, x7: vec4<f32>) -> f32 {
  return dot(x0, lo16(w.x)) + dot(x1, hi16(w.x)) + dot(x2, lo16(w.y)) + dot(x3, hi16(w.y))
       + dot(x4, lo16(w.z)) + dot(x5, hi16(w.z)) + dot(x6, lo16(w.w)) + dot(x7, hi16(w.w));
}

fn group_term(s: f32, s_z: u32, gs: f32) -> f32 {
  return unpack2x16float(s_z).x * (s - f32((s_z >> 16u) & 0xffu) * gs);
}

fn store(rr: u32, v0: f32, poison: bool) {
  if (rr < p.rows) {
    let n = p.row_start + rr;
    var v = v0;
    if (p.has_bias != 0u) { v += bias[n]; }
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
  let rq = p.row_words / 4u;
  var gq = p.group_words / 4u;
  if (p.n_groups == 1u) { gq = rq; }
  let xl = lane & 7u;
  var a0 = 0.0; var a1 = 0.0; var a2 = 0.0; var a3 = 0.0;
  for (var g = 0u; g < p.n_groups; g++) {
    var s0 = 0.0; var s1 = 0.0; var s2 = 0.0; var s3 = 0.0;
    let q1 = min((g + 1u) * gq, rq);
    for (var q = g * gq; q < q1; q++) {
      let xv = xs[8u * q + xl];
      let x0 = subgroupBroadcast(xv, 0u); let x1 = subgroupBroadcast(xv, 1u);
      let x2 = subgroupBroadcast(xv, 2u); let x3 = subgroupBroadcast(xv, 3u);
      let x4 = subgroupBroadcast(xv, 4u); let x5 = subgroupBroadcast(xv, 5u);
      let x6 = subgroupBroadcast(xv, 6u); let x7 = subgroupBroadcast(xv, 7u);
      s0 += quad_dot(words[r0 * rq + q], x0, x1, x2, x3, x4, x5, x6, x7);
      s1 += quad_dot(words[r1 * rq + q], x0, x1, x2, x3, x4, x5, x6, x7);
      if (R > 2u) {
        s2 += quad_dot(words[r2 * rq + q], x0, x1, x2, x3, x4, x5, x6, x7);
        s3 += quad_dot(words[r3 * rq + q], x0, x1, x2, x3, x4, x5, x6, x7);
      }
    }
    let gs = gsum[g];
    a0 += group_term(s0, sz[g * p.rows + r0], gs);
    a1 += group_term(s1, sz[g * p.rows + r1], gs);
    if (R > 2u) {
      a2 += group_term(s2, sz[g * p.rows + r2], gs);
      a3 += group_term(s3, sz[g * p.rows + r3], gs);
    }
  }
  let poison = sg_size < 8u;
  store(base, a0, poison);
  store(base + 64u, a1, poison);
  if (R > 2u) {
    store(base + 128u, a2, poison);
    store(base + 192u, a3, poison);
  }
}
