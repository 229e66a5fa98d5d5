import { f16BitsToF32, f32ToF16Bits } from '../../shared/f16';
import type { PackedGptq } from '../gptq-repack';

/** Rounds to the nearest f16 value (ties to even), as a number. */
function h(v: number): number {
  return f16BitsToF32(f32ToF16Bits(v));
}

/**
 * CPU twin of shaders/gptq-matvec-splitk-f16.wgsl (f16 arithmetic inside each 32-position quad, f32 across
 * quads): per row n and quad c, lane l of a vec4<f16> accumulates x16 * (q - zero) over the quad's 8 x quads
 * in f16 (each product and sum rounded to f16), the 4 lanes are added as (l0 + l1) + (l2 + l3) in f16, and
 *   y[n] = sum_c f32(scale(g(c))) * f32(d_c) (+ bias) (+ y0)   in f32.
 * x16 = x rounded to f16. Quads past K (row padding) hold zero words and x = 0.
 */
export function gptqSplitKF16Cpu(x: Float32Array, w: PackedGptq, y0?: Float32Array): Float32Array {
  const f = Math.fround;
  const { K, N, nGroups, groupSize } = w;
  const W8 = K / 8;
  const gw = groupSize / 8;
  const nQuads = Math.ceil(W8 / 4);
  const x16 = new Float32Array(nQuads * 32);
  for (let p = 0; p < K; p++) x16[p] = h(x[w.perm ? w.perm[p] : p]);
  const out = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let acc = 0;
    for (let c = 0; c < nQuads; c++) {
      const g = Math.min(Math.floor((4 * c) / gw), nGroups - 1);
      const s = w.sz[n * nGroups + g];
      const scale = f16BitsToF32(s & 0xffff);
      const zero = (s >>> 16) & 0xff;
      const d = [0, 0, 0, 0];
      for (let k = 0; k < 8; k++) {
        const wi = 4 * c + (k >> 1);
        const word = wi < W8 ? w.words[n * W8 + wi] : 0;
        for (let l = 0; l < 4; l++) {
          const q = (word >>> (4 * (4 * (k & 1) + l))) & 15;
          d[l] = h(d[l] + h(x16[32 * c + 4 * k + l] * (q - zero)));
        }
      }
      acc = f(acc + f(scale * h(h(d[0] + d[1]) + h(d[2] + d[3]))));
    }
    if (w.bias) acc = f(acc + w.bias[n]);
    out[n] = y0 ? f(y0[n] + acc) : acc;
  }
  return out;
}
