import { f16BitsToF32 } from '../../shared/f16';
import type { PackedGptq } from '../gptq-repack';

/**
 * CPU twin of shaders/gptq-matvec.wgsl and gptq-matmul.wgsl on the REPACKED layout, same factorisation:
 * y[m, n] = sum_g scale (sum_{p in g} x[perm p] q - zero sum_{p in g} x[perm p]) (+ bias) (+ y when accumulate).
 */
export function gptqLinearCpu(x: Float32Array, w: PackedGptq, y?: Float32Array): Float32Array {
  const f = Math.fround;
  const { K, N, nGroups, groupSize } = w;
  const M = x.length / K;
  const W8 = K / 8;
  const gw = groupSize / 8;
  const out = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    const xb = m * K;
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let g = 0; g < nGroups; g++) {
        const s = w.sz[n * nGroups + g];
        const scale = f16BitsToF32(s & 0xffff);
        const zero = (s >>> 16) & 0xff;
        let xq = 0, xs = 0;
        for (let wi = g * gw; wi < Math.min((g + 1) * gw, W8); wi++) {
          const word = w.words[n * W8 + wi];
          for (let j = 0; j < 8; j++) {
            const p = wi * 8 + j;
            const xv = x[xb + (w.perm ? w.perm[p] : p)];
            xq = f(xq + f(xv * ((word >>> (4 * j)) & 15)));
            xs = f(xs + xv);
          }
        }
        acc = f(acc + f(scale * f(xq - f(zero * xs))));
      }
      if (w.bias) acc = f(acc + w.bias[n]);
      out[m * N + n] = y ? f(y[m * N + n] + acc) : acc;
    }
  }
  return out;
}
