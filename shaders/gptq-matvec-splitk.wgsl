// GPTQ 4-bit linear, one token (decode), split-K: ONE workgroup per R output rows of ONE row chunk, its WG
// threads striding K. Thread t reads quads q = t, t + WG, … (a quad = one vec4<u32> = 32 packed positions of
// one row; adjacent threads read adjacent 16-byte quads of the same row: coalesced on GPUs) and loads the x of
// a quad (8 vec4<f32>) once for all R rows. Same math as shaders/gptq-matvec.wgsl:
//   y[n] (+)= sum_g scale * (sum_{p in g} xs[p] * q16(n, p)  -  zero * gsum[g])  (+ bias[n])
// applied per quad (the quad's group g = 4q / group_words; the zero term once, by the thread of the group's
// first quad). The wrapper uses this kernel only when no quad straddles two groups (group_words % 4 == 0, or
// one group). The R partial sums are reduced across the workgroup by reduce_rows() (appended by the wrapper:
// shaders/gptq-reduce-subgroup.wgsl with the `subgroups` feature; shaders/gptq-reduce-tree.wgsl otherwise, which
// also drops the line marked subgroup-builtins and defines sg_lane / sg_size as constants).
// Bindings:
//   @binding(0) xs:    array<vec4<f32>>  [row_words * 2]   read (row 0 of the prepared scratch, zero-padded past K)
//   @binding(1) words: array<vec4<u32>>  [rows, row_words / 4]  read; nibble j of word w = q at position 8w + j
//   @binding(2) sz:    array<u32>  [n_groups, rows]       read; bits 0..15 f16 scale, bits 16..23 zero point
//   @binding(3) gsum:  array<f32>  [n_groups]            read (row 0 of the prepared scratch)
//   @binding(4) bias:  array<f32>  [N] (or [4] unused)    read
//   @binding(5) y:     array<f32>  [N]                    read-write (row_start + r for chunk row r)
//   @binding(6) p:     Params      uniform
// Dispatch: ceil(rows / R) workgroups of WG, folded into (x, y) with x = p.grid_x.
// Overrides: R (rows per workgroup: 1, 2, 4 or 8), WG (a power of two, >= 4).

struct Params {
  K: u32, rows: u32, row_start: u32, n_groups: u32,
  group_words: u32, row_words: u32, has_bias: u32, accumulate: u32,
  grid_x: u32, _p0: u32, n_out: u32, _p1: u32,
}

override R: u32 = 4u;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> xs: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> words: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> sz: array<u32>;
@group(0) @binding(3) var<storage, read> gsum: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

const MASK = vec4<u32>(0xfu, 0xf0u, 0xf00u, 0xf000u);
fn lo16(word: u32) -> vec4<f32> { return vec4<f32>(vec4<i32>(vec4<u32>(word) & MASK)); }
fn hi16(word: u32) -> vec4<f32> { return vec4<f32>(vec4<i32>(vec4<u32>(word >> 16u) & MASK)); }

// The x of one quad (32 positions), loaded once and used for all R rows.
struct XQuad { a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, d: vec4<f32>, e: vec4<f32>, f: vec4<f32>, g: vec4<f32>, h: vec4<f32> }

fn load_x(xq: u32) -> XQuad {
  return XQuad(xs[xq], xs[xq + 1u], xs[xq + 2u], xs[xq + 3u], xs[xq + 4u], xs[xq + 5u], xs[xq + 6u], xs[xq + 7u]);
}

// sum over the 32 positions of quad w of xs * q16
fn quad_dot(w: vec4<u32>, x: XQuad) -> f32 {
  return dot(x.a, lo16(w.x)) + dot(x.b, hi16(w.x)) + dot(x.c, lo16(w.y)) + dot(x.d, hi16(w.y))
       + dot(x.e, lo16(w.z)) + dot(x.f, hi16(w.z)) + dot(x.g, lo16(w.w)) + dot(x.h, hi16(w.w));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) sg_lane: u32, @builtin(subgroup_size) sg_size: u32, // subgroup-builtins
        ) {
  let r0 = (wid.x + wid.y * p.grid_x) * R;
  let n_quads = p.row_words / 4u;
  var acc: array<f32, 8>;
  for (var q = lid; q < n_quads; q += WG) {
    let x = load_x(8u * q);
    let g = min((4u * q) / p.group_words, p.n_groups - 1u);
    let first = 4u * q == g * p.group_words;
    let s = gsum[g];
    for (var j = 0u; j < R; j++) {
      let r = min(r0 + j, p.rows - 1u);
      let d = quad_dot(words[r * n_quads + q], x);
      let s_z = sz[g * p.rows + r];
      let scale = unpack2x16float(s_z).x;
      var v = d;
      if (first) { v -= f32((s_z >> 16u) & 0xffu) * s; }
      acc[j] += scale * v;
    }
  }
  let total = reduce_rows(acc, lid, sg_lane, sg_size);
  if (lid < R) {
    let rr = r0 + lid;
    if (rr < p.rows) {
      let n = p.row_start + rr;
      var v = total;
      if (p.has_bias != 0u) { v += bias[n]; }
      if (p.accumulate != 0u) { y[n] = y[n] + v; } else { y[n] = v; }
    }
  }
}
