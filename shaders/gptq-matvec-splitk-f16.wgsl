// GPTQ 4-bit linear, one token (decode), split-K with f16 ARITHMETIC (needs shader-f16): the layout, dispatch
// and reduction of shaders/gptq-matvec-splitk.wgsl, but each quad (32 packed positions, inside one group) is
// dequantised and accumulated in f16: d = sum_p x[p] * (q(p) - zero) as vec4<f16> (x restored from the
// prepared xs by the exact powers of two 16^(p % 4), nibbles shifted down so q - zero is exact in f16), then
//   y[n] (+)= sum_quads f32(scale) * f32(d)  (+ bias[n])     (f32 across quads and groups; no gsum needed)
// Accuracy: f16 products and sums over 32 positions (about 2^-11 relative each); a quad overflows f16 when
// sum |x * (q - zero)| > 65504, i.e. |x| above about 136 (Llama's rare "massive activations" can reach that),
// which is why the autotuner does not pick this variant unless asked to (docs/PERFORMANCE-NOTES.md).
// Bindings:
//   @binding(0) xs:    array<vec4<f32>>  [row_words * 2]   read (row 0 of the prepared scratch, zero-padded past K)
//   @binding(1) words: array<vec4<u32>>  [rows, row_words / 4]  read; nibble j of word w = q at position 8w + j
//   @binding(2) sz:    array<u32>  [n_groups, rows]       read; bits 0..15 f16 scale, bits 16..23 zero point
//   @binding(4) bias:  array<f32>  [N] (or [4] unused)    read
//   @binding(5) y:     array<f32>  [N]                    read-write (row_start + r for chunk row r)
//   @binding(6) p:     Params      uniform
// Dispatch: ceil(rows / R) workgroups of WG, folded into (x, y) with x = p.grid_x.
// Overrides: R (rows per workgroup: 1, 2, 4 or 8), WG (a power of two, >= 4).
enable f16;

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
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

const UNSCALE = vec4<f32>(1.0, 16.0, 256.0, 4096.0);
const SHIFT = vec4<u32>(0u, 4u, 8u, 12u);
fn nib_lo(word: u32) -> vec4<f16> { return vec4<f16>((vec4<u32>(word) >> SHIFT) & vec4<u32>(15u)); }
fn nib_hi(word: u32) -> vec4<f16> { return vec4<f16>((vec4<u32>(word >> 16u) >> SHIFT) & vec4<u32>(15u)); }

// The x of one quad (32 positions) in f16, loaded and converted once and used for all R rows.
struct XQuad16 { a: vec4<f16>, b: vec4<f16>, c: vec4<f16>, d: vec4<f16>, e: vec4<f16>, f: vec4<f16>, g: vec4<f16>, h: vec4<f16> }

fn x16(i: u32) -> vec4<f16> { return vec4<f16>(xs[i] * UNSCALE); }

fn load_x16(xq: u32) -> XQuad16 {
  return XQuad16(x16(xq), x16(xq + 1u), x16(xq + 2u), x16(xq + 3u), x16(xq + 4u), x16(xq + 5u), x16(xq + 6u), x16(xq + 7u));
}

// f16 sum over the 32 positions of quad w of x * (q - zero)
fn quad_dot_f16(w: vec4<u32>, x: XQuad16, zero: f16) -> f32 {
  let z = vec4<f16>(zero);
  var d = x.a * (nib_lo(w.x) - z);
  d += x.b * (nib_hi(w.x) - z);
  d += x.c * (nib_lo(w.y) - z);
  d += x.d * (nib_hi(w.y) - z);
  d += x.e * (nib_lo(w.z) - z);
  d += x.f * (nib_hi(w.z) - z);
  d += x.g * (nib_lo(w.w) - z);
  d += x.h * (nib_hi(w.w) - z);
  return f32((d.x + d.y) + (d.z + d.w));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) sg_lane: u32, @builtin(subgroup_size) sg_size: u32, // subgroup-builtins
        ) {
  let r0 = (wid.x + wid.y * p.grid_x) * R;
  let n_quads = p.row_words / 4u;
  var acc: array<f32, 8>;
  for (var q = lid; q < n_quads; q += WG) {
    let x = load_x16(8u * q);
    let g = min((4u * q) / p.group_words, p.n_groups - 1u);
    for (var j = 0u; j < R; j++) {
      let r = min(r0 + j, p.rows - 1u);
      let s_z = sz[g * p.rows + r];
      let d = quad_dot_f16(words[r * n_quads + q], x, f16((s_z >> 16u) & 0xffu));
      acc[j] += unpack2x16float(s_z).x * d;
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
