// sin_cos(a) for the RoPE kernels (shaders/rope.wgsl, shaders/rope-kv-store.wgsl; the wrappers prepend this file):
// the built-ins are not used (SwiftShader's are only ~1e-4 accurate). Cody-Waite reduction by pi/2 split in three
// parts (q * HI and q * MID exact for q < 2^16), then Taylor polynomials on |r| <= pi/4. No bindings.

const TWO_OVER_PI: f32 = 0.6366197723675814;
const PIO2_HI: f32 = 1.5703125;                  // 201/128 (8 significant bits)
const PIO2_MID: f32 = 0.000484466552734375;      // 8 significant bits
const PIO2_LO: f32 = -6.397578431460715e-07;     // pi/2 - HI - MID, rounded to f32

// (sin a, cos a) for a >= 0, accurate to a few f32 ulps.
fn sin_cos(a: f32) -> vec2<f32> {
  let q = round(a * TWO_OVER_PI);
  let r = ((a - q * PIO2_HI) - q * PIO2_MID) - q * PIO2_LO;
  let r2 = r * r;
  let s = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0)))));
  let c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0)))));
  switch (u32(q) & 3u) {
    case 0u: { return vec2<f32>(s, c); }
    case 1u: { return vec2<f32>(c, -s); }
    case 2u: { return vec2<f32>(-s, -c); }
    default: { return vec2<f32>(-c, s); }
  }
}
